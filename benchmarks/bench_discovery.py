"""How long does discovering every Python environment take with 10 venvs present?

Creates 10 real venvs (python -m venv) in a temporary home, some in the tools' usual places and
some in project folders, then times `wizard.probe.discovery.discover()` over that home plus the
machine's own interpreters (the wizard's, python3 on PATH, /usr/bin/python3).

    .venv/bin/python benchmarks/bench_discovery.py [--venvs 10] [--runs 20]

Prints the median and worst time; the issue's bar is under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wizard.probe.discovery import discover

PLACES = [
    ".venv",
    "venv",
    "projects/analysis/.venv",
    "projects/web/venv",
    "work/client/a/.venv",
    ".virtualenvs/data",
    ".virtualenvs/ml",
    ".local/share/virtualenvs/site-abc123",
    ".local/share/pipx/venvs/black",
    "envs/jupyter",
]


def make_home(root: Path, count: int) -> list[Path]:
    made = []
    for i in range(count):
        place = PLACES[i] if i < len(PLACES) else f"more/env{i}/.venv"
        venv = root / place
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        made.append(venv)
    # some ordinary clutter to walk past
    for i in range(200):
        d = root / "projects" / f"p{i}" / "src"
        d.mkdir(parents=True, exist_ok=True)
        (d / "main.py").write_text("print('hi')\n")
    return made


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--venvs", type=int, default=10)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="jsw-bench-") as tmp:
        home = Path(tmp)
        made = make_home(home, args.venvs)
        times = []
        found: list[str] = []
        for _ in range(args.runs):
            start = time.perf_counter()
            envs = discover(homes=[home], timeout=5.0)  # generous: we measure, not cut short
            times.append(time.perf_counter() - start)
            found = [e.prefix for e in envs]
        missing = [str(v) for v in made if str(v) not in found]
        print(f"environments found: {len(found)} ({args.venvs} venvs made, {len(missing)} missed)")
        for m in missing:
            print(f"  missed: {m}")
        print(
            f"discover() with {args.venvs} venvs: median {statistics.median(times) * 1000:.0f} ms, "
            f"worst {max(times) * 1000:.0f} ms over {args.runs} runs (bar: 1000 ms)"
        )
        return 0 if max(times) < 1.0 and not missing else 1


if __name__ == "__main__":
    raise SystemExit(main())
