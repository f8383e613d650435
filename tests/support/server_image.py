"""A server image for tests that reach a real systemd machine over SSH, and its sshd.

The image: the harness's bookworm rootfs plus openssh-server and sudo from the Debian mirror,
the wizard's dependencies in a venv at /opt/jsw (the wizard itself is installed per run, from
this checkout), and a JupyterLab wheelhouse used through /etc/pip.conf, so a pip install of
JupyterLab in the container needs no network. Built once, cached beside the base rootfs.

`start_sshd` gives a booted container of it an sshd on a free loopback port (the containers
share the host's network), a key made by the test, and a known_hosts line for its host key.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.nspawn import (
    TEST_UID,
    TEST_USER,
    HarnessError,
    SystemdContainer,
    chroot_run,
    ensure_derived_rootfs,
    ensure_rootfs,
    pip_env,
)
from tests.support.ports import free_port, wait_for_port

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).parents[2]
SRC = "/srv/src"  # where a test bind-mounts the checkout (read-only) in a container
HOME = f"/home/{TEST_USER}"
WIZ_VENV = "/opt/jsw"
WIZ_BIN = "/usr/local/bin/jupyter-setup-wizard"
WHEELS = "/var/cache/jsw-wheels"
CA = "/etc/ssl/certs/ca-certificates.crt"
SUDOERS = f"{TEST_USER} ALL=(root) NOPASSWD: {WIZ_BIN}\n"
# The machine's pip: the host's CA bundle (TLS may be intercepted by a proxy the host trusts) and
# only the wheelhouse, so the wizard's `pip install jupyterlab` is fast and needs no network.
PIP_CONF = f"[global]\ncert = {CA}\nno-index = true\nfind-links = {WHEELS}\n"
APT_PACKAGES = ("openssh-server", "sudo")
IMAGE_VERSION = "2"  # bump when build_image changes in a way the recipe text does not show


def wizard_deps() -> list[str]:
    """The wizard's runtime dependencies, as pyproject.toml lists them (markers included)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"])


def recipe() -> str:
    return "\n".join(
        [IMAGE_VERSION, *APT_PACKAGES, *wizard_deps(), "hatchling", SUDOERS, PIP_CONF, WIZ_VENV]
    )


def build_image(root: Path) -> None:
    """openssh-server and sudo from the Debian mirror; the wizard's venv; a JupyterLab wheelhouse."""
    # Nothing may start in the chroot (it shares the host's network: sshd would take port 22).
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    apt_env = {"DEBIAN_FRONTEND": "noninteractive"}
    chroot_run(root, ["apt-get", "update"], timeout=600, env=apt_env)
    chroot_run(
        root,
        ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
        timeout=900,
        env=apt_env,
    )
    policy.unlink()
    # What any installed Debian has (debootstrap writes none): "localhost" must not go to DNS.
    (root / "etc/hosts").write_text(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
    )
    # Started per test, once it has its own port and address.
    chroot_run(root, ["systemctl", "disable", "ssh.service"], timeout=60)

    pip = [f"{WIZ_VENV}/bin/pip", "install", "-q", "--cert", CA]
    chroot_run(root, ["/usr/bin/python3", "-m", "venv", WIZ_VENV], timeout=300)
    # hatchling: the repo's build backend, for the per-run offline install of the wizard itself.
    chroot_run(root, [*pip, *wizard_deps(), "hatchling"], timeout=1200, env=pip_env())
    chroot_run(
        root,
        [f"{WIZ_VENV}/bin/pip", "wheel", "-q", "--cert", CA, "-w", WHEELS, "jupyterlab"],
        timeout=1800,
        env=pip_env(),
    )
    (root / "etc/pip.conf").write_text(PIP_CONF)
    sudoers = root / "etc/sudoers.d/jsw-journey"
    sudoers.write_text(SUDOERS)
    sudoers.chmod(0o440)
    chroot_run(root, ["visudo", "-c", "-f", "/etc/sudoers.d/jsw-journey"], timeout=60)
    (root / WIZ_BIN.lstrip("/")).symlink_to(f"{WIZ_VENV}/bin/jupyter-setup-wizard")


def ensure_server_image() -> Path:
    """The cached image (built on first use; HarnessError if it cannot be)."""
    return ensure_derived_rootfs("journey", recipe(), build_image, base=ensure_rootfs())


@dataclass
class SshServer:
    """A container's sshd on a loopback port, with the test's key and the server's host key."""

    ct: SystemdContainer
    ssh_port: int
    key: Path
    known_hosts: Path

    @property
    def destination(self) -> str:
        return f"{TEST_USER}@127.0.0.1"

    def client_options(self) -> list[str]:
        """What makes the test's ssh client use only the test's key and host key."""
        return [
            "-F", "/dev/null",
            "-i", str(self.key),
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=10",
            "-o", "LogLevel=ERROR",
        ]  # fmt: skip

    def ssh(self, command: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`ssh -p PORT jupyteruser@127.0.0.1 -- COMMAND`, as the user types it."""
        argv = ["ssh", *self.client_options(), "-p", str(self.ssh_port), self.destination]
        return subprocess.run(
            [*argv, "--", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def sshd_log(self) -> str:
        return self.ct.journal("ssh.service", lines=40)


def start_sshd(ct: SystemdContainer, tmp: Path, *, label: str = "test") -> SshServer:
    """sshd in the booted container `ct` on a free loopback port, for TEST_USER with a new key in
    `tmp`; raises HarnessError when it does not come up."""
    # sudo (and anything else) resolves the machine's own name locally, not via DNS.
    hostname = ct.run(["hostname"]).stdout.strip()
    with ct.host_path("/etc/hosts").open("a") as hosts:
        hosts.write(f"127.0.1.1\t{hostname}\n")

    # The person's key in their authorized_keys; the server's host key in the client's known_hosts.
    key = tmp / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", label, "-f", str(key)],
        check=True,
        capture_output=True,
        stdin=subprocess.DEVNULL,
    )
    ssh_dir = ct.host_path(f"{HOME}/.ssh")
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    auth = ssh_dir / "authorized_keys"
    auth.write_text(key.with_suffix(".pub").read_text())
    auth.chmod(0o600)
    for p in (ssh_dir, auth):
        shutil.chown(p, TEST_UID, TEST_UID)

    port = free_port()
    ct.host_path("/etc/ssh/sshd_config.d/10-jsw-test.conf").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nPasswordAuthentication no\n"
        f"KbdInteractiveAuthentication no\nAllowUsers {TEST_USER}\n"
    )
    r = ct.systemctl("start", "ssh.service", check=False)
    if r.returncode != 0:
        raise HarnessError(f"sshd did not start:\n{r.stderr}\n{ct.journal('ssh.service')}")
    wait_for_port("127.0.0.1", port, 20, log=lambda: ct.journal("ssh.service"))
    host_pub = ct.host_path("/etc/ssh/ssh_host_ed25519_key.pub").read_text().split()
    known_hosts = tmp / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    return SshServer(ct, port, key, known_hosts)
