"""A real package index on loopback for install tests: PEP 503 "simple" pages over a wheelhouse
downloaded once per machine (JupyterLab, its dependencies, pip, an older Jinja2 and
JupyterLab that tests start from, the zh_CN language pack), served by `python -m http.server`;
and an index that accepts connections but never answers."""

from __future__ import annotations

import contextlib
import fcntl
import html
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.jupyter import cache_dir
from tests.support.ports import free_port, stop_process, wait_for_port

OLD_JINJA2 = "3.0.0"  # below JupyterLab's floor (>=3.0.3): an install must change it
OLD_JUPYTERLAB = "4.2.5"  # an upgrade's starting point (its wheel only, never resolved)
LANGUAGE_PACK = "jupyterlab-language-pack-zh-CN"  # install.language_pack = "zh_CN" (no deps)


def wheelhouse() -> Path:
    """JupyterLab and its dependencies as wheels, plus pip, Jinja2 3.0.0, JupyterLab 4.2.5 and
    the zh_CN language pack (downloaded on first use with this machine's pip settings, then reused)."""
    d = cache_dir() / "wheelhouse-jupyterlab"
    with open(cache_dir() / "wheelhouse.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (d / ".complete").exists():
            _download(d, "jupyterlab")
            (d / ".complete").touch()
        if not (d / ".complete-pip-jinja2").exists():
            _download(d, "pip")
            _download(d, "--no-deps", f"jinja2=={OLD_JINJA2}")
            (d / ".complete-pip-jinja2").touch()
        if not (d / ".complete-old-jupyterlab").exists():
            _download(d, "--no-deps", f"jupyterlab=={OLD_JUPYTERLAB}")
            (d / ".complete-old-jupyterlab").touch()
        if not (d / ".complete-language-pack").exists():
            _download(d, "--no-deps", LANGUAGE_PACK)
            (d / ".complete-language-pack").touch()
    return d


def _download(d: Path, *what: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(d), *what],
        check=True,
        timeout=900,
    )


def _project(wheel: str) -> str:
    """PEP 503's normalised project name of a wheel file."""
    return re.sub(r"[-_.]+", "-", wheel.split("-", 1)[0]).lower()


def build_simple_index(wheels: Path, root: Path) -> Path:
    """root/simple/<project>/index.html linking to root/files/<wheel> (a link to the wheelhouse)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "files").symlink_to(wheels, target_is_directory=True)
    projects: dict[str, list[str]] = {}
    for wheel in sorted(p.name for p in wheels.glob("*.whl")):
        projects.setdefault(_project(wheel), []).append(wheel)
    simple = root / "simple"
    for name, files in projects.items():
        (simple / name).mkdir(parents=True)
        links = "".join(
            f'<a href="../../files/{html.escape(f)}">{html.escape(f)}</a><br>\n' for f in files
        )
        (simple / name / "index.html").write_text(
            f"<!DOCTYPE html><html><body>\n{links}</body></html>\n"
        )
    index = "".join(f'<a href="{n}/">{n}</a><br>\n' for n in projects)
    (simple / "index.html").write_text(f"<!DOCTYPE html><html><body>\n{index}</body></html>\n")
    return simple


@dataclass
class LocalIndex:
    url: str  # http://127.0.0.1:PORT/simple
    log: Path  # the server's request log

    def requests(self) -> str:
        return self.log.read_text(errors="replace")


@contextlib.contextmanager
def serve_index(root: Path) -> Iterator[LocalIndex]:
    """The index under root on a free loopback port, for the with-block; stopped by pid."""
    simple = build_simple_index(wheelhouse(), root)
    port = free_port()
    log = root / "requests.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(simple.parent),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        wait_for_port("127.0.0.1", port, 15, process=proc, log=log)
        yield LocalIndex(f"http://127.0.0.1:{port}/simple", log)
    finally:
        stop_process(proc)


@contextlib.contextmanager
def silent_index() -> Iterator[str]:
    """An index URL whose server takes the connection and never answers a request."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)  # the kernel completes handshakes; nothing ever reads or answers
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/simple"
    finally:
        sock.close()
