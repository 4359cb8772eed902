"""Run an answer key: top to bottom in a fresh kernel, or its graded code in this process.

Tests (`tests/otter_support.py`) and benchmarks (`bench/key_runtime.py`, `bench/vae_quality.py`)
both use these, so a key is run one way everywhere.
"""

from __future__ import annotations

import os
import time
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

from tools.course.layout import CourseLayout
from tools.course.otter_format import in_test_regions
from tools.course.setup_cells import find_setup_cell
from vae_grading.contract import is_ignored

HEADLESS_ENV = {"VAE_STATIC_WIDGETS": "1", "MPLBACKEND": "Agg"}


def key_without_setup_cell(assignment: str, layout: CourseLayout | None = None) -> Any:
    """The source notebook of `assignment` without its install cell (never reach the network)."""
    layout = layout or CourseLayout()
    nb = nbformat.read(layout.source(assignment), as_version=4)
    index = find_setup_cell(nb)
    if index is not None:
        del nb.cells[index]
    return nb


def execute_key(
    assignment: str, workdir: Path, env: Mapping[str, str], timeout: int = 900
) -> float:
    """Execute the key top to bottom in a fresh kernel in `workdir`; return the seconds taken.

    `env` is set in this process's environment for the kernel to inherit (callers that must not
    leak it, such as tests, set it through their own fixtures and pass {}).
    """
    os.environ.update({**HEADLESS_ENV, **env})
    return run_notebook(key_without_setup_cell(assignment), assignment, workdir, timeout)


def run_notebook(nb: Any, assignment: str, workdir: Path, timeout: int) -> float:
    """Write `nb` as `workdir/<assignment>.ipynb` (otter.Notebook(...) reads its own file) and
    execute it there in a fresh kernel; return the seconds taken (CellExecutionError on failure)."""
    from nbclient import NotebookClient

    nbformat.write(nb, workdir / f"{assignment}.ipynb")
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    started = time.perf_counter()
    client.execute()
    return time.perf_counter() - started


def graded_code_namespace(assignment: str) -> types.MappingProxyType:
    """Execute the key's graded code here (no ignored cells, no tests, no grader calls)."""
    nb = nbformat.read(CourseLayout().source(assignment), as_version=4)
    scope: dict[str, Any] = {"__name__": f"key_{assignment}"}
    for cell, in_tests in zip(nb.cells, in_test_regions(nb), strict=True):
        if cell.cell_type != "code" or in_tests or is_ignored(cell):
            continue
        if "otter.Notebook(" in cell.source or "grader." in cell.source:
            continue
        exec(compile(cell.source, f"<{assignment} key>", "exec"), scope)
    return types.MappingProxyType(scope)
