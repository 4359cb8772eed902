"""The trusted verdicts on otter's own path (`otter run`, Gradescope), as an otter plugin.

otter runs plugin events in its grading process, outside the student's kernel. Before the
kernel starts, this plugin loads the hidden tests into memory and deletes them (and their compiled
copy) from disk, removes everything beside the submitted notebook (a crafted `.OTTER_LOG`,
shadowing modules, otter's test files), writes a "grading did not finish" result (what stays if
the grader is killed), stops otter from unpickling anything the kernel writes, gives every cell a
time limit and starts the kernel in a jail (`vae_grading.kernel_jail`: another uid or namespace,
a fresh $HOME and temp folder, no view of the autograder folder, results or grading package).
A watchdog stops the kernel when the whole grading passes its time limit or the disk quota. The
plugin appends the probe cells, and afterwards kills every process the kernel left, replaces each
question's result by the verdict computed here, and makes otter write the results file
atomically (temporary file, then rename).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import types
import uuid
from pathlib import Path
from typing import IO, Any

import nbformat
from otter.plugins import AbstractOtterPlugin
from otter.test_files import GradingResults
from otter.test_files.abstract_test import TestCase, TestCaseResult
from otter.test_files.exception_test import ExceptionTestFile

from vae_grading.autograder import possible_points, question_points, tests_in_folder
from vae_grading.contract import HIDDEN_TESTS_MEMBER, PluginSettings
from vae_grading.execute import EXECUTION_ERROR_KEY
from vae_grading.kernel_jail import KernelJail
from vae_grading.kernels import IPCKernelManager
from vae_grading.probes import find_reports, stdout_texts
from vae_grading.scoring import QuestionScore, load_questions, plan_probes, score_reports

UNFINISHED = (
    "Grading did not finish: the grader stopped before it could score this submission (it was "
    "killed or ran out of time). No score was recorded; ask your instructor to regrade it."
)
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
GRADING_CELL_KEY = "vae_grading"
PASSED_TEXT = "✓ passed"  # a passed check says so, instead of an empty line under its name
FAILED_PREFIX = "✗ "
UNCOUNTED_TEXT = " (counts only once the question's main check passes)"


class TrustedVerdicts(AbstractOtterPlugin):
    """Scores each question from probes run in the kernel and verdicts computed here."""

    def before_grading(self, config: Any) -> None:
        """Load and delete the hidden tests, clean the submission folder, jail the kernel."""
        _prctl(PR_SET_DUMPABLE, 0)  # no /proc/<pid>/mem reads of this process by the kernel
        _prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of the kernel stay our descendants
        self.autograder_dir = Path.cwd().parent
        self.source = self.autograder_dir / "source"
        self.results_dir = self.autograder_dir / "results"
        write_atomically(self.results_dir / "results.json", unfinished_results())
        writes_bytecode = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            self.questions = load_questions(self.source / HIDDEN_TESTS_MEMBER)
        finally:
            sys.dont_write_bytecode = writes_bytecode
        self.points = possible_points(question_points(tests_in_folder(self.source / "tests")))
        with contextlib.suppress(OSError):
            (self.source / HIDDEN_TESTS_MEMBER).unlink()
        for cache in self.source.rglob("__pycache__"):
            shutil.rmtree(cache, ignore_errors=True)
        _keep_only(Path.cwd(), Path(self.submission_path).name)
        settings = self.settings()
        self.timeout_s = float(settings.timeout)
        self.disk_bytes = settings.disk_bytes
        self.jail = KernelJail(
            Path.cwd() / "tests",
            self.disk_bytes,
            settings.file_bytes,
            in_container=self.autograder_dir == Path("/autograder"),
        )
        if self.jail.mode == "setpriv":
            _lock_for_kernel(self.autograder_dir, self.source)
        _harden_otter(settings.cell_timeout, self.jail)
        self.watchdog = Watchdog(self.timeout_s, self.disk_bytes, self.jail)

    def settings(self) -> PluginSettings:
        """The limits the build wrote into otter_config.json for this plugin."""
        return PluginSettings.from_config(self.plugin_config)

    def before_execution(self, submission: Any) -> Any:
        """Append the probe cells, with inputs drawn fresh for this grading; start the watchdog."""
        self.plan = plan_probes(self.questions)
        for source in self.plan.cells:
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata[GRADING_CELL_KEY] = True
            submission.cells.append(cell)
        self.watchdog.start()
        return submission

    def after_grading(self, results: GradingResults) -> None:
        """Kill what the kernel left behind, then put the verdicts in place of otter's results."""
        self.watchdog.stop()
        kill_descendants()
        self.jail.cleanup()
        notebook = results.notebook
        texts = stdout_texts(notebook) if isinstance(notebook, dict) else []
        reports = find_reports(texts, self.plan.nonce)
        scores = score_reports(self.questions, self.plan, reports, self.points)
        stopped = self.watchdog.reason
        if stopped is not None:
            for score in scores.values():
                if score.score < score.possible:
                    score.error = stopped
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


class Watchdog(threading.Thread):
    """Stops the kernel (every process of it) when the grading passes its time or disk limit."""

    def __init__(self, seconds: float, disk_bytes: int, jail: KernelJail) -> None:
        super().__init__(name="vae-grading-watchdog", daemon=True)
        self.seconds, self.disk_bytes, self.jail = seconds, disk_bytes, jail
        self.reason: str | None = None
        self._stop_event = threading.Event()

    def run(self) -> None:
        """Poll twice a second until stopped or a limit is passed."""
        deadline = time.monotonic() + self.seconds
        while not self._stop_event.wait(0.5):
            if time.monotonic() > deadline:
                self.fire(f"grading stopped after {self.seconds:.0f} s (whole-grading time limit)")
            elif self.jail.disk_used() > self.disk_bytes:
                quota = self.disk_bytes // 2**20
                self.fire(
                    f"grading stopped: the submission wrote more than its {quota} MiB disk quota"
                )

    def fire(self, reason: str) -> None:
        """Record why, kill the kernel and everything it started, stop watching."""
        self.reason = reason
        kill_descendants()
        self.jail.kill_all()
        self._stop_event.set()

    def stop(self) -> None:
        """Stop watching (grading finished)."""
        self._stop_event.set()


def unfinished_results() -> dict[str, Any]:
    """Gradescope results saying that grading did not finish (what a killed grader leaves)."""
    return {
        "score": 0,
        "output": UNFINISHED,
        "stdout_visibility": "hidden",
        "tests": [{"name": "Grading did not finish", "score": 0, "output": UNFINISHED}],
    }


def write_atomically(path: Path, data: dict[str, Any] | bytes) -> None:
    """Write `path` whole or not at all: a temporary file beside it, then a rename."""
    payload = data if isinstance(data, bytes) else json.dumps(data, indent=4).encode()
    with _AtomicFile(path, "wb") as f:
        f.write(payload)


class _AtomicFile:
    """A file opened for writing whose content replaces `path` only when it is closed."""

    def __init__(self, path: Path | str, mode: str, **kwargs: Any) -> None:
        self.path = Path(path)
        handle, temporary = tempfile.mkstemp(prefix=".writing-", dir=self.path.parent)
        os.close(handle)
        self.temporary = Path(temporary)
        self.file: IO[Any] = open(temporary, mode.replace("+", ""), **kwargs)  # noqa: SIM115

    def __getattr__(self, name: str) -> Any:
        return getattr(self.file, name)

    def __enter__(self) -> _AtomicFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Flush to disk and move into place."""
        if self.file.closed:
            return
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        self.temporary.chmod(0o644)
        os.replace(self.temporary, self.path)


def _results_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
    """otter's `open` in run_autograder: files under results/ are written atomically."""
    path = Path(os.fspath(file)) if isinstance(file, (str, os.PathLike)) else None
    if path is not None and "w" in mode and path.parent.name == "results":
        return _AtomicFile(path, mode, **kwargs)
    return open(file, mode, *args, **kwargs)  # noqa: SIM115


def _lock_for_kernel(autograder_dir: Path, source: Path) -> None:
    """Make the autograder folder (source, submission, results) unreachable to the kernel's uid;
    in Gradescope's container also the grading package."""
    import vae_grading

    targets = [autograder_dir, source, autograder_dir / "results", autograder_dir / "submission"]
    if autograder_dir == Path("/autograder"):
        targets.append(Path(vae_grading.__file__).resolve().parent)
    for target in targets:
        with contextlib.suppress(OSError):
            target.chmod(0o700)


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


def _harden_otter(cell_timeout: int, jail: KernelJail) -> None:
    """No unpickling of kernel-written files or log records; a time limit on every cell; the
    kernel launched in `jail`; results written atomically; a dead kernel ends execution quietly."""
    import nbconvert.preprocessors
    import otter.execute
    import otter.run.run_autograder
    from traitlets import Bool, Integer, Type

    def refuse_pickle(_file: Any) -> GradingResults:
        return GradingResults([])

    def no_logging_server() -> tuple[tuple[str, int], Any]:
        return ("127.0.0.1", 9), lambda: None

    otter.execute.pickle = types.SimpleNamespace(load=refuse_pickle)  # type: ignore[attr-defined]
    otter.execute.start_server = no_logging_server  # type: ignore[attr-defined]
    otter.run.run_autograder.open = _results_open  # type: ignore[attr-defined]

    class JailedKernelManager(IPCKernelManager):
        """A kernel manager whose kernels start in the jail, their connection file (and IPC
        sockets, with the ipc transport) in the jail's own folder."""

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            if not self.connection_file:
                name = f"kernel-{uuid.uuid4().hex[:12]}.json"
                self.connection_file = str(jail.connection_dir / name)

        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            """The kernel's command, wrapped by the jail."""
            return jail.wrap(super().format_kernel_cmd(extra_arguments))

    base = getattr(
        nbconvert.preprocessors.ExecutePreprocessor,
        "_vae_base",
        nbconvert.preprocessors.ExecutePreprocessor,
    )

    class TimeLimitedExecutePreprocessor(base):  # type: ignore[misc, valid-type]
        """ExecutePreprocessor whose cells are interrupted after `cell_timeout` seconds, whose
        kernel is jailed, and which returns what ran when the kernel dies or is killed."""

        _vae_base = base
        timeout = Integer(cell_timeout, allow_none=True).tag(config=True)
        interrupt_on_timeout = Bool(True).tag(config=True)
        kernel_manager_class = Type(JailedKernelManager, config=True)

        def preprocess(self, nb: Any, resources: Any = None, km: Any = None) -> Any:
            """Execute; a dead or stopped kernel keeps the cells that ran and ends here."""
            try:
                return super().preprocess(nb, resources, km)
            except Exception as exc:  # noqa: BLE001 - the verdicts decide; otter must go on
                nb.metadata[EXECUTION_ERROR_KEY] = f"{type(exc).__name__}"[:100]
                return nb, resources

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
    """An otter TestFile holding one hidden case per check, worth the check's weighted share.

    The file's score is the verdict's own (`QuestionScore.score`, goal rule applied), so
    Gradescope shows exactly what the grader computed; a passed guard of a question whose goal
    failed says that it does not count yet.
    """
    checks = score.checks or []
    weights = score.weights()
    uncounted = score.uncounted()
    cases, outcomes = [], []
    for check in checks:
        points = score.possible * weights.get(check.name, 0.0)
        case = TestCase(f"{score.name} {check.name}", "", True, points, None, None)
        cases.append(case)
        passed = check.passed and score.error is None
        if passed:
            message = PASSED_TEXT + (UNCOUNTED_TEXT if check.name in uncounted else "")
        else:
            message = FAILED_PREFIX + (score.error or check.message)[:300]
        outcomes.append(TestCaseResult(case, message, passed))
    if not cases:
        cases = [TestCase(score.name, "", True, score.possible, None, None)]
        outcomes = [TestCaseResult(cases[0], FAILED_PREFIX + (score.error or ""), False)]
    test_file = ExceptionTestFile(score.name, "", cases, all_or_nothing=False)
    test_file.test_case_results = outcomes
    test_file.update_score(score.score)
    return test_file
