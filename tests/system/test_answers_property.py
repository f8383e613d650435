"""Property-based, over the whole answers file: generated answers (ordinary and hostile values
in every text field) are either refused with `error: field: message` lines and exit 2, nothing
written, or planned into files that the real parsers read back to exactly what was intended:

- the systemd unit passes `systemd-analyze verify` (strictly: any warning fails) and its lines
  are exactly the intended keys with the intended values (user, directories, argv);
- the nginx site passes `nginx -t` (in a minimal nginx.conf) with the intended directive count
  and the intended server name and htpasswd path;
- the htpasswd file has exactly one line, for the intended user;
- the ssh command and the ~/.ssh/config snippet `shlex.split` to exactly the intended words.

Most examples go through the session's plan in-process (a process per example would take
minutes); a sample goes through the real command line `apply ANSWERS --dry-run`. The run is
bounded: PROFILE's max_examples and deadline; the seed is printed (set JSW_PROPERTY_SEED to
replay one).
"""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st

from tests.support.cli import REPO
from tests.support.nginx import NginxServer, self_signed_cert
from wizard import session
from wizard.core.answers import answers_from_dict
from wizard.core.errors import InputError
from wizard.plan.access.nginx import NginxSite, ProxySpec, render_site
from wizard.plan.secrets import Secrets
from wizard.plan.service.systemd_actions import VerifyUnit
from wizard.plan.service.unit import UnitSpec, render_unit
from wizard.probe.facts import Facts, probe

pytestmark = pytest.mark.system

SEED = int(os.environ.get("JSW_PROPERTY_SEED") or random.randrange(2**32))
print(f"test_answers_property: seed {SEED} (replay with JSW_PROPERTY_SEED={SEED})")
# In-process examples: about 30 s on 2 cores; the CLI sample: a process each, about 1 s.
PROFILE = settings(
    max_examples=150,
    deadline=timedelta(seconds=20),  # a slow nginx -t / systemd-analyze on a shared machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True,
)
CLI_PROFILE = settings(PROFILE, max_examples=20)

PASSWORD, PROXY_PASSWORD = "Secret-Pass-123", "Proxy-Pass-456"
# The characters that break renderers, among ordinary ones (unicode, quotes, specifiers...).
NASTY = [*"abc/._-: ;{}#$%'\"\\\n\r\t\x00\x7f=@[]*é€ñ~`!&|<>()", "\u2028", "\U0001f600"]
HOSTILE = st.one_of(
    st.text(alphabet=st.sampled_from(NASTY), min_size=1, max_size=30),
    st.sampled_from(["-oProxyCommand=touch /tmp/x", "-", "--", "a" * 5000, "/" + "b" * 300]),
)
# Directory names that are valid paths but stress quoting: created, so a plan can use them.
ODD_NAMES = ["nb", "nb dir", "nb%h", "nb%%i", "nb$HOME", "nb'q", 'nb"q', "nb;x", "-nb", "nb{}",
             "ñb€", "nb\\x", "nb #c", "nb=1", " lead", "trail ", "nb\\"]  # fmt: skip


@dataclasses.dataclass
class Machine:
    base: Path  # where the example paths live
    jlab: str
    cert: Path
    key: Path
    facts: Facts = dataclasses.field(repr=False)

    def prober(self, python: str | None, config_dir: str | None) -> Facts:
        """The real probe's facts of the JupyterLab venv, for any config dir (a fresh dir has
        no config files): probing again per example would only repeat the same subprocess."""
        if python != self.jlab:
            return probe(python, config_dir)
        return dataclasses.replace(
            self.facts, config_dir=config_dir or self.facts.config_dir,
            probed_for=(python, config_dir),
        )  # fmt: skip


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory, jlab: str) -> Machine:
    base = tmp_path_factory.mktemp("answers")
    for name in ODD_NAMES:
        (base / name).mkdir()
    cert, key = self_signed_cert(base / "tls", "example.org")
    facts = probe(jlab, str(base / "cfg"))
    return Machine(base, jlab, cert, key, facts)


@st.composite
def answers_dicts(draw: st.DrawFn, m: Machine) -> dict[str, dict[str, Any]]:
    """Every field ordinary (odd but valid paths included), and up to three of them hostile."""
    b = str(m.base)
    odd = [f"{b}/{name}" for name in ODD_NAMES]
    method = draw(st.sampled_from(["ssh-tunnel", "reverse-proxy"]))
    hostile = draw(st.sets(st.sampled_from(FIELDS[method]), max_size=3))

    def pick(name: str, *valid: Any) -> Any:
        if name not in hostile:
            return draw(st.sampled_from(valid))
        if isinstance(valid[0], int):
            return draw(st.sampled_from([0, -1, 65536, 2**40]))
        if name in PATHS:
            return draw(st.one_of(HOSTILE, HOSTILE.map(lambda s: f"{b}/{s}")))
        return draw(HOSTILE)

    access: dict[str, Any] = {"method": method}
    if method == "ssh-tunnel":
        access |= {
            "ssh_user": pick("ssh_user", "", "ada", "a.b-c_d", "x1"),
            "ssh_host": pick("ssh_host", "", "example.org", "192.0.2.7", "2001:db8::1", "srv-1"),
            "ssh_port": pick("ssh_port", 0, 22, 2222),
        }
    else:
        access |= {
            "server_name": pick("server_name", "", "example.org", "jupyter.example"),
            "listen_ip": pick("listen_ip", "", "127.0.0.1"),
            "basic_auth_user": pick("basic_auth_user", "", "ada", "bob.smith"),
            "htpasswd_file": pick("htpasswd_file", f"{b}/ht", *(f"{d}/ht" for d in odd)),
            "nginx_site": pick("nginx_site", f"{b}/site.conf", *(f"{d}/site.conf" for d in odd)),
            "certfile": pick("certfile", str(m.cert)),
            "keyfile": pick("keyfile", str(m.key)),
            "https_port": pick("https_port", 443, 8443),
        }
    return {
        "jupyter": {
            "python": pick("python", m.jlab),
            "config_dir": pick("config_dir", f"{b}/cfg", *(f"{d}/cfg" for d in odd)),
        },
        "install": {"version": pick("version", "", ">=4")},
        "network": {
            "ip": pick("ip", "127.0.0.1"),
            "port": pick("port", 8899),
            "root_dir": pick("root_dir", *odd),
            "base_url": pick("base_url", "/", "/jupyter/", "/a-b/c/"),
        },
        "password": {"hashed_password": pick("hashed_password", "")},
        "service": {
            "manager": draw(
                st.sampled_from(["systemd-system", "systemd-system", "background", "none"])
            ),
            "name": pick("name", "jupyterlab", "jsw-test"),
            "user": pick("user", "root"),
            "allow_root": True,
        },
        "access": access,
    }


COMMON = ["python", "config_dir", "version", "ip", "port", "root_dir", "base_url",
          "hashed_password", "name", "user"]  # fmt: skip
FIELDS = {
    "ssh-tunnel": [*COMMON, "ssh_user", "ssh_host", "ssh_port"],
    "reverse-proxy": [*COMMON, "server_name", "listen_ip", "basic_auth_user", "htpasswd_file",
                      "nginx_site", "certfile", "keyfile", "https_port"],
}  # fmt: skip
PATHS = {"python", "config_dir", "root_dir", "htpasswd_file", "nginx_site", "certfile", "keyfile"}


# -- reading the results back ------------------------------------------------------------------


def unit_lines(text: str) -> list[tuple[str, str]]:
    """(key, value) of each directive, read as systemd's config parser does: a line ending in
    a backslash continues on the next one; key and value are stripped of whitespace."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = (pending + raw).strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


PLAIN_UNIT_KEYS = [
    k
    for k, _ in unit_lines(render_unit(UnitSpec("system", "/j/jupyter-lab", "/c", "/nb", "u", "u")))
]


def systemd_words(value: str) -> list[str]:
    """A command line / Environment= value as systemd splits it, specifiers and $$ undone."""
    return [w.replace("%%", "%").replace("$$", "$") for w in shlex.split(value)]


def verify_unit(tmp: Path, name: str, text: str) -> None:
    path = tmp / name
    path.write_text(text)
    r = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(path)],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr + r.stdout


def check_unit(
    unit: str, a: dict[str, dict[str, Any]], planned: session.Planned, tmp: Path
) -> None:
    verify_unit(tmp, f"{a['service']['name']}.service", unit)
    lines = unit_lines(unit)
    keys = [k for k, _ in lines]
    assert keys == PLAIN_UNIT_KEYS  # no line more (a second User= would win), none less
    values = dict(lines)
    assert values["User"] == a["service"]["user"] == values["Group"]
    assert values["WorkingDirectory"].replace("%%", "%") == planned.answers.network.root_dir
    envs = [systemd_words(v) for k, v in lines if k == "Environment"]
    assert envs[0] == [f"JUPYTER_CONFIG_DIR={planned.answers.jupyter.config_dir}"]
    assert len(envs) == 2 and len(envs[1]) == 1 and envs[1][0].startswith("PATH=")
    lab = str(Path(a["jupyter"]["python"]).parent / "jupyter-lab")
    assert systemd_words(values["ExecStart"]) == [lab, "--no-browser", "--allow-root"]


def nginx_directives(text: str) -> int:
    """Directives and blocks: each `;` or `{` outside quotes and comments."""
    count, quote, comment = 0, "", False
    for i, c in enumerate(text):
        if comment:
            comment = c != "\n"
        elif quote:
            quote = "" if c == quote and text[i - 1] != "\\" else quote
        elif c in "\"'":
            quote = c
        elif c == "#":
            comment = True
        elif c in ";{":
            count += 1
    return count


def nginx_value(site: str, directive: str) -> str:
    (line,) = [ln.strip() for ln in site.splitlines() if ln.strip().startswith(directive + " ")]
    (value,) = shlex.split(line.removeprefix(directive).split("#")[0].rstrip().rstrip(";"))
    return value


def check_nginx(site: str, htpasswd: bytes | None, a: dict[str, Any], tmp: Path) -> None:
    conf = tmp / "site.conf"
    conf.write_text(site)
    with NginxServer(f"include {conf};\n", autostart=False) as nginx:
        r = nginx.test()
    assert r.returncode == 0, r.stderr
    auth = bool(a["basic_auth_user"])
    # the reference: the same shape of site from plain values
    plain = ProxySpec(
        jupyter_port=8899, base_url="/x/" if a["_base_url"] != "/" else "/", https_port=443,
        certfile="/c", keyfile="/k", server_name="x", listen_ip=a["listen_ip"] and "127.0.0.1",
        htpasswd="/h" if auth else "",
    )  # fmt: skip
    assert nginx_directives(site) == nginx_directives(render_site(plain))
    assert nginx_value(site, "server_name") == (a["server_name"] or "_")
    if auth:
        assert nginx_value(site, "auth_basic_user_file") == a["_htpasswd"]
        assert htpasswd is not None
        lines = htpasswd.decode().splitlines()
        assert len(lines) == 1 and lines[0].split(":", 1)[0] == a["basic_auth_user"]
    else:
        assert htpasswd is None and "auth_basic_user_file" not in site


def check_ssh(planned: session.Planned) -> None:
    info = session.instructions(planned.answers, planned.facts)
    net, acc = planned.answers.network, planned.answers.access
    words = shlex.split(info.ssh_command)
    dest = words[-1]
    user, _, host = dest.partition("@")
    port = [] if len(words) == 6 else ["-p", words[5]]
    assert words == ["ssh", "-N", "-L", f"{net.port}:localhost:{net.port}", *port, "--", dest]
    assert (acc.ssh_user or user) == user and (acc.ssh_host or host) == host
    assert re.fullmatch(r"[\w.:-]+", user + host) and not (user + host).startswith("-")
    cfg = [shlex.split(line) for line in info.ssh_config.splitlines()]
    want = [["HostName", host], ["User", user], *([["Port", port[1]]] if port else [])]
    assert cfg[1:] == [*want, ["LocalForward", str(net.port), f"localhost:{net.port}"],
                       ["ExitOnForwardFailure", "yes"]]  # fmt: skip
    assert len(cfg[0]) == 2 and cfg[0][0] == "Host"


# -- the properties ----------------------------------------------------------------------------


def plan_or_refuse(m: Machine, a: dict[str, Any]) -> session.Planned | InputError:
    secrets = Secrets(password=PASSWORD, proxy_password=PROXY_PASSWORD)
    try:
        answers = answers_from_dict(a)
        return session.plan(answers, secrets, prober=m.prober)
    except InputError as exc:
        return exc


def check(m: Machine, a: dict[str, Any], tmp: Path) -> session.Planned | InputError:
    result = plan_or_refuse(m, a)
    if isinstance(result, InputError):
        assert result.problems and all(p.field and p.message for p in result.problems)
        assert PASSWORD not in str(result) and PROXY_PASSWORD not in str(result)
        return result
    planned = result
    actions = planned.plan.actions
    units = [x.content for x in actions if isinstance(x, VerifyUnit)]
    assert len(units) == (a["service"]["manager"] == "systemd-system")
    for unit in units:
        check_unit(unit, a, planned, tmp)
    sites = [x for x in actions if isinstance(x, NginxSite)]
    assert len(sites) == (a["access"]["method"] == "reverse-proxy")
    for site in sites:
        content = [f.content for f in site.files]
        acc = dict(a["access"], _base_url=planned.answers.network.base_url,
                   _htpasswd=str(planned.answers.access.htpasswd_file))  # fmt: skip
        assert content[0] is not None
        check_nginx(content[0].decode(), content[1] if len(content) > 1 else None, acc, tmp)
    if a["access"]["method"] == "ssh-tunnel":
        check_ssh(planned)
    return planned


@pytest.fixture
def example_dir(tmp_path: Path) -> Iterator[Callable[[], Path]]:
    count = iter(range(10**6))

    def fresh() -> Path:
        d = tmp_path / f"ex{next(count)}"
        d.mkdir()
        return d

    yield fresh


STATS: dict[str, int] = {"planned": 0, "refused": 0}


@seed(SEED)
@PROFILE
@given(data=st.data())
def test_every_answers_file_is_refused_or_renders_exactly_its_intent(
    machine: Machine, example_dir: Callable[[], Path], data: st.DataObject
) -> None:
    note(f"replay with JSW_PROPERTY_SEED={SEED}")  # printed with a failing example
    a = data.draw(answers_dicts(machine))
    result = check(machine, a, example_dir())
    STATS["refused" if isinstance(result, InputError) else "planned"] += 1


def test_the_property_run_made_plans_and_refusals() -> None:
    """Not vacuous: the run above both planned and refused (runs after it, in file order)."""
    print(f"answers property: {STATS}")
    assert STATS["planned"] >= 10 and STATS["refused"] >= 10, STATS


def tree(*dirs: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for d in dirs for p in sorted(d.rglob("*")) if p.is_file()}


@seed(SEED)
@CLI_PROFILE
@given(data=st.data())
def test_a_sample_through_the_real_command_line(
    machine: Machine, example_dir: Callable[[], Path], data: st.DataObject
) -> None:
    """`apply ANSWERS --dry-run` agrees with the in-process verdict: exit 2 and `error:` lines
    naming the same fields, or exit 0 with the plan; either way nothing is written."""
    note(f"replay with JSW_PROPERTY_SEED={SEED}")
    a = data.draw(answers_dicts(machine))
    tmp = example_dir()
    want = check(machine, a, tmp)
    answers = tmp / "answers.toml"
    answers.write_text(tomli_w.dumps(a))
    state = tmp / "state"
    before = tree(machine.base)
    r = subprocess.run(
        [sys.executable, "-m", "wizard", "apply", str(answers), "--dry-run", "--password-stdin",
         "--proxy-password-stdin"],
        input=f"{PASSWORD}\n{PROXY_PASSWORD}\n", capture_output=True, text=True, cwd=REPO,
        env={**os.environ, "XDG_STATE_HOME": str(state)}, timeout=120,
    )  # fmt: skip
    assert tree(machine.base) == before and not state.exists()
    assert "Traceback" not in r.stderr, r.stderr
    if isinstance(want, InputError):
        assert r.returncode == 2, (r.stdout, r.stderr)
        lines = r.stderr.splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), r.stderr
        fields = {p.field for p in want.problems}
        assert all(f"error: {f}" in r.stderr for f in fields), (fields, r.stderr)
    else:
        assert r.returncode == 0, r.stderr
        assert PASSWORD not in r.stdout and PROXY_PASSWORD not in r.stdout
        shown = r.stdout.splitlines()
        for unit in [x.content for x in want.plan.actions if isinstance(x, VerifyUnit)]:
            # the preview shows the very unit checked in-process (a new file: all "+" lines)
            assert all(f"+{line}" in shown for line in unit.splitlines() if line), r.stdout
