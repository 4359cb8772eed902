"""Verdict messages saved beside the grade CSV, and one Markdown feedback file per submission.

`tools.grade` appends one JSON line per graded submission to `grades/NN_name.messages.jsonl`
(status, reason, the failed checks' messages per question); `tools.gradebook` adds the written
answers' rubric items and comments. A feedback file says, per question, the score and the
verdict's message: the same text Gradescope shows, never a test, an input or a reference.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vae_grading.scoring import MAX_MESSAGE_CHARS  # as the grader cuts a verdict's message

MAX_MESSAGES = 10  # per question
PASSED = "all hidden checks passed"
MESSAGES_SUFFIX = ".messages.jsonl"


def messages_path(grade_csv: Path) -> Path:
    """Where the verdict messages of a grade CSV are kept."""
    return grade_csv.with_name(grade_csv.stem + MESSAGES_SUFFIX)


class MessageLog:
    """Appends one JSON line per graded submission (flushed; --resume keeps the old lines)."""

    def __init__(self, path: Path, resume: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        cut = resume and path.is_file() and not path.read_bytes().endswith(b"\n")
        self._file: IO[str] = open(path, "a" if resume else "w", encoding="utf-8")  # noqa: SIM115
        if cut and path.stat().st_size:
            self._file.write("\n")  # end a line an interrupted batch left half-written
        self._lock = threading.Lock()

    def add(self, row: Any) -> None:
        """Record a `GradeRow`'s status, reason and messages."""
        record = {
            "submission": row.submission,
            "status": row.status,
            "reason": row.reason,
            "messages": {
                question: [str(m)[:MAX_MESSAGE_CHARS] for m in messages[:MAX_MESSAGES]]
                for question, messages in row.messages.items()
            },
        }
        with self._lock:
            self._file.write(json.dumps(record, sort_keys=True) + "\n")
            self._file.flush()

    def close(self) -> None:
        """Close the file."""
        self._file.close()


def read_messages(path: Path) -> dict[str, dict[str, Any]]:
    """submission → its last record in a messages log ({} when there is no log)."""
    records: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut short by an interrupted batch
        if isinstance(record, dict) and isinstance(record.get("submission"), str):
            records[record["submission"]] = record
    return records


@dataclass
class QuestionFeedback:
    """One question's line in a feedback file."""

    name: str
    score: float | None
    possible: float
    messages: list[str] = field(default_factory=list)
    items: list[tuple[str, float | None, float]] = field(default_factory=list)
    comment: str = ""
    written: bool = False


@dataclass
class SubmissionFeedback:
    """Everything one student's feedback file says."""

    assignment: str
    submission: str
    status: str
    reason: str
    questions: list[QuestionFeedback]

    @property
    def total(self) -> float:
        """Points earned so far."""
        return sum(q.score or 0.0 for q in self.questions)

    @property
    def possible(self) -> float:
        """Points available."""
        return sum(q.possible for q in self.questions)


def _clean(text: str) -> str:
    """One message on one line, capped (as Gradescope shows it)."""
    return " ".join(str(text).split())[:MAX_MESSAGE_CHARS]


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def _points(value: float | None) -> str:
    return "pending" if value is None else f"{value:g}"


def render_feedback(feedback: SubmissionFeedback) -> str:
    """The Markdown of one feedback file."""
    lines = [
        f"# Feedback: {feedback.assignment}",
        "",
        f"Submission `{feedback.submission}`: "
        f"**{feedback.total:g} / {feedback.possible:g}** points.",
        "",
    ]
    if feedback.status != "ok":
        lines += [
            f"Your notebook could not be graded fully ({feedback.status}): "
            f"{_clean(feedback.reason)}",
            "",
        ]
    elif feedback.reason:
        lines += [f"Note: {_clean(feedback.reason)}", ""]
    lines += ["| question | points | feedback |", "|---|---|---|"]
    for q in feedback.questions:
        if q.written and q.score is None:
            text = "not graded yet"
        elif q.written:
            text = "; ".join(f"{label}: {_points(got)}/{most:g}" for label, got, most in q.items)
            if q.comment:
                text += f" — {_clean(q.comment)}"
        elif q.score is not None and q.score >= q.possible:
            text = PASSED
        else:
            text = "; ".join(_clean(m) for m in q.messages) or "no points"
        name = f"{q.name} (written)" if q.written else q.name
        lines.append(f"| {name} | {_points(q.score)} / {q.possible:g} | {_cell(text)} |")
    lines += [
        "",
        "Auto-graded questions were checked by hidden tests on fresh inputs; the message names",
        "what went wrong. Written answers were read by a person against a rubric.",
        "",
    ]
    return "\n".join(lines)


def write_feedback_files(folder: Path, items: list[SubmissionFeedback]) -> int:
    """Write `folder/<submission>.md` for each submission; return how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    for feedback in items:
        name = feedback.submission.replace("/", "_")
        (folder / f"{name}.md").write_text(render_feedback(feedback), encoding="utf-8")
    return len(items)


def auto_feedback(
    assignment: str, entry: Any, possible: dict[str, float], record: dict[str, Any] | None
) -> SubmissionFeedback:
    """A submission's feedback from its grade entry (`GradeEntry`) and messages record."""
    messages = (record or {}).get("messages", {})
    questions = [
        QuestionFeedback(q, entry.scores.get(q), possible.get(q, 0.0), list(messages.get(q, [])))
        for q in possible
    ]
    return SubmissionFeedback(assignment, entry.submission, entry.status, entry.reason, questions)


def feedback_folder(grade_csv: Path, assignment: str) -> Path:
    """Where the feedback files of a grade CSV go: `<its folder>/feedback/NN_name/`."""
    return grade_csv.parent / "feedback" / assignment


def write_grade_feedback(grade_csv: Path, assignment: str, autograder_zip: Path) -> Path:
    """Feedback files for every row of a `tools.grade` CSV (auto-graded questions only)."""
    from tools.course.gradetables import read_grade_table
    from vae_grading.autograder import possible_points, read_points

    possible = possible_points(read_points(autograder_zip))
    table = read_grade_table(grade_csv, possible)
    records = read_messages(messages_path(grade_csv))
    folder = feedback_folder(grade_csv, assignment)
    items = [
        auto_feedback(assignment, entry, table.possible, records.get(sub))
        for sub, entry in table.entries.items()
    ]
    write_feedback_files(folder, items)
    return folder
