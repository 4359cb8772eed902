"""The trusted verdicts on otter's own path (`otter run`, Gradescope), as an otter plugin.

otter runs plugin events in its grading process, outside the student's kernel. Before the
kernel starts, this plugin loads the hidden tests into memory and deletes them from disk, removes
everything beside the submitted notebook (a crafted `.OTTER_LOG`, shadowing modules, otter's test
files), stops otter from unpickling anything the kernel writes, and gives every cell a time limit.
It appends the probe cells, and afterwards kills whatever the kernel left running and replaces
each question's result by the verdict computed here.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import nbformat
from otter.plugins import AbstractOtterPlugin
from otter.test_files import GradingResults
from otter.test_files.abstract_test import TestCase, TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile

from vae_grading.kernels import IPCKernelManager
from vae_grading.probes import find_reports, stdout_texts
from vae_grading.scoring import QuestionScore, load_questions, plan_probes, score_reports

HIDDEN_TESTS_MEMBER = "vae_hidden_tests.py"
DEFAULT_CELL_TIMEOUT_S = 60
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
GRADING_CELL_KEY = "vae_grading"


class TrustedVerdicts(AbstractOtterPlugin):
    """Scores each question from probes run in the kernel and verdicts computed here."""

    def before_grading(self, config: Any) -> None:
        """Load and delete the hidden tests, clean the submission folder, harden otter."""
        self.source = Path("..", "source").resolve()
        self.questions = load_questions(self.source / HIDDEN_TESTS_MEMBER)
        self.points = _question_points(self.source / "tests")
        with contextlib.suppress(OSError):
            (self.source / HIDDEN_TESTS_MEMBER).unlink()
        _keep_only(Path.cwd(), Path(self.submission_path).name)
        _harden_otter(int(self.plugin_config.get("cell_timeout", DEFAULT_CELL_TIMEOUT_S)))
        _prctl(PR_SET_DUMPABLE, 0)  # no /proc/<pid>/mem reads of this process by the kernel
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of the kernel stay our descendants

    def before_execution(self, submission: Any) -> Any:
        """Append the probe cells, with inputs drawn fresh for this grading."""
        self.plan = plan_probes(self.questions)
        for source in self.plan.cells:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata[GRADING_CELL_KEY] = True
            submission.cells.append(cell)
        return submission

    def after_grading(self, results: GradingResults) -> None:
        """Kill what the kernel left behind, then put the verdicts in place of otter's results."""
        kill_descendants()
        notebook = results.notebook
        texts = stdout_texts(notebook) if isinstance(notebook, dict) else []
        reports = find_reports(texts, self.plan.nonce)
        scores = score_reports(self.questions, self.plan, reports, self.points)
        results.results = {name: _as_test_file(score) for name, score in scores.items()}
        results._catastrophic_error = None
        self.scores = scores

    def generate_report(self) -> str:
        """Each question's score (otter prints this in place of its own summary)."""
        scores: dict[str, QuestionScore] = getattr(self, "scores", {})
        if not scores:
            return "No question was scored: the grading did not reach its verdicts."
        width = max(len("question"), *(len(name) for name in scores))
        lines = [f"{'question':<{width}}  score"]
        for name, score in scores.items():
            lines.append(f"{name:<{width}}  {score.score:g} / {score.possible:g}")
        return "\n".join(lines)


def _question_points(tests_dir: Path) -> dict[str, float]:
    """Each question's points from otter's own test files (read before the kernel starts)."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    return {
        path.stem: float(create_test_file(str(path), NBMetadataConfig()).possible)
        for path in sorted(tests_dir.glob("*.py"))
    }


def _keep_only(folder: Path, notebook: str) -> None:
    """Delete everything in the submission folder except the notebook being graded."""
    for entry in folder.iterdir():
        if entry.name == notebook:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def _harden_otter(cell_timeout: int) -> None:
    """No unpickling of kernel-written files or log records; a time limit on every cell."""
    import nbconvert.preprocessors
    import otter.execute
    from traitlets import Bool, Integer, Type

    def refuse_pickle(_file: Any) -> GradingResults:
        return GradingResults([])

    def no_logging_server() -> tuple[tuple[str, int], Any]:
        return ("127.0.0.1", 9), lambda: None

    otter.execute.pickle = types.SimpleNamespace(load=refuse_pickle)  # type: ignore[attr-defined]
    otter.execute.start_server = no_logging_server  # type: ignore[attr-defined]

    base = nbconvert.preprocessors.ExecutePreprocessor
    if getattr(base, "_vae_time_limited", False):
        return

    class TimeLimitedExecutePreprocessor(base):  # type: ignore[misc, valid-type]
        """ExecutePreprocessor whose cells are interrupted after `cell_timeout` seconds."""

        _vae_time_limited = True
        kernel_manager_class = Type(IPCKernelManager, config=True)
        timeout = Integer(cell_timeout, allow_none=True).tag(config=True)
        interrupt_on_timeout = Bool(True).tag(config=True)

    nbconvert.preprocessors.ExecutePreprocessor = TimeLimitedExecutePreprocessor  # type: ignore[misc]


def _prctl(option: int, value: int) -> None:
    """Call prctl on Linux; elsewhere do nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def kill_descendants() -> None:
    """Kill every process below this one (the kernel and anything it started, detached too)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil ships with jupyter_client's dependencies
        return
    victims = psutil.Process(os.getpid()).children(recursive=True)
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    psutil.wait_procs(victims, timeout=5)


def _as_test_file(score: QuestionScore) -> ExceptionTestFile:
    """An otter TestFile holding one hidden case per check, worth its share of the points."""
    checks = score.checks or []
    share = score.possible / len(checks) if checks else score.possible
    cases, outcomes = [], []
    for check in checks:
        case = TestCase(f"{score.name} {check.name}", "", True, share, None, None)
        cases.append(case)
        message = None if check.passed else (score.error or check.message)[:300]
        outcomes.append(TestCaseResult(case, message, check.passed and score.error is None))
    test_file = ExceptionTestFile(score.name, "", cases, all_or_nothing=False)
    test_file.test_case_results = outcomes
    return test_file
