"""Harness for tests that need a real systemd: a Debian bookworm rootfs booted with systemd-nspawn.

Recipe and traps: /work/shared/reference/real-systemd-in-tests.md. In short: the host has no
systemd, no D-Bus and no machined, so nspawn runs with ``--register=no --keep-unit`` inside a cgroup
we create ourselves, and the container is driven with ``nsenter`` into its PID 1
(``systemctl -M`` cannot work).
The container shares the host network: a service on 127.0.0.1:PORT inside answers on the host.

Stdlib only; needs root.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType

SUITE = "bookworm"
PACKAGES: tuple[str, ...] = (
    "systemd",
    "systemd-sysv",
    "dbus",
    "python3",
    "python3-venv",
    "python3-pip",
    "ca-certificates",
    "iproute2",
    "procps",
    # pam_systemd and a user bus: without them user@.service (systemd-user units) cannot start.
    "libpam-systemd",
    "dbus-user-session",
)
JLAB_VENV = "/opt/jlab"
TEST_USER = "jupyteruser"
TEST_UID = 1000
# Bump when the build recipe changes: a cached rootfs with another stamp is rebuilt.
RECIPE_VERSION = "3"
STAMP_NAME = ".jsw-rootfs-stamp"

DEFAULT_CACHE_DIR = Path("/var/cache/jsw-test/rootfs-bookworm")
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Names of everything this module creates on the host (cgroups, session dirs) start with this,
# followed by the owning process id, so leftovers of a killed run can be found and swept.
NAME_PREFIX = "jsw"
DEFAULT_WORK_BASE = Path("/var/tmp")


class HarnessError(RuntimeError):
    """The harness could not build, boot or drive the container."""


def _log(msg: str) -> None:
    print(f"[nspawn] {msg}", file=sys.stderr, flush=True)


def require_tools(*tools: str) -> None:
    """Raise HarnessError naming every missing host tool (a missing dependency is a failure)."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        raise HarnessError(
            f"missing host tool(s): {', '.join(missing)} "
            "(Debian: apt-get install -y systemd-container debootstrap util-linux coreutils)"
        )
    if os.geteuid() != 0:
        raise HarnessError("the systemd-nspawn harness must run as root")


def debian_mirror() -> str:
    """The Debian mirror of this machine's apt sources (never hard-coded)."""
    if DEBIAN_SOURCES.exists():
        for line in DEBIAN_SOURCES.read_text().splitlines():
            if line.startswith("URIs:"):
                return line.split()[1]
    sources_list = Path("/etc/apt/sources.list")
    if sources_list.exists():
        for line in sources_list.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb":
                return parts[1] if not parts[1].startswith("[") else parts[2]
    raise HarnessError(f"no Debian mirror found in {DEBIAN_SOURCES} or {sources_list}")


def _recipe_stamp() -> str:
    recipe = "\n".join([RECIPE_VERSION, SUITE, *PACKAGES, JLAB_VENV, TEST_USER, str(TEST_UID)])
    return hashlib.sha256(recipe.encode()).hexdigest()[:16]


def default_cache_dir() -> Path:
    return Path(os.environ.get("JSW_ROOTFS_CACHE") or DEFAULT_CACHE_DIR)


# --------------------------------------------------------------------------- mounts / removal


def _mounts_under(path: Path) -> list[str]:
    """Mount points at or below `path`, deepest first (from /proc/self/mountinfo)."""
    prefix = str(path.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        mnt = line.split()[4].replace("\\040", " ")
        if mnt == prefix or mnt.startswith(prefix + "/"):
            found.append(mnt)
    return sorted(found, key=len, reverse=True)


def _unmount_all_under(path: Path) -> None:
    for mnt in _mounts_under(path):
        r = subprocess.run(["umount", mnt], capture_output=True, text=True)
        if r.returncode != 0:  # busy: detach it, the kernel frees it when the last user goes
            subprocess.run(["umount", "--lazy", mnt], capture_output=True, text=True)


def _remove_tree(path: Path) -> None:
    """rm -rf that first unmounts anything below (never descend into a leftover mount)."""
    if not path.exists():
        return
    _unmount_all_under(path)
    if _mounts_under(path):
        raise HarnessError(f"refusing to delete {path}: still has mounts {_mounts_under(path)}")
    shutil.rmtree(path, ignore_errors=True)
    if path.exists():  # e.g. immutable files: let rm report it
        subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=False)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_pid(name: str) -> int | None:
    """Owner pid encoded in a name 'jsw-...-<pid>-<hex>' made by this module."""
    parts = name.split("-")
    if len(parts) >= 3 and parts[0] == NAME_PREFIX and parts[-2].isdigit():
        return int(parts[-2])
    return None


# --------------------------------------------------------------------------- rootfs build


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock so concurrent test sessions build the rootfs once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_isolated(argv: Sequence[str], *, timeout: float, proc_dir: str = "/proc") -> None:
    """Run a build step in private mount + pid namespaces; output to stderr, failure raises.

    Why: debootstrap and chroot steps mount /proc and fork daemons. In their own namespaces the
    mounts vanish with them, and the whole process tree dies if we do (pdeathsig on unshare,
    --kill-child on the namespace's init) or time out: an interrupted build leaves nothing
    running or mounted, so its temp dir can be deleted safely by the next session.
    """
    cmd = [
        *("setpriv", "--pdeathsig=KILL", "--"),
        *("unshare", "--mount", "--propagation=private", "--pid", "--fork", "--kill-child"),
        f"--mount-proc={proc_dir}",
        *argv,
    ]
    _log("$ " + " ".join(argv))
    try:
        r = subprocess.run(cmd, stdout=sys.stderr, stderr=sys.stderr, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise HarnessError(f"timed out after {timeout:.0f}s: {' '.join(argv)}") from exc
    if r.returncode != 0:
        raise HarnessError(f"exit {r.returncode}: {' '.join(argv)}")


def _chroot(
    root: Path, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> None:
    full_env = {"PATH": CONTAINER_PATH, "HOME": "/root", "LANG": "C.UTF-8", **(env or {})}
    cmd = ["chroot", str(root), "env", "-i", *(f"{k}={v}" for k, v in full_env.items()), *argv]
    _run_isolated(cmd, timeout=timeout, proc_dir=f"{root}/proc")


def _pip_env() -> dict[str, str]:
    # Forward only the host's pip settings that make sense inside (network index, timeout);
    # host-local find-links/file:// indexes do not exist in the chroot.
    env = {
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_CACHE_DIR": "1",
        "PIP_DEFAULT_TIMEOUT": "180",
    }
    for key in ("PIP_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_DEFAULT_TIMEOUT"):
        val = os.environ.get(key, "")
        if val and not val.startswith("file:"):
            env[key] = val
    return env


def _build_rootfs(target: Path) -> dict[str, float]:
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    _run_isolated(
        [
            "debootstrap",
            "--variant=minbase",
            f"--include={','.join(PACKAGES)}",
            SUITE,
            str(target),
            debian_mirror(),
        ],
        timeout=1200,
    )
    timings["debootstrap"] = time.monotonic() - t0

    # pip inside needs the host's CA bundle (TLS may be intercepted by a proxy the host trusts).
    if HOST_CA_BUNDLE.exists():
        shutil.copy2(HOST_CA_BUNDLE, target / "etc/ssl/certs/ca-certificates.crt")
    shutil.copy2("/etc/resolv.conf", target / "etc/resolv.conf", follow_symlinks=True)

    t0 = time.monotonic()
    _chroot(target, ["/usr/bin/python3", "-m", "venv", JLAB_VENV], timeout=300)
    _chroot(
        target,
        [
            f"{JLAB_VENV}/bin/pip",
            "install",
            "--cert",
            "/etc/ssl/certs/ca-certificates.crt",
            "jupyterlab",
        ],
        timeout=1200,
        env=_pip_env(),
    )
    timings["pip_jupyterlab"] = time.monotonic() - t0

    _chroot(
        target,
        [
            "useradd",
            "--create-home",
            "--uid",
            str(TEST_UID),
            "--user-group",
            "--shell",
            "/bin/bash",
            TEST_USER,
        ],
        timeout=60,
    )
    # Slimmer copies per session; a fresh machine-id is generated at each boot.
    for deb in (target / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    (target / "etc/machine-id").write_text("")
    (target / STAMP_NAME).write_text(_recipe_stamp() + "\n")
    return timings


def ensure_rootfs(cache_dir: Path | None = None) -> Path:
    """Return a ready bookworm rootfs, building it once into `cache_dir` (default: $JSW_ROOTFS_CACHE
    or /var/cache/jsw-test/rootfs-bookworm). The build goes to a temp dir renamed into place at the
    end, so an interrupted build is never reused. The result is a read-only template: boot copies.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()

    def build(tmp: Path) -> str:
        _log(f"building {SUITE} rootfs into {tmp} (a few minutes, once)")
        timings = _build_rootfs(tmp)
        return "(" + ", ".join(f"{k} {v:.1f}s" for k, v in timings.items()) + ")"

    return _build_cached(
        cache_dir, _recipe_stamp(), ("debootstrap", "unshare", "chroot", "setpriv"), build
    )


def _build_cached(
    cache_dir: Path, stamp: str, tools: Sequence[str], build: Callable[[Path], str]
) -> Path:
    """`cache_dir` when its stamp file says `stamp`; else built by `build(tmp)` into a temp dir
    renamed into place (an interrupted build is never reused), under a lock (parallel runs do
    not build twice). `build` leaves the stamp file and returns a few words for the log."""

    def ready() -> bool:
        f = cache_dir / STAMP_NAME
        return f.is_file() and f.read_text().strip() == stamp

    if ready():
        return cache_dir
    with _file_lock(cache_dir.parent / f".{cache_dir.name}.lock"):
        if ready():  # another session built it while we waited
            return cache_dir
        require_tools(*tools)
        # Under the lock nobody else is building: any temp dir is left by an interrupted build.
        for stale in cache_dir.parent.glob(f".{cache_dir.name}.build-*"):
            _log(f"removing interrupted build {stale}")
            _remove_tree(stale)
        if cache_dir.exists():
            _log(f"rebuilding {cache_dir}: recipe stamp differs")
            _remove_tree(cache_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}.build-", dir=cache_dir.parent))
        # mkdtemp makes it 0700, and it becomes the container's "/": non-root users could not
        # traverse anything (overlay hides this, since the merged root takes the upper dir's mode).
        tmp.chmod(0o755)
        t0 = time.monotonic()
        try:
            said = build(tmp)
            os.rename(tmp, cache_dir)
        except BaseException:
            _remove_tree(tmp)
            raise
        _log(f"{cache_dir} ready in {time.monotonic() - t0:.1f}s {said}")
    return cache_dir


# --------------------------------------------------------------------------- cgroups


def cgroup_hierarchies() -> list[Path]:
    """Hierarchies nspawn must be placed in: hybrid (name=systemd v1 + unified v2) or pure v2."""
    base = Path("/sys/fs/cgroup")
    if (base / "cgroup.controllers").exists():  # pure cgroup2
        return [base]
    found = [p for p in (base / "systemd", base / "unified") if (p / "cgroup.procs").exists()]
    if not found:
        raise HarnessError(
            "no usable cgroup hierarchy under /sys/fs/cgroup (need name=systemd or cgroup2)"
        )
    return found


def _cgroup_pids(cg: Path) -> set[int]:
    pids: set[int] = set()
    if not cg.is_dir():
        return pids
    for procs in cg.rglob("cgroup.procs"):
        with contextlib.suppress(OSError):
            pids.update(int(x) for x in procs.read_text().split())
    return pids


def _kill_cgroup_tree(cgroups: Sequence[Path], timeout: float = 10.0) -> None:
    """SIGKILL all in the cgroups (repeatedly: they may fork meanwhile), then rmdir bottom-up."""
    deadline = time.monotonic() + timeout
    while True:
        pids = set().union(*(_cgroup_pids(cg) for cg in cgroups))
        if not pids:
            break
        if time.monotonic() > deadline:
            raise HarnessError(
                f"processes survive SIGKILL in {[str(c) for c in cgroups]}: {sorted(pids)}"
            )
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
    for cg in cgroups:
        if not cg.is_dir():
            continue
        dirs = sorted(
            (d for d in cg.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True
        )
        for d in [*dirs, cg]:
            for _ in range(50):  # rmdir races with the kernel reaping the last task
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)
            else:
                raise HarnessError(f"cannot remove cgroup {d}")


def sweep_stale(work_base: Path = DEFAULT_WORK_BASE) -> None:
    """Remove cgroups, overlay mounts and session dirs left by a harness process that was killed
    (SIGKILL, OOM, power loss). Only names whose owner pid is dead are touched."""
    for h in cgroup_hierarchies():
        for cg in h.glob(f"{NAME_PREFIX}-*"):
            owner = _owner_pid(cg.name)
            if owner is not None and not _pid_alive(owner):
                _log(f"sweeping stale cgroup {cg}")
                with contextlib.suppress(HarnessError):
                    _kill_cgroup_tree([cg])
    for d in work_base.glob(f"{NAME_PREFIX}-nspawn-*"):
        owner = _owner_pid(d.name)
        if owner is not None and not _pid_alive(owner):
            _log(f"sweeping stale session dir {d}")
            with contextlib.suppress(HarnessError):
                _remove_tree(d)


# --------------------------------------------------------------------------- container


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    """Wait until a TCP connect to host:port succeeds (Type=simple returns before it listens)."""
    deadline = time.monotonic() + timeout
    last: OSError | None = None
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1.0):
                return
        except OSError as exc:
            last = exc
            time.sleep(0.1)
    raise TimeoutError(
        f"nothing listens on {host}:{port} after {timeout:.0f}s (last error: {last})"
    )


class SystemdContainer:
    """A booted systemd (as PID 1) in systemd-nspawn, on a per-instance writable copy of `image`.

    `copy_mode` "overlay" (default; measured fastest here) mounts an overlayfs over the read-only
    image; "copy" does `cp -a --reflink=auto`. The copy lives until close(): reboot() keeps state
    (enabled units, files), a new instance starts clean. Use as a context manager or call
    boot()/close(); close() always kills leftovers and removes cgroups, mounts and the copy.
    """

    BOOT_TIMEOUT = 90.0
    POWEROFF_TIMEOUT = 30.0

    def __init__(
        self,
        image: Path,
        *,
        bind: Sequence[str] = (),
        bind_ro: Sequence[str] = (),
        copy_mode: str = "overlay",
        work_base: Path = DEFAULT_WORK_BASE,
        name: str | None = None,
    ) -> None:
        if copy_mode not in ("overlay", "copy"):
            raise ValueError(f"copy_mode must be 'overlay' or 'copy', not {copy_mode!r}")
        self.image = Path(image)
        self.bind = list(bind)
        self.bind_ro = list(bind_ro)
        self.copy_mode = copy_mode
        self.work_base = Path(work_base)
        # <prefix>-<label>-<owner pid>-<hex>: unique, and sweep_stale() can tell if the owner died.
        self.name = f"{NAME_PREFIX}-{name or 'ct'}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.session_dir: Path | None = None
        self._root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._leader: int | None = None
        self._cgroups: list[Path] = []
        self.boot_state: str | None = None
        self.failed_units: list[str] = []
        self.timings: dict[str, float] = {}

    # ---- paths

    @property
    def root(self) -> Path:
        """Host path of the container's (writable) root directory."""
        if self._root is None:
            raise HarnessError("container root not prepared: call prepare() or boot() first")
        return self._root

    def host_path(self, container_path: str | os.PathLike[str]) -> Path:
        """Host path of a container path on the root fs (not inside tmpfs like /tmp or /run)."""
        return self.root / str(container_path).lstrip("/")

    @property
    def log_path(self) -> Path:
        assert self.session_dir is not None
        return self.session_dir / "nspawn.log"

    @property
    def leader_pid(self) -> int:
        """Host pid of the container's PID 1 (systemd)."""
        if self._leader is None or not self.running:
            raise HarnessError(f"container {self.name} is not running")
        return self._leader

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _nspawn_log(self, tail: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except (OSError, AssertionError):
            return "(no nspawn log)"
        return "\n".join(lines[-tail:])

    def _fail(self, msg: str) -> HarnessError:
        return HarnessError(
            f"{msg}\n--- nspawn log ({self.log_path if self.session_dir else '-'}) ---\n"
            f"{self._nspawn_log()}"
        )

    # ---- writable copy

    def prepare(self) -> Path:
        """Create the writable copy (boot() does it too); lets tests drop files in before boot."""
        if self._root is not None:
            return self._root
        if not (self.image / "sbin/init").exists() and not (self.image / "usr/sbin/init").exists():
            raise HarnessError(f"{self.image} does not look like a systemd rootfs (no /sbin/init)")
        self.work_base.mkdir(parents=True, exist_ok=True)
        self.session_dir = Path(
            tempfile.mkdtemp(prefix=f"{NAME_PREFIX}-nspawn-{os.getpid()}-", dir=self.work_base)
        )
        t0 = time.monotonic()
        try:
            root = self.session_dir / "root"
            if self.copy_mode == "overlay":
                upper, work = self.session_dir / "upper", self.session_dir / "work"
                for d in (root, upper, work):
                    d.mkdir()
                opts = f"lowerdir={self.image},upperdir={upper},workdir={work}"
                r = subprocess.run(
                    ["mount", "-t", "overlay", "overlay", "-o", opts, str(root)],
                    capture_output=True,
                    text=True,
                )
                if r.returncode != 0:
                    raise HarnessError(f"overlay mount failed: {r.stderr.strip()}")
            else:
                r = subprocess.run(
                    ["cp", "-a", "--reflink=auto", str(self.image), str(root)],
                    capture_output=True,
                    text=True,
                )
                if r.returncode != 0:
                    raise HarnessError(f"copy of {self.image} failed: {r.stderr.strip()}")
        except BaseException:
            _remove_tree(self.session_dir)
            self.session_dir = None
            raise
        self._root = root
        self.timings["prepare"] = time.monotonic() - t0
        return root

    # ---- lifecycle

    def boot(self, timeout: float | None = None) -> None:
        """Start systemd-nspawn --boot and wait until the system finished starting up."""
        if self.running:
            raise HarnessError(f"container {self.name} is already running")
        require_tools("systemd-nspawn", "nsenter", "mount", "umount")
        timeout = timeout or self.BOOT_TIMEOUT
        sweep_stale(self.work_base)
        self.prepare()
        t0 = time.monotonic()
        deadline = t0 + timeout
        self._cgroups = [h / self.name for h in cgroup_hierarchies()]
        for cg in self._cgroups:
            cg.mkdir(exist_ok=True)
        argv = [
            "systemd-nspawn",
            "--boot",
            f"--directory={self.root}",
            f"--machine={self.name[:64]}",
            "--register=no",  # no machined on the host
            "--keep-unit",  # no systemd on the host to make a scope
            "--console=passive",
            *(f"--bind={b}" for b in self.bind),
            *(f"--bind-ro={b}" for b in self.bind_ro),
        ]
        # The wrapper shell moves itself into our cgroups, then execs nspawn (no preexec_fn needed).
        wrapper = (
            'for f in "$@"; do case $f in /sys/fs/cgroup/*) echo $$ > "$f"; shift;; '
            '*) break;; esac; done; exec "$@"'
        )
        procs_files = [str(cg / "cgroup.procs") for cg in self._cgroups]
        with open(self.log_path, "ab") as log:
            self._proc = subprocess.Popen(
                ["/bin/sh", "-c", wrapper, "sh", *procs_files, *argv],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # A Ctrl-C to pytest must not hit nspawn before our teardown does.
                start_new_session=True,
            )
        try:
            self._leader = self._wait_leader(deadline)
            private = Path(f"/proc/{self._leader}/root/run/systemd/private")
            while not private.exists():
                self._check_alive("waiting for systemd's private socket")
                if time.monotonic() > deadline:
                    raise self._fail(
                        f"systemd in {self.name} did not come up within {timeout:.0f}s"
                    )
                time.sleep(0.05)
            remaining = max(1.0, deadline - time.monotonic())
            try:
                r = self.run(
                    ["systemctl", "is-system-running", "--wait"], check=False, timeout=remaining
                )
            except subprocess.TimeoutExpired:
                jobs = self.run(
                    ["systemctl", "list-jobs", "--no-pager"], check=False, timeout=10
                ).stdout
                raise self._fail(
                    f"boot of {self.name} did not finish within {timeout:.0f}s; jobs:\n{jobs}"
                ) from None
            self.boot_state = r.stdout.strip()
            if self.boot_state not in ("running", "degraded"):
                raise self._fail(f"container {self.name} booted to state {self.boot_state!r}")
            self.failed_units = []
            if self.boot_state == "degraded":
                out = self.systemctl(
                    "--failed", "--no-legend", "--plain", "--no-pager", check=False
                ).stdout
                self.failed_units = [ln.split()[0] for ln in out.splitlines() if ln.strip()]
                _log(
                    f"{self.name} booted degraded; failed units: "
                    f"{', '.join(self.failed_units) or '?'}"
                )
        except BaseException:
            self.poweroff(timeout=10)
            raise
        self.timings["boot"] = time.monotonic() - t0

    def _check_alive(self, what: str) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise self._fail(f"systemd-nspawn exited with {self._proc.returncode} while {what}")

    def _wait_leader(self, deadline: float) -> int:
        assert self._proc is not None
        pid = self._proc.pid
        while True:
            self._check_alive("waiting for the container's PID 1")
            children: list[int] = []
            with contextlib.suppress(OSError):
                for task in Path(f"/proc/{pid}/task").iterdir():
                    children += [int(c) for c in (task / "children").read_text().split()]
            # The sh wrapper exec'd nspawn (same pid); nspawn's only child is the container init.
            with contextlib.suppress(OSError):
                if (
                    children
                    and os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "systemd-nspawn"
                ):
                    leader = children[0]
                    if os.path.basename(os.readlink(f"/proc/{leader}/exe")) == "systemd":
                        return leader
            if time.monotonic() > deadline:
                raise self._fail("no container PID 1 appeared")
            time.sleep(0.05)

    def poweroff(self, timeout: float | None = None) -> None:
        """Clean shutdown (SIGRTMIN+4 to systemd), wait for nspawn; then TERM, KILL, remove cgroups.
        Never raises for a container that is already gone; safe to call repeatedly."""
        timeout = timeout or self.POWEROFF_TIMEOUT
        proc = self._proc
        try:
            if proc is not None and proc.poll() is None:
                if self._leader is not None:
                    with contextlib.suppress(ProcessLookupError):
                        # systemd's "poweroff" signal: no nsenter that shutdown would have to kill.
                        os.kill(self._leader, signal.SIGRTMIN + 4)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    _log(
                        f"{self.name}: no clean poweroff within {timeout:.0f}s, "
                        "sending SIGTERM to nspawn"
                    )
                    proc.terminate()  # nspawn turns TERM into a halt request to the container
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        _log(f"{self.name}: nspawn ignores SIGTERM, killing everything")
                        proc.kill()
                        proc.wait(timeout=10)
        finally:
            self._leader = None
            self._proc = None
            if self._cgroups:
                _kill_cgroup_tree(self._cgroups)
                self._cgroups = []

    def reboot(self, timeout: float | None = None) -> None:
        """poweroff() then boot() on the same writable copy (state persists, like a real reboot)."""
        self.poweroff()
        self.boot(timeout=timeout)

    def close(self) -> None:
        """Power off and remove the writable copy (overlay mount, session dir). Idempotent."""
        try:
            self.poweroff()
        finally:
            if self.session_dir is not None:
                _remove_tree(self.session_dir)
            self.session_dir = None
            self._root = None

    def __enter__(self) -> SystemdContainer:
        try:
            self.boot()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ---- commands

    def _user_env(self, user: str) -> dict[str, str]:
        for line in self.host_path("/etc/passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == user:
                return {"HOME": fields[5], "USER": user, "LOGNAME": user, "SHELL": fields[6]}
        raise HarnessError(f"no user {user!r} in the container's /etc/passwd")

    def run(
        self,
        argv: Sequence[str],
        *,
        check: bool = True,
        input: str | None = None,  # noqa: A002 (mirrors subprocess.run)
        timeout: float = 60.0,
        user: str | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run argv in the container (all its namespaces, clean environment), as root or `user`."""
        full_env = {"PATH": CONTAINER_PATH, "LANG": "C.UTF-8"}
        prefix: list[str] = []
        if user is not None:
            full_env.update(self._user_env(user))
            # setpriv, not runuser/su: no PAM session, no TTY games, just the credentials.
            prefix = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"]
        full_env.update(env or {})
        cmd = [
            "nsenter",
            f"--target={self.leader_pid}",
            "--all",
            *([f"--wd={cwd}"] if cwd else []),
            "--",
            "env",
            "-i",
            *(f"{k}={v}" for k, v in full_env.items()),
            *prefix,
            *argv,
        ]
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise subprocess.CalledProcessError(r.returncode, list(argv), r.stdout, r.stderr)
        return r

    def systemctl(
        self, *args: str, check: bool = True, timeout: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        return self.run(["systemctl", "--no-pager", *args], check=check, timeout=timeout)

    def journal(self, unit: str, lines: int = 100) -> str:
        """The unit's journal of the current boot (the journal persists across reboots)."""
        r = self.run(
            ["journalctl", "-b", "-u", unit, "-n", str(lines), "--no-pager", "--no-hostname"],
            check=False,
        )
        return r.stdout + r.stderr

    def host_pid(self, container_pid: int) -> int:
        """Host pid of a pid inside the container (MainPID etc. are container-namespace pids)."""
        ns = os.readlink(f"/proc/{self.leader_pid}/ns/pid")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.readlink(entry / "ns/pid") != ns:
                    continue
                for line in (entry / "status").read_text().splitlines():
                    if line.startswith("NSpid:") and int(line.split()[-1]) == container_pid:
                        return int(entry.name)
            except OSError:
                continue
        raise HarnessError(f"no process with pid {container_pid} in container {self.name}")


# --------------------------------------------------------------------------- derived images


def chroot_run(
    root: Path, argv: Sequence[str], *, timeout: float, env: Mapping[str, str] | None = None
) -> None:
    """Run a build step in a chroot of `root` (own mount + pid namespaces, /proc mounted, clean
    environment); output to stderr, a non-zero exit raises HarnessError."""
    _chroot(root, argv, timeout=timeout, env=env)


def pip_env() -> dict[str, str]:
    """The host's pip settings that make sense inside a chroot or container (network index,
    timeout; never host-local file:// indexes)."""
    return _pip_env()


def ensure_derived_rootfs(
    name: str,
    recipe: str,
    build: Callable[[Path], None],
    *,
    base: Path | None = None,
) -> Path:
    """A rootfs made of the base one (ensure_rootfs()) plus `build(root)`, cached beside the base
    as ``<base>-<name>``.

    `recipe` is any text that changes when `build` would make something else (package lists,
    versions, file contents): the cache is keyed on it and on the base's own stamp, so a new
    base or recipe rebuilds it. Like the base, it is built into a temp dir renamed into place,
    under a lock, and is a read-only template afterwards (SystemdContainer boots overlays of it).
    `build` runs steps with chroot_run(); a failure removes the half-built copy.
    """
    base = Path(base) if base is not None else ensure_rootfs()
    base_stamp = (base / STAMP_NAME).read_text().strip()
    stamp = hashlib.sha256(f"{base_stamp}\n{name}\n{recipe}".encode()).hexdigest()[:16]
    cache_dir = base.parent / f"{base.name}-{name}"

    def derive(tmp: Path) -> str:
        _log(f"building {cache_dir.name} from {base} into {tmp}")
        r = subprocess.run(
            ["cp", "-a", "--reflink=auto", f"{base}/.", f"{tmp}/"],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            raise HarnessError(f"copy of {base} failed: {r.stderr.strip()}")
        build(tmp)
        for deb in (tmp / "var/cache/apt/archives").glob("*.deb"):
            deb.unlink()
        (tmp / "etc/machine-id").write_text("")
        (tmp / STAMP_NAME).write_text(stamp + "\n")
        return f"(from {base.name})"

    return _build_cached(cache_dir, stamp, ("unshare", "chroot", "setpriv", "cp"), derive)
