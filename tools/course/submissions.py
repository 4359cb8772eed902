"""Finding, reading and grading submissions, and the CSV their rows go to.

The command is `tools/grade.py`; the sandbox and verdicts are in `vae_grading`.
"""

from __future__ import annotations

import csv
import functools
import re
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from tools.course.notebooks import PYTHON3_KERNELSPEC, strip_outputs
from tools.course.zipfiles import MAX_NOTEBOOK_BYTES, UnsafeZipError, notebook_from_submission_zip
from vae_grading.autograder import Autograder, QuestionPoints, read_autograder
from vae_grading.contract import PluginSettings
from vae_grading.local_grading import LocalGrade, grade_notebook
from vae_grading.sandbox import SandboxLimits
from vae_grading.scoring import QuestionScore

DEFAULT_CELL_TIMEOUT_S = PluginSettings().cell_timeout  # as on otter's path
DEFAULT_SUBMISSION_TIMEOUT_S = 600
STATUS_OK = "ok"
STATUS_TIMED_OUT = "timed out"
STATUS_FAILED = "could not execute"
STATUS_REFUSED = "refused"
STATUS_DISK_FULL = "disk limit"
MAX_REASON_CHARS = 300
#: First characters that make a spreadsheet read a cell as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class GradingSetupError(ValueError):
    """The command was called with a folder, assignment or option that cannot be graded."""


@dataclass(frozen=True)
class Submission:
    """One entry of the submissions folder: its identifier and the file holding the notebook."""

    identifier: str
    path: Path | None
    problem: str | None = None


@dataclass
class GradeRow:
    """The CSV row of one graded submission."""

    submission: str
    scores: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    max_total: float = 0.0
    status: str = STATUS_OK
    reason: str = ""
    messages: dict[str, list[str]] = field(default_factory=dict)  # verdict messages per question

    def as_csv(self, questions: list[QuestionPoints]) -> list[str]:
        """The row's cells, in the column order of `csv_header` (as data, not yet escaped)."""
        return [
            self.submission,
            *(_number(self.scores.get(q.name, 0.0)) for q in questions),
            _number(self.total),
            _number(self.max_total),
            self.status,
            self.reason,
        ]


def spreadsheet_safe(cell: str) -> str:
    """The cell as a spreadsheet shows it as text: a leading quote before a formula start."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) or cell.startswith("'") else cell


def from_spreadsheet_safe(cell: str) -> str:
    """The cell's data back from `spreadsheet_safe`."""
    return cell[1:] if cell.startswith("'") else cell


def name_key(name: str) -> str:
    """What two submission names must not share: the name, NFKC-normalised and case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def csv_header(questions: list[QuestionPoints]) -> list[str]:
    """Column names: submission, one per question, total, max_total, status, reason."""
    return ["submission", *(q.name for q in questions), "total", "max_total", "status", "reason"]


def _number(value: float) -> str:
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text or "0"


def _natural_key(name: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


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
    return refuse_clashes(found, folder)


def refuse_clashes(found: list[Submission], folder: Path) -> list[Submission]:
    """Submissions whose row names clash (equal once NFKC-normalised and case-folded) are all
    refused, each under its own entry name (`name.ipynb`, `folder/`), never renamed into a row."""
    labels = [
        s.path.name if s.path is not None and s.path.parent == folder else s.identifier + "/"
        for s in found
    ]
    current = list(found)
    refused = [False] * len(found)
    while True:
        groups: dict[str, list[int]] = {}
        for index, s in enumerate(current):
            groups.setdefault(name_key(s.identifier), []).append(index)
        clashing = [
            members
            for members in groups.values()
            if len(members) > 1 and not all(refused[m] for m in members)
        ]
        if not clashing:
            return current
        for members in clashing:
            for index in members:
                others = ", ".join(repr(labels[o]) for o in members if o != index)
                refused[index] = True
                current[index] = Submission(
                    labels[index],
                    None,
                    f"refused: its name clashes with {others} (the same row name once case and "
                    "Unicode look-alikes are ignored); rename one so each has its own name, "
                    "then grade again with --resume",
                )


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
        nb = nbformat.reads(data.decode("utf-8"), as_version=4)
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a notebook"
        raise UnsafeZipError(f"not a readable notebook ({type(exc).__name__})") from exc
    for index, cell in enumerate(nb.get("cells", [])):
        source = cell.get("source", "") if isinstance(cell, dict) else None
        if not (
            isinstance(source, str)
            or (isinstance(source, list) and all(isinstance(line, str) for line in source))
        ):
            raise UnsafeZipError(f"not a readable notebook (cell {index} holds no text)")
    return nb


def canonical_notebook(nb: nbformat.NotebookNode, assignment: str) -> nbformat.NotebookNode:
    """The submission as the autograder expects it: python3 kernel, assignment name, no outputs."""
    nb = strip_outputs(nb)
    nb.metadata["kernelspec"] = dict(PYTHON3_KERNELSPEC)
    otter_meta = nb.metadata.setdefault("otter", {})
    if not isinstance(otter_meta, dict):
        nb.metadata["otter"] = otter_meta = {}
    otter_meta.setdefault("assignment_name", assignment)
    return nb


@dataclass(frozen=True)
class GradingLimits:
    """Time limits for one submission, and whether student code runs in the sandbox."""

    cell_timeout_s: int = DEFAULT_CELL_TIMEOUT_S
    submission_timeout_s: int = DEFAULT_SUBMISSION_TIMEOUT_S
    sandbox: bool = True
    disk_bytes: int = SandboxLimits().disk_bytes


@functools.lru_cache(maxsize=16)
def _autograder(zip_path: Path, mtime_ns: int) -> Autograder:
    return read_autograder(zip_path)


def load_autograder(zip_path: Path) -> Autograder:
    """The autograder zip's questions, points and public tests (cached per file version)."""
    return _autograder(zip_path.resolve(), zip_path.stat().st_mtime_ns)


def run_isolated(
    nb: nbformat.NotebookNode, assignment: str, autograder_zip: Path, limits: GradingLimits
) -> LocalGrade:
    """Grade a canonical notebook: execute it sandboxed and score it here."""
    return grade_notebook(
        nb,
        assignment,
        load_autograder(autograder_zip),
        SandboxLimits(seconds=limits.submission_timeout_s, disk_bytes=limits.disk_bytes),
        limits.cell_timeout_s,
        sandbox=limits.sandbox,
    )


def verdict_messages(score: QuestionScore) -> list[str]:
    """What a question's row and feedback file show: why it earned nothing, or each failed check."""
    return [score.error] if score.error else [c.message for c in score.checks if not c.passed]


def grade_submission(
    submission: Submission,
    assignment: str,
    autograder_zip: Path,
    questions: list[QuestionPoints],
    limits: GradingLimits,
) -> GradeRow:
    """Grade one submission; any failure becomes this submission's row, never an exception."""
    row = GradeRow(submission.identifier, max_total=sum(q.possible for q in questions))
    if submission.problem is not None:
        refused = submission.problem.startswith("refused:")
        row.status = STATUS_REFUSED if refused else STATUS_FAILED
        row.reason = submission.problem
        return row
    try:
        nb = canonical_notebook(read_submission_notebook(submission, assignment), assignment)
    except (UnsafeZipError, OSError) as exc:
        row.status, row.reason = STATUS_FAILED, str(exc)[:MAX_REASON_CHARS]
        return row
    except Exception as exc:  # noqa: BLE001 - a malformed notebook is this row's problem only
        row.status = STATUS_FAILED
        row.reason = f"not a readable notebook ({type(exc).__name__})"
        return row
    try:
        run = run_isolated(nb, assignment, autograder_zip, limits)
    except Exception as exc:  # noqa: BLE001 - never lose the row
        row.status, row.reason = STATUS_FAILED, f"grader error: {type(exc).__name__}: {exc}"
        row.reason = row.reason[:MAX_REASON_CHARS]
        return row
    if run.timed_out:
        row.status = STATUS_TIMED_OUT
        row.reason = f"stopped after {limits.submission_timeout_s} s (whole-submission limit)"
    else:
        fill_from_grade(row, run, questions, limits)
        if run.disk_full:
            row.status = STATUS_DISK_FULL
            quota = limits.disk_bytes // 2**20
            row.reason = f"the submission filled its {quota} MiB disk quota; " + row.reason
    row.reason = row.reason[:MAX_REASON_CHARS]
    return row


def fill_from_grade(
    row: GradeRow, grade: LocalGrade, questions: list[QuestionPoints], limits: GradingLimits
) -> None:
    """Turn the grader's result into the row's scores, messages and reason."""
    for question in questions:
        score = grade.scores.get(question.name)
        row.scores[question.name] = score.score if score else 0.0
        row.messages[question.name] = verdict_messages(score) if score else []
    row.total = sum(row.scores.values())
    notes = []
    if grade.crashed:
        notes.append(f"the notebook stopped early: {grade.crashed}")
    interrupted = [e for e in grade.cell_errors if e.error == "KeyboardInterrupt"]
    raised = [e for e in grade.cell_errors if e.error != "KeyboardInterrupt"]
    if interrupted:
        notes.append(
            f"{len(interrupted)} cell(s) stopped at the {limits.cell_timeout_s} s limit "
            f"(first: {interrupted[0].line!r})"
        )
    if raised:
        notes.append(
            f"{len(raised)} cell(s) raised errors (first: {raised[0].error} in {raised[0].line!r})"
        )
    row.reason = "; ".join(notes)


class CsvSink:
    """Appends rows to the CSV as they arrive (flushed), then rewrites it in submission order.

    With `resume`, the rows already in the file are kept as they are and their submissions are
    not graded again; a row once written is never changed by a later submission.
    """

    def __init__(self, path: Path, questions: list[QuestionPoints], resume: bool = False) -> None:
        self.path = path
        self.questions = questions
        self.rows: list[list[str]] = []
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        header = csv_header(questions)
        if resume and path.is_file():
            with open(path, newline="", encoding="utf-8") as f:
                existing = list(csv.reader(f))
            if not existing or existing[0] != header:
                raise GradingSetupError(
                    f"{path} has other columns than this assignment's: cannot resume into it"
                )
            self.rows = [row for row in existing[1:] if row]
        self._file = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._writer = csv.writer(self._file)
        self._writer.writerow(header)
        self._writer.writerows(self.rows)
        self._file.flush()

    @property
    def done(self) -> set[str]:
        """Submissions that already have a row."""
        return {from_spreadsheet_safe(row[0]) for row in self.rows}

    def add(self, row: GradeRow) -> None:
        """Append one row (cells escaped for spreadsheets) and flush it to disk."""
        cells = [spreadsheet_safe(cell) for cell in row.as_csv(self.questions)]
        with self._lock:
            self.rows.append(cells)
            self._writer.writerow(cells)
            self._file.flush()

    def close(self) -> None:
        """Rewrite the file sorted by submission (atomically) and close it."""
        self._file.close()
        ordered = sorted(self.rows, key=lambda r: _natural_key(from_spreadsheet_safe(r[0])))
        partial = self.path.with_suffix(self.path.suffix + ".partial")
        with open(partial, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(csv_header(self.questions))
            writer.writerows(ordered)
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
    resume: bool = False,
) -> list[GradeRow]:
    """Grade every submission in `folder` (not yet in the CSV when resuming); write the CSV."""
    submissions = discover_submissions(folder)
    if not submissions:
        raise GradingSetupError(
            f"no submissions in {folder}: expected .ipynb files, .zip files or one folder each"
        )
    questions = load_autograder(autograder_zip).graded
    sink = CsvSink(output, questions, resume=resume)
    todo = [s for s in submissions if s.identifier not in sink.done]
    rows: list[GradeRow] = []
    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futures = [
            pool.submit(grade_submission, s, assignment, autograder_zip, questions, limits)
            for s in todo
        ]
        for future in _progress(as_completed(futures), len(futures), progress, assignment):
            row = future.result()
            rows.append(row)
            sink.add(row)
            if on_row is not None:
                on_row(row)
    except KeyboardInterrupt:
        print("\ninterrupted: rows so far are kept; --resume continues", file=sys.stderr)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        sink.close()
    return sorted(rows, key=lambda r: _natural_key(r.submission))


def _progress(items: Iterator[Any], total: int, enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=f"grading {label}", unit="submission")
