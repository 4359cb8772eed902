"""Benchmark: seconds to run each answer key top to bottom, as a student would (all cells).

Run from the repository root with MNIST under $VAE_DATA_DIR/MNIST/raw/, on a quiet machine:

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/key_runtime.py [NN_name ...] [--json out.json]

Each key runs in a fresh kernel with a new, empty checkpoint cache ("cold": reference models are
trained on first use), then again with that cache kept ("cached"). Budgets from the course's
issues: every key under 3 minutes on 2 CPU cores once cached, 04 and 05 under 5 minutes cold.
Set VAE_FAST=1 to time the short CI mode instead.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tools.course.answer_keys import execute_key  # noqa: E402

SOLUTIONS = REPO / "solutions"


def run_key(name: str, cache_dir: Path) -> float:
    """Execute solutions/<name>.ipynb in a temporary folder; return the wall-clock seconds."""
    with tempfile.TemporaryDirectory() as workdir:
        return execute_key(name, Path(workdir), {"VAE_CACHE_DIR": str(cache_dir)})


def main() -> None:
    """Time every (or each named) answer key cold and cached; print a table, optionally JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all in solutions/)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    names = args.names or sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    rows = []
    for name in names:
        with tempfile.TemporaryDirectory() as cache:
            cold = run_key(name, Path(cache))
            cached = run_key(name, Path(cache))
        rows.append({"assignment": name, "cold_s": round(cold, 1), "cached_s": round(cached, 1)})
        print(f"{name:<24} cold {cold:6.1f} s   cached {cached:6.1f} s", flush=True)
    print(
        f"fast mode: {os.environ.get('VAE_FAST', '0')}, CPUs {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    if args.json:
        payload = {"benchmark": "key_runtime", "python": platform.python_version(), "rows": rows}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
