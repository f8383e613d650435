"""Kernels from every environment, for a service that runs as another user (background manager,
on the host): root applies for `jsw-kernels`, a real user with a home, whose environments are
theirs (so root must never run their Python as root) and whose data dir is theirs to tamper with.

Environments made here, all owned by that user: a venv with ipykernel, a venv without it
(`install_ipykernel = true` puts it there), and a directory laid out like a conda env (a venv
with `conda-meta/` and an `etc/conda/activate.d/` script): there is no conda on this machine
and none on the package registries this project reaches, so that one checks the wizard's conda
handling (the env block, the activation launcher), not conda itself.

The real server's /api/kernelspecs lists them; a kernel of each, started through the REST API,
prints its own sys.executable, runs as the service's user, and (the conda one) sees what its
activation script set; a rollback removes what the apply added (kernelspecs, ipykernel) and the
still-running server no longer lists them.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.cli import run_wizard
from tests.support.index import LocalIndex, serve_index
from tests.support.jupyter import login, run_code, shared_jlab_python
from tests.support.ports import free_port

pytestmark = pytest.mark.system

USER = "jsw-kernels"
PASSWORD = "kernels pw 15"
PROBE = "import os, sys; print(sys.executable); print(os.getuid()); print(os.environ.get('JSW_ACTIVATED'))"


@dataclass
class Setup:
    base: Path
    pw: pwd.struct_passwd
    index: LocalIndex
    with_ipk: str
    without_ipk: str
    conda: str
    port: int
    lab: str  # JupyterLab's interpreter, one the service user can run

    def env(self) -> dict[str, str]:
        # root's journals apart from other tests'; pip (run as the user) takes the local index
        return {"XDG_STATE_HOME": str(self.base / "state"), "PIP_INDEX_URL": self.index.url}

    def answers(self, environments: list[str]) -> Path:
        path = self.base / "answers.toml"
        path.write_text(
            textwrap.dedent(f"""\
                [jupyter]
                python = "{self.lab}"
                [kernels]
                environments = {json.dumps(environments)}
                install_ipykernel = true
                [network]
                port = {self.port}
                root_dir = "{self.pw.pw_dir}"
                [service]
                manager = "background"
                name = "jsw-kernels-test"
                user = "{USER}"
                """)
        )
        return path

    def apply(self, environments: list[str]) -> subprocess.CompletedProcess[str]:
        path = self.answers(environments)
        return run_wizard(
            "apply", str(path), "--yes", "--password-stdin", stdin=PASSWORD, env=self.env(),
            timeout=600,
        )  # fmt: skip

    def as_user(self, *argv: str, env: dict[str, str] | None = None, stdin: str = "") -> str:
        return subprocess.run(
            list(argv), check=True, capture_output=True, text=True, timeout=300, input=stdin,
            user=self.pw.pw_uid, group=self.pw.pw_gid, cwd=self.pw.pw_dir,
            env={"HOME": self.pw.pw_dir, "PATH": "/usr/bin:/bin", **(env or {})},
        ).stdout  # fmt: skip

    def venv(self, name: str, *, ipykernel: bool) -> str:
        where = Path(self.pw.pw_dir) / "envs" / name
        self.as_user("/usr/bin/python3", "-m", "venv", str(where))
        if ipykernel:
            self.as_user(
                str(where / "bin/python"), "-m", "pip", "install", "-q", "ipykernel",
                env={"PIP_INDEX_URL": self.index.url, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
            )  # fmt: skip
        return str(where / "bin" / "python")


def _ensure_user() -> tuple[pwd.struct_passwd, bool]:
    try:
        return pwd.getpwnam(USER), False
    except KeyError:
        subprocess.run(
            ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash", USER],
            check=True,
            timeout=60,
        )
        return pwd.getpwnam(USER), True


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    pw, created = _ensure_user()
    base = Path(tempfile.mkdtemp(prefix="jsw-kernels-", dir="/var/tmp"))
    base.chmod(0o755)  # the lab venv goes here: the service user must reach it
    try:
        with serve_index(base / "index") as index:
            s = Setup(base, pw, index, "", "", "", free_port(), shared_jlab_python())
            s.as_user("rm", "-rf", f"{pw.pw_dir}/envs", f"{pw.pw_dir}/.local/share/jupyter")
            t0 = time.monotonic()
            s.with_ipk = s.venv("with-ipk", ipykernel=True)
            s.without_ipk = s.venv("without-ipk", ipykernel=False)
            s.conda = s.venv("torch", ipykernel=True)
            prefix = Path(s.conda).parent.parent
            # A conda env's marks, made by its owner: conda-meta, and an activation script.
            s.as_user(
                "mkdir", "-p", str(prefix / "conda-meta"), str(prefix / "etc/conda/activate.d")
            )
            s.as_user(
                "sh",
                "-c",
                f"echo 'export JSW_ACTIVATED=yes' > {prefix}/etc/conda/activate.d/jsw.sh",
            )
            print(f"[timing] three environments: {time.monotonic() - t0:.1f}s")
            yield s
            run_wizard("service", "stop", env=s.env())
    finally:
        shutil.rmtree(base, ignore_errors=True)
        if created:
            subprocess.run(["userdel", "--remove", USER], check=False, timeout=60)


def _kernelspecs(url: str, session: object) -> dict[str, dict[str, object]]:
    r = session.get(f"{url}/api/kernelspecs", timeout=30)  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    specs: dict[str, dict[str, object]] = r.json()["kernelspecs"]
    return specs


def _by_interpreter(specs: dict[str, dict[str, object]]) -> dict[str, str]:
    out = {}
    for name, spec in specs.items():
        argv = spec["spec"]["argv"]  # type: ignore[index]
        out[argv[0]] = name  # type: ignore[index]
    return out


def _line(out: str, check: str) -> str:
    """doctor's line for one check (its fix follows on the next line)."""
    lines = out.splitlines()
    i = next((i for i, ln in enumerate(lines) if ln[2:].startswith(f"{check}:")), None)
    assert i is not None, out
    return "\n".join(lines[i : i + 2])


def _ok(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 0, f"exit {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def test_kernels_registered_for_the_service_user_then_rolled_back(setup: Setup) -> None:
    s = setup
    t0 = time.monotonic()
    _ok(s.apply([]))  # JupyterLab as jsw-kernels, no kernels of ours yet
    print(f"[timing] first apply (the service): {time.monotonic() - t0:.1f}s")
    url = f"http://127.0.0.1:{s.port}"
    status, session = login(url, PASSWORD)
    assert status == 302
    before = _kernelspecs(url, session)

    envs = [s.with_ipk, s.without_ipk, s.conda]
    t0 = time.monotonic()
    out = _ok(s.apply(envs))
    print(f"[timing] kernels apply (one ipykernel install): {time.monotonic() - t0:.1f}s")
    assert "install ipykernel into" in out and f"as {USER}" in out, out

    specs = _kernelspecs(url, session)
    names = _by_interpreter(specs)
    assert set(envs) <= set(names), specs
    assert names[s.conda] == "conda-torch", names
    assert specs["conda-torch"]["spec"]["display_name"].startswith("Python 3.")  # type: ignore[index]
    # Registered for the service: in its user's data dir, theirs
    kernels_dir = Path(s.pw.pw_dir) / ".local/share/jupyter/kernels"
    for name in (names[p] for p in envs):
        st = os.stat(kernels_dir / name / "kernel.json")
        assert (st.st_uid, st.st_gid) == (s.pw.pw_uid, s.pw.pw_gid)
    # ipykernel went in as the environment's owner
    site = next(Path(s.without_ipk).parent.parent.glob("lib/python3*/site-packages"))
    assert os.stat(site / "ipykernel").st_uid == s.pw.pw_uid

    for python in envs:
        lines = run_code(url, session, PROBE, kernel=names[python]).split()
        assert lines[0] == python, (python, lines)
        assert lines[1] == str(s.pw.pw_uid), lines  # the kernel runs as the service's user
        assert lines[2] == ("yes" if python == s.conda else "None"), lines

    # The same answers again: nothing to do.
    assert "Nothing to change" in _ok(s.apply(envs))

    # doctor starts each registered kernel through the server and checks what it runs
    r = run_wizard("doctor", "--password-stdin", stdin=PASSWORD, env=s.env(), timeout=300)
    line = _line(r.stdout, "kernels")
    assert "each ran its own interpreter" in line, r.stdout + r.stderr
    status = run_wizard("status", "--once", env=s.env()).stdout
    assert "Kernels (" in status and "conda-torch" in status, status

    # A kernelspec whose interpreter was deleted: flagged by status and doctor, with the fix.
    gone = Path(s.venv("gone", ipykernel=False))
    spec = json.loads((kernels_dir / names[s.with_ipk] / "kernel.json").read_text())
    spec["argv"][0] = str(gone)
    s.as_user("mkdir", "-p", str(kernels_dir / "gone"))
    s.as_user("sh", "-c", f"cat > {kernels_dir}/gone/kernel.json", stdin=json.dumps(spec))
    s.as_user("rm", "-rf", str(gone.parent.parent))
    r = run_wizard("status", "--once", env=s.env())
    assert r.returncode == 4, r.stdout  # running, with a finding
    assert "kernel gone:" in r.stdout and f"{gone} does not exist" in r.stdout, r.stdout
    assert "fix: remove it (kernels.remove = ['gone'])" in r.stdout, r.stdout
    r = run_wizard("doctor", "--password-stdin", stdin=PASSWORD, env=s.env(), timeout=300)
    assert r.returncode == 1 and "gone" in _line(r.stdout, "kernels"), r.stdout
    assert "kernels.remove = ['gone']" in r.stdout, r.stdout

    t0 = time.monotonic()
    _ok(run_wizard("rollback", "--yes", env=s.env(), timeout=600))
    print(f"[timing] rollback: {time.monotonic() - t0:.1f}s")
    after = _kernelspecs(url, session)  # the same server, still running
    assert set(after) == set(before) | {"gone"}, after  # the user's own one stays
    assert not (site / "ipykernel").exists()
    assert [p.parent.name for p in kernels_dir.glob("*/kernel.json")] == ["gone"]
    # The environments that had ipykernel still have it
    s.as_user(s.with_ipk, "-c", "import ipykernel")
