"""Grade a folder of submissions with an assignment's autograder; write one CSV row each.

Usage: python -m tools.grade SUBMISSIONS_DIR --assignment NN_name [--output grades/NN_name.csv]
       [--jobs N] [--cell-timeout S] [--timeout S]

A submission is a `.ipynb` file, a `.zip` (only the notebook inside is read; nothing is extracted,
any `.OTTER_LOG` is ignored), or a folder holding one of those. Each is graded in its own process
(`tools.grade_one`) with a per-cell limit and a per-submission limit; one bad submission never
stops the batch. Columns: submission, q1..qN, total, max_total, status, reason.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil

from tools.course_config import CourseConfigError, load_course_config
from tools.grade_one import DEFAULT_CELL_TIMEOUT_S, INFRASTRUCTURE_KEY
from tools.integrity import suspicious_code
from tools.layout import REPO_ROOT, CourseLayout
from tools.notebooks import PYTHON3_KERNELSPEC, strip_outputs
from tools.setup_cell import setup_cell_source
from tools.zipfiles import MAX_NOTEBOOK_BYTES, UnsafeZipError, notebook_from_submission_zip

DEFAULT_SUBMISSION_TIMEOUT_S = 600
STATUS_OK = "ok"
STATUS_TIMED_OUT = "timed out"
STATUS_FAILED = "could not execute"
MAX_REASON_CHARS = 300


class GradingSetupError(ValueError):
    """The command was called with a folder, assignment or option that cannot be graded."""


@dataclass(frozen=True)
class Submission:
    """One entry of the submissions folder: its identifier and the file holding the notebook."""

    identifier: str
    path: Path | None
    problem: str | None = None


@dataclass(frozen=True)
class Question:
    """An auto-graded question of the assignment and its maximum score."""

    name: str
    possible: float


@dataclass
class GradeRow:
    """The CSV row of one graded submission."""

    submission: str
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    max_total: float = 0.0
    status: str = STATUS_OK
    reason: str = ""

    def as_csv(self, questions: list[Question]) -> list[str]:
        """The row's cells, in the column order of `csv_header`."""
        return [
            self.submission,
            *(_number(self.scores.get(q.name, 0.0)) for q in questions),
            _number(self.total),
            _number(self.max_total),
            self.status,
            self.reason,
        ]


def csv_header(questions: list[Question]) -> list[str]:
    """Column names: submission, one per question, total, max_total, status, reason."""
    return ["submission", *(q.name for q in questions), "total", "max_total", "status", "reason"]


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def autograder_questions(zip_path: Path) -> list[Question]:
    """The auto-graded questions in an autograder zip, with their points, in natural order."""
    import zipfile

    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    questions = []
    with (
        tempfile.TemporaryDirectory(prefix="vae-grade-tests-") as tmp,
        zipfile.ZipFile(zip_path) as zf,
    ):
        for member in zf.namelist():
            if member.startswith("tests/") and member.endswith(".py"):
                target = Path(tmp) / Path(member).name
                target.write_bytes(zf.read(member))
                test_file = create_test_file(str(target), NBMetadataConfig())
                questions.append(Question(target.stem, float(test_file.possible)))
    return sorted(questions, key=lambda q: _natural_key(q.name))


def discover_submissions(folder: Path) -> list[Submission]:
    """Every submission in `folder`: notebooks, zips, and sub-folders holding one of them."""
    found = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.startswith("__"):
            continue
        if entry.is_file() and entry.suffix.lower() in (".ipynb", ".zip"):
            found.append(Submission(entry.stem, entry))
        elif entry.is_dir():
            inner = sorted(
                p
                for p in entry.rglob("*")
                if p.is_file()
                and p.suffix.lower() in (".ipynb", ".zip")
                and ".ipynb_checkpoints" not in p.parts
                and "__MACOSX" not in p.parts
            )
            if len(inner) == 1:
                found.append(Submission(entry.name, inner[0]))
            elif not inner:
                found.append(Submission(entry.name, None, "folder holds no .ipynb or .zip"))
            else:
                names = ", ".join(p.name for p in inner[:4])
                found.append(Submission(entry.name, None, f"folder holds several files ({names})"))
    stems = [s.identifier for s in found]
    return [
        Submission(s.path.name, s.path, s.problem)
        if s.path is not None and stems.count(s.identifier) > 1 and s.path.parent == folder
        else s
        for s in found
    ]


def read_submission_notebook(submission: Submission, assignment: str) -> nbformat.NotebookNode:
    """The submission's notebook, read safely (zips: the notebook member only)."""
    assert submission.path is not None
    if submission.path.suffix.lower() == ".zip":
        _, data = notebook_from_submission_zip(submission.path, f"{assignment}.ipynb")
    else:
        if submission.path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise UnsafeZipError(f"notebook is larger than {MAX_NOTEBOOK_BYTES} bytes")
        data = submission.path.read_bytes()
    try:
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a notebook"
        raise UnsafeZipError(f"not a readable notebook ({type(exc).__name__})") from exc


def canonical_notebook(nb: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The submission as the autograder expects it: python3 kernel, assignment name, no outputs."""
    nb = strip_outputs(nb)
    nb.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    otter_meta = nb.metadata.setdefault("otter", {})
    if not isinstance(otter_meta, dict):
        nb.metadata["otter"] = otter_meta = {}
    otter_meta.setdefault("assignment_name", assignment)
    for cell in nb.cells:
        cell.get("metadata", {}).pop(INFRASTRUCTURE_KEY, None)
    return nb


def _kill_process_tree(process: subprocess.Popen[bytes], marker: str) -> None:
    """Kill a grading process, its children (kernels start their own sessions) and stragglers."""
    victims: list[psutil.Process] = []
    with contextlib.suppress(psutil.Error):
        parent = psutil.Process(process.pid)
        victims = [*parent.children(recursive=True), parent]
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    victims += _processes_mentioning(marker)
    for victim in victims:
        with contextlib.suppress(psutil.Error):
            victim.kill()
    psutil.wait_procs(victims, timeout=5)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def _processes_mentioning(marker: str) -> list[psutil.Process]:
    """Processes whose command line mentions `marker` (a kernel's connection file)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error, TypeError):
            if any(marker in part for part in proc.info["cmdline"] or []):
                found.append(proc)
    return found


@dataclass(frozen=True)
class GradingLimits:
    """Time limits for one submission."""

    cell_timeout_s: int = DEFAULT_CELL_TIMEOUT_S
    submission_timeout_s: int = DEFAULT_SUBMISSION_TIMEOUT_S


class ProcessRegistry:
    """The grading processes now running, so that an interrupted batch can kill them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, tuple[subprocess.Popen[bytes], str]] = {}
        self.stopping = False

    def add(self, process: subprocess.Popen[bytes], marker: str) -> None:
        """Remember a started process."""
        with self._lock:
            self._running[process.pid] = (process, marker)

    def remove(self, process: subprocess.Popen[bytes]) -> None:
        """Forget a finished process."""
        with self._lock:
            self._running.pop(process.pid, None)

    def kill_all(self) -> None:
        """Kill every running grading process tree."""
        self.stopping = True
        with self._lock:
            running = list(self._running.values())
        for process, marker in running:
            _kill_process_tree(process, marker)


@dataclass
class IsolatedRun:
    """What one run of tools.grade_one left: its summary (None if it wrote none) and timings."""

    summary: dict[str, Any] | None
    timed_out: bool
    interrupted: bool
    log_tail: str
    seconds: float


def run_isolated(
    nb: nbformat.NotebookNode,
    assignment: str,
    autograder_zip: Path,
    limits: GradingLimits,
    registry: ProcessRegistry | None = None,
) -> IsolatedRun:
    """Grade a canonical notebook in a fresh process, session and working folder.

    The folder (holding TMPDIR, where otter unpacks the hidden tests, and the kernels' connection
    files) is removed afterwards, and every process of the run is killed, whatever happened.
    """
    work = Path(tempfile.mkdtemp(prefix="vae-grade-"))
    started = time.perf_counter()
    try:
        for sub in ("submission", "tmp", "runtime"):
            (work / sub).mkdir()
        notebook_path = work / "submission" / f"{assignment}.ipynb"
        notebook_path.write_text(nbformat.writes(nb), encoding="utf-8")
        results_path = work / "results.json"
        env = {
            **os.environ,
            "TMPDIR": str(work / "tmp"),
            "JUPYTER_RUNTIME_DIR": str(work / "runtime"),
            "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        command = [
            sys.executable,
            "-m",
            "tools.grade_one",
            str(autograder_zip.resolve()),
            str(notebook_path),
            str(results_path),
            "--cell-timeout",
            str(limits.cell_timeout_s),
        ]
        with open(work / "log.txt", "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            if registry is not None:
                registry.add(process, str(work))
            try:
                process.wait(timeout=limits.submission_timeout_s)
                timed_out = False
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_process_tree(process, str(work))
                if registry is not None:
                    registry.remove(process)
        try:
            summary = json.loads(results_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            summary = None
        return IsolatedRun(
            summary=None if timed_out else summary,
            timed_out=timed_out,
            interrupted=registry is not None and registry.stopping,
            log_tail=_log_tail(work / "log.txt"),
            seconds=time.perf_counter() - started,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def grade_submission(
    submission: Submission,
    assignment: str,
    autograder_zip: Path,
    questions: list[Question],
    limits: GradingLimits,
    registry: ProcessRegistry | None = None,
    skip_sources: frozenset[str] = frozenset(),
) -> GradeRow:
    """Grade one submission in a fresh process and working folder; never raises for bad input."""
    row = GradeRow(submission.identifier, max_total=sum(q.possible for q in questions))
    if submission.problem is not None:
        row.status, row.reason = STATUS_FAILED, submission.problem
        return row
    try:
        nb = canonical_notebook(read_submission_notebook(submission, assignment), assignment)
    except (UnsafeZipError, OSError) as exc:
        row.status, row.reason = STATUS_FAILED, str(exc)[:MAX_REASON_CHARS]
        return row
    flags = suspicious_code(nb, skip_sources)
    run = run_isolated(nb, assignment, autograder_zip, limits, registry)
    if run.interrupted:
        row.status, row.reason = STATUS_FAILED, "grading was interrupted"
    elif run.timed_out:
        row.status = STATUS_TIMED_OUT
        row.reason = f"stopped after {limits.submission_timeout_s} s (whole-submission limit)"
    elif run.summary is None:
        row.status, row.reason = STATUS_FAILED, f"grader crashed: {run.log_tail}"
    else:
        fill_from_summary(row, run.summary, questions, limits)
    if flags:
        row.reason = "; ".join(filter(None, [row.reason, "FLAG: " + ", ".join(flags)]))
    row.reason = row.reason[:MAX_REASON_CHARS]
    return row


def _log_tail(log_path: Path) -> str:
    lines = log_path.read_text(errors="replace").strip().splitlines() if log_path.exists() else []
    meaningful = [line.strip() for line in lines if line.strip()]
    return meaningful[-1][:200] if meaningful else "no output"


def fill_from_summary(
    row: GradeRow, summary: dict[str, Any], questions: list[Question], limits: GradingLimits
) -> None:
    """Turn the summary JSON of tools.grade_one into scores, status and reason."""
    if "error" in summary:
        row.status, row.reason = STATUS_FAILED, summary["error"]
        return
    if summary.get("catastrophic_error"):
        row.status, row.reason = STATUS_FAILED, summary["catastrophic_error"]
        return
    graded = summary.get("questions", {})
    notes = []
    for question in questions:
        result = graded.get(question.name)
        row.scores[question.name] = float(result["score"]) if result else 0.0
    stopped = [q.name for q in questions if q.name not in graded]
    row.total = sum(row.scores.values())
    errors = summary.get("cell_errors", [])
    interrupted = [e for e in errors if e["error"] == "KeyboardInterrupt"]
    raised = [e for e in errors if e["error"] != "KeyboardInterrupt"]
    if interrupted:
        notes.append(
            f"{len(interrupted)} cell(s) stopped at the {limits.cell_timeout_s} s limit "
            f"(first: {interrupted[0].get('line', '')!r})"
        )
    if stopped:
        notes.append(f"tests stopped at the time limit: {', '.join(stopped)}")
    if raised:
        first = raised[0]
        notes.append(
            f"{len(raised)} cell(s) raised errors (first: {first['error']} in "
            f"{first.get('line', '')!r})"
        )
    row.reason = "; ".join(notes)


class CsvSink:
    """Writes rows to the CSV as they arrive (flushed), then in submission order at the end."""

    def __init__(self, path: Path, questions: list[Question]) -> None:
        self.path = path
        self.questions = questions
        self.rows: list[GradeRow] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._writer = csv.writer(self._file)
        self._writer.writerow(csv_header(questions))
        self._file.flush()

    def add(self, row: GradeRow) -> None:
        """Append one row and flush it to disk."""
        with self._lock:
            self.rows.append(row)
            self._writer.writerow(row.as_csv(self.questions))
            self._file.flush()

    def close(self) -> None:
        """Rewrite the file sorted by submission (atomically) and close it."""
        self._file.close()
        ordered = sorted(self.rows, key=lambda r: _natural_key(r.submission))
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        with open(partial, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(csv_header(self.questions))
            writer.writerows(row.as_csv(self.questions) for row in ordered)
        partial.replace(self.path)


def grade_folder(
    folder: Path,
    assignment: str,
    autograder_zip: Path,
    output: Path,
    jobs: int,
    limits: GradingLimits,
    progress: bool = True,
    on_row: Callable[[GradeRow], None] | None = None,
) -> list[GradeRow]:
    """Grade every submission in `folder` with `jobs` parallel workers; write the CSV."""
    submissions = discover_submissions(folder)
    if not submissions:
        raise GradingSetupError(
            f"no submissions in {folder}: expected .ipynb files, .zip files or one folder each"
        )
    questions = autograder_questions(autograder_zip)
    skip_sources = _known_setup_cells(assignment)
    sink = CsvSink(output, questions)
    registry = ProcessRegistry()
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [
            pool.submit(
                grade_submission,
                s,
                assignment,
                autograder_zip,
                questions,
                limits,
                registry,
                skip_sources,
            )
            for s in submissions
        ]
        for future in _progress(as_completed(futures), len(futures), progress, assignment):
            row = future.result()
            sink.add(row)
            if on_row is not None:
                on_row(row)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the running submissions…", file=sys.stderr)
        registry.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        sink.close()
    return sorted(sink.rows, key=lambda r: _natural_key(r.submission))


def _known_setup_cells(assignment: str) -> frozenset[str]:
    """The generated set-up cell, whose test-file handling is not a red flag."""
    try:
        return frozenset({setup_cell_source(load_course_config(), assignment)})
    except CourseConfigError:
        return frozenset()


def _progress(items: Iterator[Any], total: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=f"grading {label}", unit="submission")


def _validate(args: argparse.Namespace, layout: CourseLayout) -> Path:
    """Check the command line; return the autograder zip."""
    if not str(args.submissions).strip() or str(args.submissions) == ".":
        raise GradingSetupError(
            "give the submissions folder: python -m tools.grade DIR --assignment NN_name "
            "(make grade SUBMISSIONS=DIR ASSIGNMENT=NN_name)"
        )
    if not args.submissions.is_dir():
        raise GradingSetupError(f"submissions folder {args.submissions} does not exist")
    built = sorted(p.parent.name for p in layout.autograder.glob("*/*-autograder.zip"))
    if not args.assignment:
        raise GradingSetupError(f"give --assignment, one of: {', '.join(built) or 'none built'}")
    zip_path = layout.autograder_zip(args.assignment)
    if not zip_path.is_file():
        hint = (
            f"built ones: {', '.join(built)}"
            if built
            else "none is built yet: run `make build` first"
        )
        raise GradingSetupError(f"no autograder for assignment {args.assignment!r} ({hint})")
    if args.cell_timeout < 1 or args.timeout < 1 or args.jobs < 1:
        raise GradingSetupError("--cell-timeout, --timeout and --jobs must be positive")
    return zip_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.grade",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("submissions", type=Path, help="folder of submissions")
    parser.add_argument("--assignment", required=True, help="NN_name of the assignment")
    parser.add_argument("--output", type=Path, help="CSV path (default: grades/NN_name.csv)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded in parallel (default: %(default)s, the CPUs)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT_S,
        help="seconds one cell may run before it is interrupted (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_SUBMISSION_TIMEOUT_S,
        help="seconds one submission may take in all (default: %(default)s)",
    )
    parser.add_argument("--root", type=Path, default=CourseLayout().root, help=argparse.SUPPRESS)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    layout = CourseLayout(args.root.resolve())
    try:
        zip_path = _validate(args, layout)
        output = args.output or Path("grades") / f"{args.assignment}.csv"
        limits = GradingLimits(args.cell_timeout, args.timeout)
        started = time.perf_counter()
        rows = grade_folder(
            args.submissions,
            args.assignment,
            zip_path,
            output,
            args.jobs,
            limits,
            progress=not args.no_progress,
        )
    except GradingSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    counts = {
        status: sum(r.status == status for r in rows)
        for status in (STATUS_OK, STATUS_TIMED_OUT, STATUS_FAILED)
    }
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(
        f"graded {len(rows)} submission(s) in {time.perf_counter() - started:.0f} s "
        f"({summary}); wrote {output}"
    )
    flagged = [r.submission for r in rows if "FLAG:" in r.reason]
    if flagged:
        print(f"read these by hand (code that reaches into the grader): {', '.join(flagged)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
