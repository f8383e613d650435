"""A real OpenSSH server on 127.0.0.1 for tests, with throw-away keys.

``LoopbackSshd`` runs ``/usr/sbin/sshd -D -e -f CONFIG`` on a free loopback port. Host key,
client key, authorized_keys and known_hosts are generated per instance in a temp dir, so tests
never touch /etc/ssh or ~/.ssh. Needs root (sshd privilege separation). Stdlib only.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest

from tests.support.ports import (
    HarnessError,
    free_port,
    read_log,
    stop_process,
    wait_for_port,
    wait_until,
)

SSHD = "/usr/sbin/sshd"
PRIVSEP_DIR = Path("/run/sshd")
SFTP_SERVER = Path("/usr/lib/openssh/sftp-server")
LOOPBACK = "127.0.0.1"


class LoopbackSshd:
    """sshd on 127.0.0.1:<free port> accepting one key for one local user.

    Use as a context manager (starts on enter, always stops on exit) or call start()/stop().
    """

    def __init__(
        self,
        user: str | None = None,
        *,
        extra_config: str = "",
        startup_timeout: float = 10.0,
        sshd_path: str = SSHD,
    ) -> None:
        self.user = user or getpass.getuser()
        self.host = LOOPBACK
        self.extra_config = extra_config
        self.startup_timeout = startup_timeout
        self.sshd_path = sshd_path
        self.port = 0
        self.startup_seconds = 0.0
        self._proc: subprocess.Popen[bytes] | None = None
        self._tmp = Path(tempfile.mkdtemp(prefix="jsw-sshd-"))
        # Layout: server/ and client/ are private (0700); auth/ is world-traversable because
        # sshd reads authorized_keys with the target user's uid, which may not be root.
        self._tmp.chmod(0o711)
        self.server_dir = self._tmp / "server"
        self.client_dir = self._tmp / "client"
        self.auth_dir = self._tmp / "auth"
        self.server_dir.mkdir(mode=0o700)
        self.client_dir.mkdir(mode=0o700)
        self.auth_dir.mkdir(mode=0o755)
        self.host_key = self.server_dir / "ssh_host_ed25519_key"
        self.config_path = self.server_dir / "sshd_config"
        self.log_path = self.server_dir / "sshd.log"
        self.client_key = self.client_dir / "id_ed25519"
        self.known_hosts = self.client_dir / "known_hosts"
        self.authorized_keys = self.auth_dir / "authorized_keys"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LoopbackSshd:
        """Generate keys, write the config, start sshd and wait until it listens."""
        if self._proc is not None:
            raise HarnessError("sshd already started")
        for tool in ("ssh-keygen", "ssh"):
            if shutil.which(tool) is None:
                raise HarnessError(f"{tool} not found: apt-get install openssh-client")
        if not Path(self.sshd_path).exists():
            raise HarnessError(f"{self.sshd_path} not found: apt-get install openssh-server")
        try:
            account = pwd.getpwnam(self.user)
        except KeyError:
            raise HarnessError(f"no local user {self.user!r}") from None
        t0 = time.monotonic()
        self._keygen(self.host_key, "jsw-test-host")
        self._keygen(self.client_key, "jsw-test-client")
        self.authorized_keys.write_text(self.client_key.with_suffix(".pub").read_text())
        self.authorized_keys.chmod(0o644)
        os.chown(self.auth_dir, account.pw_uid, account.pw_gid)
        os.chown(self.authorized_keys, account.pw_uid, account.pw_gid)
        # sshd refuses to start without its privilege-separation dir (normally made by systemd).
        PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
        # A port picked by free_port() can be taken before sshd binds it: retry with a new one.
        for attempt in range(3):
            self.port = free_port(self.host)
            self._write_config()
            self._launch()
            try:
                self._wait_listening()
                break
            except HarnessError:
                in_use = "Address already in use" in self.log()
                self.stop(remove_files=False)
                if not in_use or attempt == 2:
                    self.stop()
                    raise
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[{self.host}]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self, *, remove_files: bool = True) -> None:
        """Stop sshd and every session it spawned; remove the temp dir. Idempotent."""
        if self._proc is not None:
            stop_process(self._proc)
            self._proc = None
        if remove_files:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> LoopbackSshd:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- client side -----------------------------------------------------------------------

    @property
    def pid(self) -> int:
        """The listening sshd's pid: each login's processes are its descendants."""
        self._require_running()
        assert self._proc is not None
        return self._proc.pid

    @property
    def destination(self) -> str:
        """``user@127.0.0.1`` for ssh command lines."""
        return f"{self.user}@{self.host}"

    def ssh_base_argv(self) -> list[str]:
        """ssh options (no program name, no destination) that log in to this server only.

        ``-F /dev/null`` keeps the runner's ~/.ssh/config (ProxyCommand, ControlMaster, ...)
        out; BatchMode makes any prompt an immediate failure instead of a hang.
        """
        return [
            "-F",
            "/dev/null",
            "-i",
            str(self.client_key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={self.known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=10",
            "-o",
            "LogLevel=ERROR",
            "-p",
            str(self.port),
        ]

    def ssh_argv(self, remote_command: str | None = None) -> list[str]:
        """Full ``ssh ... user@127.0.0.1 [-- remote_command]`` argv."""
        argv = ["ssh", *self.ssh_base_argv(), self.destination]
        if remote_command is not None:
            argv += ["--", remote_command]
        return argv

    def run(
        self,
        remote_command: str,
        *,
        timeout: float = 30.0,
        check: bool = True,
        input: str | None = None,  # noqa: A002 - mirrors subprocess.run
    ) -> subprocess.CompletedProcess[str]:
        """Run ``remote_command`` (a shell string) through a real ssh login."""
        self._require_running()
        try:
            result = subprocess.run(
                self.ssh_argv(remote_command),
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=None if input is not None else subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(
                f"ssh {remote_command!r} timed out after {timeout}s\n{read_log(self.log_path)}"
            ) from exc
        if check and result.returncode != 0:
            raise HarnessError(
                f"ssh {remote_command!r} exited {result.returncode}\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}\n{read_log(self.log_path)}"
            )
        return result

    @contextlib.contextmanager
    def forward(
        self,
        local_port: int | None,
        remote_port: int,
        *,
        remote_host: str = LOOPBACK,
        timeout: float = 10.0,
    ) -> Iterator[int]:
        """``ssh -N -L 127.0.0.1:LOCAL:REMOTE_HOST:REMOTE`` for the ``with`` block.

        Yields the local port (a free one if ``local_port`` is None) once it accepts
        connections. ExitOnForwardFailure turns a failed bind into an ssh exit we can report.
        """
        self._require_running()
        port = local_port if local_port is not None else free_port(self.host)
        log_path = self.client_dir / f"forward-{port}.log"
        argv = [
            "ssh",
            *self.ssh_base_argv(),
            "-N",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ServerAliveInterval=5",
            "-L",
            f"{self.host}:{port}:{remote_host}:{remote_port}",
            self.destination,
        ]
        with log_path.open("wb") as log_file:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_for_port(
                self.host,
                port,
                timeout,
                process=proc,
                log=lambda: f"ssh -L client:\n{_read(log_path)}\nsshd:\n{self.log()}",
            )
            yield port
        finally:
            stop_process(proc)

    # -- diagnostics -----------------------------------------------------------------------

    def log(self) -> str:
        """The sshd log so far (stderr of ``sshd -e``)."""
        return _read(self.log_path)

    # -- internals -------------------------------------------------------------------------

    def _keygen(self, path: Path, comment: str) -> None:
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )

    def _write_config(self) -> None:
        lines = [
            f"Port {self.port}",
            f"ListenAddress {self.host}",
            f"HostKey {self.host_key}",
            f"PidFile {self.server_dir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.authorized_keys}",
            f"AllowUsers {self.user}",
            # Key-only login, also for root (the test runner here is root).
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            # PAM's pam_loginuid fails in containers; without PAM, accounts whose password
            # field starts with '!' count as locked and cannot log in (root's '*' is fine).
            "UsePAM no",
            # The key files live under /tmp (mode 1777), which StrictModes' path walk always
            # rejects; the temp dir perms above are tight anyway.
            "StrictModes no",
            "AllowTcpForwarding yes",
            "PrintMotd no",
            "LogLevel VERBOSE",
        ]
        if SFTP_SERVER.exists():
            lines.append(f"Subsystem sftp {SFTP_SERVER}")
        if self.extra_config:
            # Must come first: sshd keeps the first value it reads for most keywords.
            lines = [self.extra_config.strip(), *lines]
        self.config_path.write_text("\n".join(lines) + "\n")

    def _launch(self) -> None:
        # Fresh log per attempt, so the "Address already in use" check sees this attempt only.
        with self.log_path.open("wb") as log_file:
            self._proc = subprocess.Popen(
                [self.sshd_path, "-D", "-e", "-f", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_listening(self) -> None:
        marker = f"Server listening on {self.host} port {self.port}"
        wait_until(
            lambda: marker in self.log() or None,
            timeout=self.startup_timeout,
            what=f"sshd to listen on {self.host}:{self.port}",
            process=self._proc,
            log=self.log_path,
        )

    def _require_running(self) -> None:
        if self._proc is None or self._proc.poll() is not None:
            raise HarnessError(f"sshd is not running\n{read_log(self.log_path)}")


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


@pytest.fixture
def loopback_sshd() -> Iterator[LoopbackSshd]:
    """A running LoopbackSshd for the current user; import it into a conftest to use it."""
    with LoopbackSshd() as server:
        yield server
