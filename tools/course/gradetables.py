"""Auto-graded scores read from `tools.grade`'s CSV or from Gradescope's score export.

`tools.grade` CSV: submission, q1..qN, total, max_total, status, reason.

Gradescope's "Download Grades" CSV of an assignment (assumed layout, see docs/instructors.md):
`Name` (or `First Name` and `Last Name`), `SID`, `Email`, `Total Score`, `Max Points`, `Status`
(`Graded`, `Ungraded` or `Missing`), optional `Submission ID`, `Submission Time`, `Lateness`, and
one column per question titled `N: title (P pts)` or `title (P pts)`. A student is identified by
`SID`, or `Email` when the SID is empty; the question is the `qN` in the title (e.g. `1: q1 (1.0
pts)` or `Q8b (6.0 pts)`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

OUR_TAIL = ["total", "max_total", "status", "reason"]
_GS_QUESTION = re.compile(
    r"^(?:\d+(?:\.\d+)*\s*:\s*)?(?P<title>.+?)\s*\((?P<points>\d+(?:\.\d+)?)\s*pts?\)$", re.I
)
_Q_NAME = re.compile(r"\b(q\d+[a-z]?)\b", re.I)


class GradeTableError(ValueError):
    """A grade CSV that cannot be read: the message says what is wrong and what to do."""


@dataclass
class GradeEntry:
    """One student's auto-graded result."""

    submission: str
    scores: dict[str, float | None] = field(default_factory=dict)
    status: str = "ok"
    reason: str = ""
    name: str = ""
    email: str = ""


@dataclass
class GradeTable:
    """The auto-graded questions of one assignment and every student's entry."""

    source: Path
    questions: list[str]
    possible: dict[str, float]
    entries: dict[str, GradeEntry]
    duplicates: list[str]
    kind: str


def _float(text: str, where: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise GradeTableError(f"{where}: {text!r} is not a number") from exc


def read_grade_table(path: Path, possible: dict[str, float] | None = None) -> GradeTable:
    """Read either format (told apart by the header); `possible` gives per-question maxima."""
    if not path.is_file():
        raise GradeTableError(f"{path} does not exist: run make grade first (or give --scores)")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [r for r in csv.reader(f) if any(c.strip() for c in r)]
    if not rows:
        raise GradeTableError(f"{path} is empty")
    header = [h.strip() for h in rows[0]]
    if header[:1] == ["submission"] and header[-4:] == OUR_TAIL:
        return _ours(path, header, rows[1:], possible or {})
    if "Total Score" in header and ("SID" in header or "Email" in header):
        return _gradescope(path, header, rows[1:])
    raise GradeTableError(
        f"{path} is neither a make grade CSV (submission, q…, total, max_total, status, reason) "
        "nor a Gradescope score export (SID/Email, Total Score, … columns)"
    )


def _ours(
    path: Path, header: list[str], rows: list[list[str]], possible: dict[str, float]
) -> GradeTable:
    questions = header[1:-4]
    entries: dict[str, GradeEntry] = {}
    duplicates = []
    for number, row in enumerate(rows, start=2):
        cells = dict(zip(header, row, strict=False))
        sub = cells.get("submission", "").strip()
        where = f"{path} line {number}"
        entry = GradeEntry(
            sub,
            {q: _float(cells.get(q, ""), f"{where} column {q}") for q in questions},
            cells.get("status", "").strip() or "ok",
            cells.get("reason", "").strip(),
        )
        if sub in entries:
            duplicates.append(sub)
        entries[sub] = entry
    maxima = {q: float(possible.get(q, 0.0)) for q in questions}
    return GradeTable(path, questions, maxima, entries, duplicates, "make grade")


def _gradescope(path: Path, header: list[str], rows: list[list[str]]) -> GradeTable:
    columns: dict[str, str] = {}
    possible: dict[str, float] = {}
    for column in header:
        match = _GS_QUESTION.match(column)
        if not match:
            continue
        found = _Q_NAME.search(match["title"])
        key = found[1].lower() if found else match["title"].strip()
        columns[key] = column
        possible[key] = float(match["points"])
    entries: dict[str, GradeEntry] = {}
    duplicates = []
    for number, row in enumerate(rows, start=2):
        cells = {k: v.strip() for k, v in zip(header, row, strict=False)}
        sid = cells.get("SID", "") or cells.get("Email", "")
        if not sid:
            raise GradeTableError(f"{path} line {number}: no SID and no Email")
        name = cells.get("Name") or " ".join(
            p for p in (cells.get("First Name", ""), cells.get("Last Name", "")) if p
        )
        status = cells.get("Status", "Graded")
        where = f"{path} line {number}"
        entry = GradeEntry(
            sid,
            {q: _float(cells.get(c, ""), f"{where} column {c!r}") for q, c in columns.items()},
            "ok" if status.lower() == "graded" else status.lower(),
            "" if status.lower() == "graded" else f"Gradescope status {status}",
            name,
            cells.get("Email", ""),
        )
        if sid in entries:
            duplicates.append(sid)
        entries[sid] = entry
    return GradeTable(path, list(columns), possible, entries, duplicates, "Gradescope")
