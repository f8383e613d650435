"""How long does a first setup's install take with uv, and with pip?

The same create-venv apply (`jupyter-setup-wizard apply ANSWERS --yes`: a new venv with
JupyterLab, ~92 packages) with `installer = "pip"` and `installer = "uv"`, from a real package
index on loopback (the tests' wheelhouse, served as PEP 503 pages, configured in pip.conf, so
uv is given pip's index). Caches warm: one untimed run of each first, then --runs timed runs
of each, alternating.

    .venv/bin/python benchmarks/bench_install.py [--runs 3]

Prints the medians and the ratio; the issue's target is uv <= 1/4 of pip's time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.index import serve_index  # noqa: E402
from tests.support.jupyter import cache_dir  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.system.test_install import run_apply, wizard_env, write_answers  # noqa: E402


def one_apply(root: Path, index_url: str, installer: str) -> float:
    """Seconds for one whole create-venv apply in a fresh private world under root."""
    (root / "nb").mkdir(parents=True)
    conf = root / "pip.conf"
    conf.write_text(f"[global]\nindex-url = {index_url}\n")
    env = wizard_env(root, PIP_CONFIG_FILE=str(conf), UV_CACHE_DIR=str(cache_dir() / "uv"))
    for var in ("PIP_FIND_LINKS", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        env.pop(var, None)
    answers = write_answers(
        root / "a.toml",
        root / "venv",
        free_port(),
        root / "nb",
        install=f'installer = "{installer}"\n',
    )
    start = time.monotonic()
    r = run_apply(answers, env)
    took = time.monotonic() - start
    if r.returncode != 0 or f"installer: {installer}" not in r.stdout:
        sys.exit(f"the {installer} apply failed:\n{r.stdout[-2000:]}\n{r.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    times: dict[str, list[float]] = {"pip": [], "uv": []}
    with (
        tempfile.TemporaryDirectory(prefix="jsw-bench-install-") as tmp,
        serve_index(Path(tmp) / "index") as index,
    ):
        n = 0
        for run in range(args.runs + 1):  # run 0 warms both caches
            for installer in times:
                n += 1
                took = one_apply(Path(tmp) / f"w{n}", index.url, installer)
                if run:
                    times[installer].append(took)
    pip, uv = (statistics.median(times[k]) for k in ("pip", "uv"))
    for name, median in (("pip", pip), ("uv", uv)):
        runs = ", ".join(f"{t:.1f}" for t in times[name])
        print(f"create-venv apply with {name}: median {median:.1f} s  (runs: {runs})")
    ratio = uv / pip
    print(f"uv / pip = {ratio:.2f}  (target <= 0.25: {'met' if ratio <= 0.25 else 'NOT met'})")


if __name__ == "__main__":
    main()
