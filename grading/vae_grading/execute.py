"""Execute a prepared submission notebook inside the sandbox (internal command).

Usage: python -m vae_grading.execute IN.ipynb OUT.ipynb --cell-timeout S

Runs every cell with nbclient, errors allowed, each cell interrupted after S seconds, and writes
the executed notebook, even when the kernel dies. Nothing here is trusted: the grader reads OUT
back as untrusted data.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

#: Metadata key of the grader's own set-up cell (imports), which has no per-cell time limit so
#: that the limit measures the student's work, not how long `import torch` takes on a busy machine.
UNTIMED_KEY = "vae_grading_untimed"
#: Notebook metadata key that says why execution stopped early (the kernel died, was killed).
EXECUTION_ERROR_KEY = "vae_grading_execution_error"


def main(argv: list[str] | None = None) -> int:
    """Execute IN and write OUT; the exit code is 0 even when cells fail."""
    import nbformat
    from nbclient import NotebookClient

    parser = argparse.ArgumentParser(prog="python -m vae_grading.execute")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cell-timeout", type=int, required=True)
    args = parser.parse_args(argv)
    nb = nbformat.read(args.notebook, as_version=4)

    def cell_timeout(cell: object) -> int | None:
        metadata = getattr(cell, "metadata", {}) or {}
        return None if metadata.get(UNTIMED_KEY) else args.cell_timeout

    client = NotebookClient(
        nb,
        timeout=args.cell_timeout,
        timeout_func=cell_timeout,
        interrupt_on_timeout=True,
        allow_errors=True,
        kernel_name="python3",
        startup_timeout=120,
        record_timing=False,
        resources={"metadata": {"path": str(args.notebook.parent)}},
    )
    problem = None
    try:
        client.execute()
    except Exception as exc:  # noqa: BLE001 - a dead kernel or a stuck cell ends the run
        problem = f"{type(exc).__name__}: {exc}"[:300]
    if problem:
        nb.metadata[EXECUTION_ERROR_KEY] = problem
    nbformat.write(nb, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
