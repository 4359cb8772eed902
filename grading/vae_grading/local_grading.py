"""Grade one submission notebook with an autograder zip: sandboxed run, trusted verdicts.

The grader reads the zip (points, hidden tests, seed) here, appends probe cells with fresh inputs
to the student's notebook, executes it in the sandbox (`vae_grading.execute`), reads the executed
notebook back as untrusted data and scores each question in this process.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from vae_grading.contract import HIDDEN_TESTS_MEMBER
from vae_grading.evidence import Question
from vae_grading.execute import UNTIMED_KEY
from vae_grading.probes import find_reports, stdout_texts
from vae_grading.sandbox import SandboxLimits, capped_folder, driver_path, run_sandboxed
from vae_grading.scoring import QuestionScore, load_questions, plan_probes, score_reports

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


class AutograderZipError(ValueError):
    """The autograder zip lacks what trusted grading needs (rebuild it with `make build`)."""


@dataclass(frozen=True)
class Autograder:
    """What the grader takes from an autograder zip: questions, points, public tests, seed."""

    questions: list[Question]
    points: dict[str, float]
    public_tests: dict[str, bytes]
    seed_line: str


@dataclass
class LocalGrade:
    """The outcome of grading one notebook."""

    scores: dict[str, QuestionScore] = field(default_factory=dict)
    timed_out: bool = False
    disk_full: bool = False
    crashed: str | None = None
    cell_errors: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def read_autograder(zip_path: Path) -> Autograder:
    """Load the questions (in memory only), points and public tests of an autograder zip."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    with zipfile.ZipFile(zip_path) as zf:
        members = {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
    if HIDDEN_TESTS_MEMBER not in members:
        raise AutograderZipError(
            f"{zip_path} has no {HIDDEN_TESTS_MEMBER}: rebuild with make build"
        )
    config = json.loads(members.get("otter_config.json", b"{}"))
    seed, variable = config.get("seed"), config.get("seed_variable")
    seed_line = f"{variable} = {int(seed)}\n" if variable and seed is not None else ""
    tests = {
        Path(name).name: data
        for name, data in members.items()
        if name.startswith("tests/") and name.endswith(".py")
    }
    with tempfile.TemporaryDirectory(prefix="vae-grading-key-") as tmp:
        hidden = Path(tmp) / HIDDEN_TESTS_MEMBER
        hidden.write_bytes(members[HIDDEN_TESTS_MEMBER])
        questions = load_questions(hidden)
        points = {}
        for name, data in tests.items():
            path = Path(tmp) / name
            path.write_bytes(data)
            points[path.stem] = float(create_test_file(str(path), NBMetadataConfig()).possible)
    return Autograder(questions, points, tests, seed_line)


def _ignored(cell: Any) -> bool:
    metadata = cell.get("metadata", {})
    otter = metadata.get("otter", {}) if isinstance(metadata.get("otter"), dict) else {}
    return "otter_ignore" in metadata.get("tags", []) or otter.get("ignore") is True


def prepare(nb: nbformat.NotebookNode, autograder: Autograder, probe_cells: list[str]) -> Any:
    """The notebook to execute: ignored cells dropped, seeded cells, grading mode, probes."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = [c for c in nb.cells if not _ignored(c)]
    for cell in cells:
        if cell.cell_type == "code" and autograder.seed_line:
            cell.source = autograder.seed_line + cell.source
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
    nbformat.write(prepare(nb, autograder, plan.cells), notebook)
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
        problem = executed.get("metadata", {}).get("vae_grading_execution_error")
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


def _cell_errors(executed: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Error outputs of the student's cells: name and first line of the cell."""
    errors: list[dict[str, Any]] = []
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
                errors.append(
                    {
                        "cell": index,
                        "error": str(output.get("ename", "Error"))[:60],
                        "line": lines[0][:60] if lines else "",
                    }
                )
    return errors
