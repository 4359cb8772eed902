"""Grade one submission notebook with an autograder zip: sandboxed run, trusted verdicts.

The grader reads the zip (`vae_grading.autograder`: points, hidden tests), appends probe
cells with fresh inputs to the student's notebook, executes it in the sandbox
(`vae_grading.execute`), reads the executed notebook back as untrusted data and scores each
question in this process.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from vae_grading.autograder import Autograder
from vae_grading.contract import is_ignored
from vae_grading.execute import EXECUTION_ERROR_KEY, UNTIMED_KEY
from vae_grading.probes import find_reports, stdout_texts
from vae_grading.sandbox import SandboxLimits, capped_folder, driver_path, run_sandboxed
from vae_grading.scoring import QuestionScore, plan_probes, score_reports

MAX_EXECUTED_BYTES = 64 * 2**20
KERNEL_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/tmp/home",
    "MPLBACKEND": "Agg",
    "VAE_STATIC_WIDGETS": "1",
    "VAE_DEVICE": "cpu",
    "OMP_NUM_THREADS": "1",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "JUPYTER_PLATFORM_DIRS": "1",
}


PRELOAD = """\
from otter import Notebook as _otter_notebook
_otter_notebook.init_grading_mode("tests")
for _module in ("numpy", "torch", "torchvision", "matplotlib.pyplot", "vae_helpers.data",
                "vae_helpers.models", "vae_helpers.training", "vae_helpers.plots"):
    try:
        __import__(_module)
    except Exception:
        pass
del _module, _otter_notebook
"""


@dataclass(frozen=True)
class CellError:
    """An error output of a student's cell: the cell's index, the error's name, its first line."""

    cell: int
    error: str
    line: str


@dataclass
class LocalGrade:
    """The outcome of grading one notebook."""

    scores: dict[str, QuestionScore] = field(default_factory=dict)
    timed_out: bool = False
    disk_full: bool = False
    crashed: str | None = None
    cell_errors: list[CellError] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        """Points earned over every question."""
        return sum(s.score for s in self.scores.values())

    @property
    def possible(self) -> float:
        """Points possible over every question."""
        return sum(s.possible for s in self.scores.values())


def prepare(nb: nbformat.NotebookNode, probe_cells: list[str]) -> Any:
    """The notebook to execute: ignored cells dropped, grading mode, probes."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = [c for c in nb.cells if not is_ignored(c)]
    init = nbformat.v4.new_code_cell(PRELOAD)
    init.metadata[UNTIMED_KEY] = True
    nb.cells = [
        init,
        *cells,
        *(nbformat.v4.new_code_cell(source) for source in probe_cells),
    ]
    return nb


def grade_notebook(
    nb: nbformat.NotebookNode,
    assignment: str,
    autograder: Autograder,
    limits: SandboxLimits,
    cell_timeout: int,
    sandbox: bool = True,
) -> LocalGrade:
    """Execute `nb` (sandboxed) with fresh probes and score it here; never raises for bad input."""
    started = time.perf_counter()
    plan = plan_probes(autograder.questions)
    work = Path(tempfile.mkdtemp(prefix="vae-grade-"))
    outcome = LocalGrade()
    with capped_folder(work, limits.disk_bytes):
        try:
            _grade_in(
                work, nb, assignment, autograder, limits, cell_timeout, sandbox, plan, outcome
            )
        finally:
            (work.parent / f"{work.name}.log").unlink(missing_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _grade_in(
    work: Path,
    nb: nbformat.NotebookNode,
    assignment: str,
    autograder: Autograder,
    limits: SandboxLimits,
    cell_timeout: int,
    sandbox: bool,
    plan: Any,
    outcome: LocalGrade,
) -> None:
    """Write the prepared notebook into `work`, execute it sandboxed and score it into `outcome`."""
    (work / "tests").mkdir()
    for name, data in autograder.public_tests.items():
        (work / "tests" / name).write_bytes(data)
    notebook = work / f"{assignment}.ipynb"
    nbformat.write(prepare(nb, plan.cells), notebook)
    inner = [
        sys.executable, driver_path(sandbox),
        notebook.name, "executed.ipynb", "--cell-timeout", str(cell_timeout),
    ]  # fmt: skip
    env = dict(KERNEL_ENV)
    result = run_sandboxed(work, inner, env, limits, work.parent / f"{work.name}.log", sandbox)
    outcome.timed_out = result.timed_out
    outcome.disk_full = result.disk_full
    executed = _read_executed(work / "executed.ipynb")
    if executed is None and not result.timed_out:
        outcome.crashed = result.log_tail or "the notebook could not be executed"
    texts = stdout_texts(executed) if executed is not None else []
    reports = find_reports(texts, plan.nonce)
    outcome.scores = score_reports(autograder.questions, plan, reports, autograder.points)
    outcome.cell_errors = _cell_errors(executed)
    if isinstance(executed, dict):
        problem = executed.get("metadata", {}).get(EXECUTION_ERROR_KEY)
        if isinstance(problem, str) and not outcome.crashed:
            outcome.crashed = problem[:300]


def _read_executed(path: Path) -> dict[str, Any] | None:
    """The executed notebook as plain JSON data, or None when missing, huge or unreadable."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_EXECUTED_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _cell_errors(executed: dict[str, Any] | None) -> list[CellError]:
    """Error outputs of the student's cells: name and first line of the cell."""
    errors: list[CellError] = []
    cells = executed.get("cells", []) if isinstance(executed, dict) else []
    for index, cell in enumerate(cells if isinstance(cells, list) else []):
        if not isinstance(cell, dict):
            continue
        for output in cell.get("outputs", []) or []:
            if isinstance(output, dict) and output.get("output_type") == "error":
                source = cell.get("source", "")
                source = "".join(source) if isinstance(source, list) else str(source)
                lines = [ln.strip() for ln in source.splitlines() if ln.strip()]
                if len(lines) > 1 and lines[0].replace(" ", "").split("=")[-1].isdigit():
                    lines = lines[1:]
                name = str(output.get("ename", "Error"))[:60]
                errors.append(CellError(index, name, lines[0][:60] if lines else ""))
    return errors
