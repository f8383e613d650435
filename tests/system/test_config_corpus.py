"""Real-world config files (tests/data/jupyter-configs): apply loopback + a password over each,
then the real JupyterLab from that config dir alone: loopback only, the new password logs in, a
wrong one gets 401, every setting the wizard had no reason to touch is loaded as before, and
rollback gives back every file byte for byte. Files Jupyter cannot load get a precise refusal.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_wizard as wizard
from tests.support.jupyter import login, run_jupyter
from tests.support.ports import free_port
from wizard.core.answers import NetworkAnswers
from wizard.plan.steps import network
from wizard.plan.steps.config import owned
from wizard.plan.steps.config_check import kept
from wizard.plan.steps.password import MODERN_KEY
from wizard.probe import sockets
from wizard.probe.effective_config import Effective, Loader, Request

pytestmark = pytest.mark.system

CORPUS = Path(__file__).parents[1] / "data" / "jupyter-configs"
CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
PASSWORD = "corpus pass 4711"


def files_of(d: Path) -> dict[str, bytes]:
    # "migrated": the marker a starting Jupyter itself leaves in its config dir
    return {
        str(p.relative_to(d)): p.read_bytes()
        for p in sorted(d.rglob("*"))
        if p.is_file() and p.name != "migrated"
    }


def make_tls(cfg: Path) -> None:
    (cfg / "tls").mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-keyout", str(cfg / "tls" / "key.pem"),
         "-out", str(cfg / "tls" / "cert.pem")],
        check=True, capture_output=True,
    )  # fmt: skip


def answers(path: Path, jlab: str, cfg: Path, port: int, root: Path, manager: str = "none") -> Path:
    path.write_text(
        f'[jupyter]\npython = "{jlab}"\nconfig_dir = "{cfg}"\n'
        f'[network]\nport = {port}\nroot_dir = "{root}"\n'
        + ('[service]\nmanager = "background"\nuser = "root"\nallow_root = true\n'
           if manager == "background" else "")
    )  # fmt: skip
    return path


# Service manager `none` (the apply's brief trial start, then the test starts jupyter-lab itself)
# for a plain case and the author's TLS; the others are started by the wizard itself (the
# background manager) and logged in to there: one real start per case, not two.
TRIAL = ("01-", "ssl")


@contextlib.contextmanager
def served(case: str, jlab: str, cfg: Path, srv: Path, port: int, base_url: str) -> Iterator[str]:
    """The URL of the real JupyterLab serving the config dir after the apply."""
    if any(t in case for t in TRIAL):
        with run_jupyter(jlab, cfg, srv) as server:
            assert server.port == port
            yield server.url
    else:
        yield f"http://127.0.0.1:{port}{base_url}"


@pytest.fixture(scope="module")
def loader(jlab: str) -> Iterator[Loader]:
    """The wizard's own loader script, kept running: each load is still a fresh ServerApp in a
    fresh (forked) process of the real interpreter; only the imports are shared."""
    with Loader(jlab) as running:
        yield running


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES)
def test_apply_over_a_real_world_config(
    case: str, jlab: str, loader: Loader, tmp_path: Path
) -> None:
    cfg, root, port = tmp_path / "cfg", tmp_path / "nb", free_port()
    shutil.copytree(CORPUS / case, cfg, ignore=shutil.ignore_patterns("expect-*"))
    root.mkdir()
    if "ssl" in case:
        make_tls(cfg)
    original = files_of(cfg)
    trial = any(t in case for t in TRIAL)
    a = answers(tmp_path / "a.toml", jlab, cfg, port, root, "none" if trial else "background")
    refusal = CORPUS / case / "expect-refusal"
    if refusal.exists():
        r = wizard("apply", str(a), "--yes", "--password-stdin", stdin=PASSWORD + "\n")
        assert r.returncode == 2, r.stdout + r.stderr
        for line in refusal.read_text().splitlines():
            assert line in r.stderr, r.stderr
        assert files_of(cfg) == original  # nothing changed
        return

    before = loader.load(Request(str(cfg), cwd=str(root)))
    assert not before.errors, before.errors
    r = wizard("apply", str(a), "--yes", "--password-stdin", stdin=PASSWORD + "\n")
    try:
        check_applied(case, jlab, loader, r, cfg, root, port, before, tmp_path / "srv")
    finally:
        if r.returncode == 0:  # the background server stops with the rollback
            rolled = wizard("rollback", "--yes")
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert files_of(cfg) == original


def check_applied(
    case: str,
    jlab: str,
    loader: Loader,
    r: subprocess.CompletedProcess[str],
    cfg: Path,
    root: Path,
    port: int,
    before: Effective,
    srv: Path,
) -> None:
    assert r.returncode == 0, r.stdout + r.stderr
    started = "ok: jupyter-lab starts with the written config" in r.stdout
    assert started == any(t in case for t in TRIAL), r.stdout

    for name, data in files_of(cfg).items():  # every file still parses
        if name.endswith(".py"):
            ast.parse(data)
        elif name.endswith(".json"):
            json.loads(data)
    after = loader.load(Request(str(cfg), cwd=str(root)))
    assert not after.errors, after.errors
    assert after.values["ServerApp.ip"] == "127.0.0.1"
    assert after.values["ServerApp.port"] == port
    # What the wizard had no reason to touch is loaded exactly as before, trait by trait.
    desired = {**network.settings(NetworkAnswers(port=port, root_dir=str(root))), MODERN_KEY: ""}
    mine = {f"{cls}.{trait}" for cls, trait in owned(desired)}
    assert not mine & {"ServerApp.certfile", "ServerApp.keyfile", "ServerApp.ssl_options",
                       "ServerApp.trust_xheaders", "ServerApp.tornado_settings"}  # fmt: skip
    was, now = kept(before.merged, desired), kept(after.merged, desired)
    changed = {k for k in was.keys() | now.keys() if was.get(k) != now.get(k)}
    # Only what the case expects changes effect, and the apply names exactly that, with why.
    expect = CORPUS / case / "expect-effect-changes"
    assert changed == set(expect.read_text().split() if expect.exists() else []), (was, now)
    named = set(re.findall(r"^\[warning\] (\S+) changes effect ", r.stdout, re.M))
    assert named == changed, r.stdout

    with served(case, jlab, cfg, srv, port, after.values["ServerApp.base_url"]) as url:
        held = sockets.listeners([port])
        assert held and all(s.address in ("127.0.0.1", "::1") for s in held), held
        assert url.startswith("https") == ("ssl" in case)  # the author's TLS stays
        assert login(url, PASSWORD, verify=False)[0] == 302
        assert login(url, "not the password", verify=False)[0] == 401


def test_an_override_the_parser_cannot_see_stops_the_apply(
    jlab: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A higher-priority dir (JUPYTER_CONFIG_PATH) sets the port in a way no line names
    statically: the check of what Jupyter loads stops the apply, naming the winning file and
    line; nothing changes."""
    cfg, root, port, higher = tmp_path / "cfg", tmp_path / "nb", free_port(), tmp_path / "site"
    for d in (cfg, root, higher):
        d.mkdir()
    winner = higher / "jupyter_server_config.py"
    winner.write_text("c = get_config()\nc.ServerApp.update({'port': 9999})\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(higher))
    a = answers(tmp_path / "a.toml", jlab, cfg, port, root)
    r = wizard("apply", str(a), "--yes", "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"ServerApp.port would be 9999, not {port}: {winner} line 2 wins" in r.stderr
    assert files_of(cfg) == {} and files_of(higher) == {
        "jupyter_server_config.py": winner.read_bytes()
    }
