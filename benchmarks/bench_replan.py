"""How long does planning take again with the same answers and a non-trivial config?

The TUI plans at every visit of Review. With author config files on Jupyter's search path the
plan loads today's and the would-be config with the target's own Jupyter (seconds); the same
bytes load the same config, so a second plan reuses that load.

    .venv/bin/python benchmarks/bench_replan.py [--python JLAB_PYTHON] [--runs 5]

Prints the first plan's time and the median of the plans after it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.jupyter import shared_jlab_python  # noqa: E402
from wizard import session  # noqa: E402
from wizard.core.answers import Answers  # noqa: E402
from wizard.plan.secrets import Secrets  # noqa: E402

CONFIG = REPO / "tests/data/jupyter-configs/15-kernel-culling-course/jupyter_server_config.py"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", help="a JupyterLab interpreter (default: the tests' shared one)")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    python = args.python or shared_jlab_python()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "cfg"
        cfg.mkdir()
        shutil.copy(CONFIG, cfg / CONFIG.name)
        answers = Answers().replace("jupyter", python=python, config_dir=str(cfg))
        answers = answers.replace("network", port=8899)
        secrets = Secrets(password="bench password 1")
        times, facts = [], None
        for _ in range(args.runs + 1):
            t0 = time.perf_counter()
            facts = session.plan(answers, secrets, facts).facts  # as the TUI: the facts it has
            times.append(time.perf_counter() - t0)
    print(f"first plan:             {times[0]:.2f} s (probes, loads the config with {python})")
    print(f"plans after it, median: {statistics.median(times[1:]):.2f} s over {args.runs}")


if __name__ == "__main__":
    main()
