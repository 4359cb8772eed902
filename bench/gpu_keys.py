"""Benchmark: each answer key's code run top to bottom on the current device, cold and cached.

Run from the repository root with MNIST under $VAE_DATA_DIR/MNIST/raw/:

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/gpu_keys.py [NN_name ...] [--json out.json]

Made for GPU machines, which often lack Jupyter and otter: unlike ``key_runtime.py`` (a real
kernel through nbclient) it executes the key's code cells in order in one fresh Python process per
run, with the set-up cell and the ``# BEGIN TESTS`` regions left out. When otter or IPython is not
installed, ``grader.check(...)`` and ``display(...)`` become no-ops, so the figure is the time of
the student's code and the helpers (training, sampling, plotting with Agg), not of the public
checks. Each key runs cold (empty checkpoint cache: reference models are trained on first use) and
then cached. The device is whatever the helpers pick ($VAE_DEVICE, else cuda → mps → cpu).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
HEADLESS_ENV = {"VAE_STATIC_WIDGETS": "1", "MPLBACKEND": "Agg"}


def install_stand_ins() -> None:
    """No-op `otter` and `IPython.display` modules where the real ones are not installed."""
    import importlib.util

    if importlib.util.find_spec("otter") is None:

        class Notebook:
            """Stand-in for otter.Notebook: checks and exports do nothing."""

            def __init__(self, *args: object, **kwargs: object) -> None:
                """Accept otter.Notebook's arguments."""

            def __getattr__(self, name: str) -> object:
                """Every grader method is a no-op."""
                return lambda *args, **kwargs: None

        otter = types.ModuleType("otter")
        otter.Notebook = Notebook  # type: ignore[attr-defined]
        sys.modules["otter"] = otter
    if importlib.util.find_spec("IPython") is None:
        ipython = types.ModuleType("IPython")
        display_module = types.ModuleType("IPython.display")
        display_module.display = lambda *args, **kwargs: None  # type: ignore[attr-defined]
        ipython.display = display_module  # type: ignore[attr-defined]
        ipython.get_ipython = lambda: None  # type: ignore[attr-defined]  # matplotlib asks
        ipython.version_info = (9, 0, 0)  # type: ignore[attr-defined]  # matplotlib asks
        sys.modules.update({"IPython": ipython, "IPython.display": display_module})


def code_cells(name: str) -> list[str]:
    """The key's code cells a student runs: no set-up cell, nothing inside a TESTS region."""
    cells = json.loads((SOLUTIONS / f"{name}.ipynb").read_text())["cells"]
    sources, inside_tests, seen_code = [], False, False
    for cell in cells:
        source = "".join(cell["source"])
        first = source.strip().splitlines()[0] if source.strip() else ""
        if cell["cell_type"] == "raw" or first.startswith(('"""', "#")):
            marker = first.strip('"# ').upper()
            if marker in ("BEGIN TESTS", "END TESTS"):
                inside_tests = marker == "BEGIN TESTS"
                continue
        if cell["cell_type"] != "code" or inside_tests:
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if not seen_code and "otter_ignore" in tags:  # the Colab set-up cell
            seen_code = True
            continue
        seen_code = True
        sources.append(source)
    return sources


def run_in_this_process(name: str) -> None:
    """Execute the key's cells here (called in a child process), printing the seconds taken."""
    install_stand_ins()
    import matplotlib.pyplot as plt
    from IPython.display import display

    scope: dict[str, object] = {"__name__": "__main__", "display": display}  # a kernel builtin
    started = time.perf_counter()
    for index, source in enumerate(code_cells(name)):
        exec(compile(source, f"<{name} cell {index}>", "exec"), scope)
        plt.close("all")
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.synchronize()
    except ImportError:
        pass
    print(json.dumps({"seconds": time.perf_counter() - started}))


def run_key(name: str, cache_dir: Path) -> float:
    """Run the key in a fresh process inside a temporary folder; return its seconds."""
    env = {**os.environ, **HEADLESS_ENV, "VAE_CACHE_DIR": str(cache_dir)}
    with tempfile.TemporaryDirectory() as workdir:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", name],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    """Time every (or each named) key cold and cached on this machine's device."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="assignments (default: all in solutions/)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--cold-only", action="store_true", help="skip the cached run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_in_this_process(args.child)
        return
    import torch

    device = os.environ.get("VAE_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    names = args.names or sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
    rows = []
    print(
        f"device {device}, torch {torch.__version__}, fast mode {os.environ.get('VAE_FAST', '0')}"
    )
    for name in names:
        with tempfile.TemporaryDirectory() as cache:
            cold = run_key(name, Path(cache))
            cached = None if args.cold_only else run_key(name, Path(cache))
        rows.append(
            {"assignment": name, "cold_s": round(cold, 1), "cached_s": cached and round(cached, 1)}
        )
        shown = "not run" if cached is None else f"{cached:6.1f} s"
        print(f"{name:<24} cold {cold:6.1f} s   cached {shown}", flush=True)
    if args.json:
        payload = {
            "benchmark": "gpu_keys",
            "device": device,
            "python": platform.python_version(),
            "rows": rows,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
