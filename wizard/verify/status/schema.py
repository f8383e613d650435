"""The documented, stable schema of `jupyter-setup-wizard status --json` (JSON Schema, draft 2020-12).

Stable means: fields are only ever added (with schema_version unchanged) or, if one must change
meaning, schema_version goes up. `validate()` (wizard.core.json_schema) checks it.
"""

from __future__ import annotations

from typing import Any

from wizard.core import json_schema
from wizard.core.json_schema import obj as _obj

SCHEMA_VERSION = 1  # render.to_json writes this; raise it only when a field changes meaning

_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}
_NBOOL = {"type": ["boolean", "null"]}
_NNUM = {"type": ["number", "null"]}


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
        "kernel_pythons": {
            "type": "array",
            "items": _STR,
            "description": "the interpreter each running kernel runs",
        },
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
            "not_running | bind_loopback_only | bind_exposed | legacy_password | runtime_unreadable | "
            "http_failed | kernel_broken | certificate_expiring "
            "(new codes may be added)",
        },
        "severity": {"enum": ["error", "warning"]},
        "message": _STR,
        "fix": _STR,
        "step": {
            "type": ["string", "null"],
            "description": "the wizard step that fixes it: install, kernels, network, password, "
            "service, access",
        },
    },
    "something that disagrees with the configuration, with its fix",
)

KERNEL = _obj(
    {
        "name": _STR,
        "display_name": _STR,
        "python": {**_STR, "description": "the interpreter it runs"},
        "dir": {**_STR, "description": "its kernelspec directory"},
        "ours": {"type": "boolean", "description": "registered by the wizard"},
        "broken": {**_NSTR, "description": "why it cannot start, with the fix; null: it can"},
    },
    "a kernelspec the configured JupyterLab offers (read by the server's own path rules)",
)

CERTIFICATE = _obj(
    {
        "endpoint": {**_STR, "description": "address:port the certificate was read from"},
        "server_name": {**_STR, "description": "the name asked by SNI (empty: none)"},
        "names": {"type": "array", "items": _STR, "description": "its subjectAltName names"},
        "issuer": _STR,
        "serial": {**_STR, "description": "hexadecimal"},
        "not_after": {**_NNUM, "description": "Unix time it expires"},
        "days_left": _NNUM,
        "error": {**_NSTR, "description": "why no certificate was read; null: one was"},
    },
    "the certificate the access method's TLS serves (nginx's, or JupyterLab's own), as a "
    "client on this machine gets it (not verified: whoever issued it)",
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
            "kernels": {"type": "array", "items": KERNEL},
            "certificate": {
                "anyOf": [CERTIFICATE, {"type": "null"}],
                "description": "null: the access method serves no TLS (or nothing was probed)",
            },
        }
    ),
}


def validate(instance: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Errors of `instance` against SCHEMA (or `schema`); [] when valid."""
    return json_schema.validate(instance, SCHEMA if schema is None else schema)
