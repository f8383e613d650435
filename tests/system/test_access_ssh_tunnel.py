"""ssh-tunnel end to end: the command the wizard prints, run against a real sshd, logs in.

The printed command is run exactly as printed, with one insertion: `-F TEST_CONFIG` right after
`ssh`. That test-controlled ssh_config supplies the key, known_hosts and BatchMode for the
destination the command names (127.0.0.1, taken from SSH_CONNECTION like in a real session),
so the runner's own ~/.ssh never takes part.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import psutil
import pytest

from tests.support.jupyter import login, run_jupyter
from tests.support.ports import free_port, stop_process, wait_for_port
from tests.support.sshd import LoopbackSshd
from tests.system.test_access_common import apply, doctor, write_answers

pytestmark = pytest.mark.system

PASSWORD = "tunnel vision 42"


def _client_options(sshd: LoopbackSshd) -> str:
    return "\n".join([
        f"    IdentityFile {sshd.client_key}",
        "    IdentitiesOnly yes",
        f"    UserKnownHostsFile {sshd.known_hosts}",
        "    GlobalKnownHostsFile /dev/null",
        "    StrictHostKeyChecking yes",
        "    BatchMode yes",
        "    ConnectTimeout 10",
        "    LogLevel ERROR",
    ]) + "\n"  # fmt: skip


def _with_config(command: str, config: Path) -> list[str]:
    argv = shlex.split(command)
    assert argv[0] == "ssh"
    return [argv[0], "-F", str(config), *argv[1:]]


def _printed(output: str, prefix: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip().startswith(prefix)]
    assert lines, f"no line starting with {prefix!r}:\n{output}"
    return lines[0]


def _assert_login_through(local: int) -> None:
    url = f"http://localhost:{local}"
    status, session = login(url, PASSWORD)
    assert status == 302
    assert session.get(f"{url}/api/contents", timeout=10).status_code == 200


def test_printed_ssh_commands_forward_to_jupyter(jlab: str, tmp_path: Path) -> None:
    cfg, root, port, local = tmp_path / "cfg", tmp_path / "nb", free_port(), free_port()
    root.mkdir()
    answers = write_answers(
        tmp_path / "a.toml", jlab, cfg, root,
        network={"port": port}, access={"method": "ssh-tunnel", "local_port": local},
    )  # fmt: skip
    apply(answers, PASSWORD + "\n")
    with LoopbackSshd() as sshd, run_jupyter(jlab, cfg, tmp_path / "srv") as server:
        assert server.port == port
        # As in a real SSH session: the server side of SSH_CONNECTION is HOST and SSHPORT.
        env = {"SSH_CONNECTION": f"127.0.0.1 40000 127.0.0.1 {sshd.port}"}
        r = doctor(answers, env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        command = _printed(r.stdout, "ssh -N -L")
        user = sshd.user
        assert command == f"ssh -N -L {local}:localhost:{port} -p {sshd.port} -- {user}@127.0.0.1"
        assert f"Then open: http://localhost:{local}/lab" in r.stdout

        test_config = tmp_path / "ssh_config"
        test_config.write_text("Host 127.0.0.1\n" + _client_options(sshd))

        # 1. The foreground command, as printed.
        proc = subprocess.Popen(_with_config(command, test_config), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
        try:
            wait_for_port("127.0.0.1", local, 15, process=proc)
            _assert_login_through(local)
        finally:
            stop_process(proc)

        # 2. The background variant: ssh forks once the forward is up; found and stopped by pid.
        background = _printed(r.stdout, "ssh -f -N")
        argv = _with_config(background, test_config)
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
        )
        assert done.returncode == 0, done.stderr
        forked = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == argv]
        assert len(forked) == 1
        try:
            wait_for_port("127.0.0.1", local, 15)
            _assert_login_through(local)
        finally:
            forked[0].terminate()
            forked[0].wait(10)

        # 3. The ~/.ssh/config snippet, with the test's key options added for every host.
        lines = r.stdout.splitlines()
        start = lines.index("Or add this to ~/.ssh/config there:") + 1
        snippet = []
        for ln in lines[start:]:
            if not ln.startswith("  ") or not ln.strip():
                break
            snippet.append(ln[2:])
        alias = snippet[0].split()[1]
        assert f"    LocalForward {local} localhost:{port}" in snippet
        snippet_config = tmp_path / "ssh_config_snippet"
        snippet_config.write_text("\n".join(snippet) + "\n\nHost *\n" + _client_options(sshd))
        proc = subprocess.Popen(["ssh", "-F", str(snippet_config), "-N", alias],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            wait_for_port("127.0.0.1", local, 15, process=proc)
            _assert_login_through(local)
        finally:
            stop_process(proc)
