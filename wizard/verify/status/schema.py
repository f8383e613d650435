"""The documented, stable schema of `jupyter-setup-wizard status --json` (JSON Schema, draft 2020-12).

Stable means: fields are only ever added (with schema_version unchanged) or, if one must change
meaning, schema_version goes up. `validate()` checks the subset of JSON Schema used here, so the
tests need no extra dependency.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1  # render.to_json writes this; raise it only when a field changes meaning

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}
_NBOOL = {"type": ["boolean", "null"]}
_NNUM = {"type": ["number", "null"]}


def _obj(props: dict[str, Any], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": sorted(props),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


LISTENER = _obj(
    {
        "address": {
            **_STR,
            "description": "bound address: 127.0.0.1, ::1, 0.0.0.0, ::, or a LAN IP",
        },
        "port": {"type": "integer", "minimum": 0, "maximum": 65535},
        "pid": {
            **_NINT,
            "description": "null: another user's socket and status did not run as root",
        },
        "process": {**_NSTR, "description": "process name (kernel comm, at most 15 characters)"},
        "user": _NSTR,
    },
    "a listening TCP socket",
)

HTTP_PROBE = _obj(
    {
        "url": {**_STR, "description": "what was probed: <scheme>://<address>:<port><base_url>api"},
        "ok": {"type": "boolean", "description": "200 with Jupyter's /api JSON"},
        "status": _NINT,
        "version": {**_NSTR, "description": "jupyter_server version from /api"},
        "latency_ms": _NNUM,
        "error": _NSTR,
    }
)

SERVER = _obj(
    {
        "pid": {"type": "integer"},
        "port": {"type": "integer", "description": "from the runtime file (0 when it is unknown)"},
        "url": {**_STR, "description": "the server's URL, without token"},
        "base_url": _STR,
        "hostname": _STR,
        "root_dir": _STR,
        "version": {**_STR, "description": "jupyter_server version from the runtime file"},
        "secure": {"type": "boolean", "description": "HTTPS"},
        "token_in_use": {"type": "boolean"},
        "token": {**_NSTR, "description": "only with --show-token, else null"},
        "url_with_token": {**_NSTR, "description": "only with --show-token, else null"},
        "legacy_password": {
            "type": "boolean",
            "description": "the server uses the legacy ServerApp.password key",
        },
        "runtime_file": {**_NSTR, "description": "its jpserver-PID.json; null when not readable"},
        "user": _NSTR,
        "started_at": {**_NNUM, "description": "Unix time"},
        "uptime_s": _NNUM,
        "cpu_percent": {
            **_NNUM,
            "description": "of one core, since the previous snapshot (one-shot: average over its life)",
        },
        "rss_bytes": _NINT,
        "kernels": {"type": "integer", "description": "kernel processes it started"},
        "listening": {"type": "array", "items": LISTENER},
        "http": {"anyOf": [HTTP_PROBE, {"type": "null"}]},
    },
    "a running Jupyter server: runtime file joined with process, sockets and HTTP probe",
)

FINDING = _obj(
    {
        "code": {
            "type": "string",
            "description": "port_taken | port_mismatch | service_not_listening | service_failed | "
            "bind_loopback_only | bind_exposed | legacy_password | runtime_unreadable | http_failed "
            "(new codes may be added)",
        },
        "severity": {"enum": ["error", "warning"]},
        "message": _STR,
        "fix": _STR,
        "step": {
            "type": ["string", "null"],
            "description": "the wizard step that fixes it: install, network, password, service, access",
        },
    },
    "something that disagrees with the configuration, with its fix",
)

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "jupyter-setup-wizard status --json",
    **_obj(
        {
            "schema_version": {"const": SCHEMA_VERSION},
            "taken_at": {"type": "number", "description": "Unix time"},
            "duration_ms": {"type": "number", "description": "how long the snapshot took"},
            "state": {"enum": ["healthy", "down", "degraded"]},
            "running": {"type": "boolean"},
            "exit_code": {
                "enum": [0, 3, 4],
                "description": "0 healthy, 3 not running, 4 running with findings",
            },
            "configured": _obj(
                {
                    "source": {"enum": ["last apply", "config files", "defaults"]},
                    "port": {"type": "integer"},
                    "ip": _STR,
                    "access_method": _NSTR,
                    "config_dir": _STR,
                    "service_manager": _STR,
                    "service_name": _STR,
                    "service_user": _STR,
                },
                "what the snapshot compares against",
            ),
            "service": _obj(
                {
                    "manager": {**_STR, "description": "none when no service is configured"},
                    "name": _STR,
                    "installed": _NBOOL,
                    "active_state": {**_NSTR, "description": "systemd ActiveState"},
                    "sub_state": _NSTR,
                    "main_pid": _NINT,
                    "since": {**_NNUM, "description": "Unix time of the last state change"},
                    "n_restarts": _NINT,
                    "exit_status": _NINT,
                    "enabled": _NBOOL,
                    "error": {**_NSTR, "description": "why the state is unknown"},
                }
            ),
            "servers": {"type": "array", "items": SERVER},
            "listeners": {
                "type": "array",
                "items": LISTENER,
                "description": "sockets on the configured port and the servers' ports",
            },
            "findings": {"type": "array", "items": FINDING},
            "notes": {"type": "array", "items": _STR},
        }
    ),
}

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is_type(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def validate(instance: Any, schema: dict[str, Any] = SCHEMA, path: str = "$") -> list[str]:
    """Errors of `instance` against the JSON Schema subset used above ([] when valid)."""
    errors: list[str] = []
    if "anyOf" in schema:
        if all(validate(instance, s, path) for s in schema["anyOf"]):
            errors.append(f"{path}: matches none of the allowed forms")
        return errors
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: must be {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} is not one of {schema['enum']}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(instance, t) for t in types):
            return [*errors, f"{path}: {instance!r} is not of type {'/'.join(types)}"]
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if "minimum" in schema and instance < schema["minimum"]:
            errors.append(f"{path}: {instance} < {schema['minimum']}")
        if "maximum" in schema and instance > schema["maximum"]:
            errors.append(f"{path}: {instance} > {schema['maximum']}")
    if isinstance(instance, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing {key!r}")
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                errors.append(f"{path}: unexpected {key!r}")
    if isinstance(instance, list) and "items" in schema:
        for i, item in enumerate(instance):
            errors += validate(item, schema["items"], f"{path}[{i}]")
    return errors
