"""Score sheets for written answers: one CSV per manual question that a TA fills in.

Columns: `submission`, `answer_hash` (of the answer as it was shown for grading), `assignment`,
`question`, one column per rubric item (`r1: label (max P)`), `points` and `comment`. A TA enters
points per rubric item (or only `points` for a holistic score). Rows are never rewritten by a tool
once they exist; the review command only appends rows for new submissions.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.course.rubrics import ManualQuestion

FIXED_COLUMNS = ("submission", "answer_hash", "assignment", "question")
TAIL_COLUMNS = ("points", "comment")
SHEET_SUFFIX = "-scores.csv"
MANIFEST = "manifest.json"
KEY_FILE = "anonymization-key.json"


def sheet_path(folder: Path, question: str) -> Path:
    """Where a question's score sheet lives in a review folder."""
    return folder / f"{question}{SHEET_SUFFIX}"


def item_column(key: str, label: str, points: float) -> str:
    """The header of a rubric item's column."""
    return f"{key}: {label} (max {points:g})"


def sheet_header(question: ManualQuestion) -> list[str]:
    """All columns of a question's score sheet."""
    items = [item_column(i.key, i.label, i.points) for i in question.rubric.items]
    return [*FIXED_COLUMNS, *items, *TAIL_COLUMNS]


@dataclass
class SheetRow:
    """One row of a score sheet as a TA left it (raw text cells)."""

    line: int
    cells: dict[str, str] = field(default_factory=dict)

    def get(self, column: str) -> str:
        """A cell's text, stripped ('' when absent)."""
        return (self.cells.get(column) or "").strip()


def read_sheet(path: Path) -> tuple[list[str], list[SheetRow]]:
    """The header and rows of a score sheet (a spreadsheet's BOM and blank lines tolerated)."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        rows = list(reader)
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    found = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        found.append(SheetRow(number, dict(zip(header, cells, strict=False))))
    return header, found


def item_key(column: str) -> str | None:
    """`r1` for a column `r1: label (max 1)`, None for other columns."""
    head = column.split(":", 1)[0].strip()
    return head if head[:1] == "r" and head[1:].isdigit() else None


def is_scored(row: SheetRow, header: list[str]) -> bool:
    """Whether a TA entered anything that counts as a score in this row."""
    return any(row.get(c) for c in header if item_key(c)) or bool(row.get("points"))


def update_sheet(path: Path, question: ManualQuestion, rows: list[tuple[str, str]]) -> int:
    """Create the sheet, or append rows for submissions it lacks; return how many were added.

    `rows` are (submission, answer hash). Existing rows, scored or not, are left exactly as
    they are; a fresh row's hash is what the TA grades against.
    """
    header = sheet_header(question)
    if path.exists():
        existing_header, existing = read_sheet(path)
        have = {r.get("submission") for r in existing}
        new = [(s, h) for s, h in rows if s not in have]
        if not new:
            return 0
        with open(path, "a", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, fieldnames=existing_header or header, extrasaction="ignore")
            for submission, digest in new:
                writer.writerow(_blank_row(question, submission, digest))
        return len(new)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        for submission, digest in rows:
            writer.writerow(_blank_row(question, submission, digest))
    return len(rows)


def _blank_row(question: ManualQuestion, submission: str, digest: str) -> dict[str, str]:
    return {
        "submission": submission,
        "answer_hash": digest,
        "assignment": question.assignment,
        "question": question.name,
    }


def write_manifest(
    folder: Path, assignment: str, hashes: dict[str, dict[str, str]], anonymized: bool
) -> None:
    """Record the current answer hash of every submission per question (for the gradebook)."""
    path = folder / MANIFEST
    data = {"assignment": assignment, "anonymized": anonymized, "answer_hashes": hashes}
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    """The last review run in `folder`: assignment, anonymized, answer_hashes ({} without one)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


class Pseudonyms:
    """A stable mapping submission → pseudonym kept in a key file (never give it to graders)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        self.secret: str = data.get("secret") or secrets.token_hex(16)
        self.names: dict[str, str] = dict(data.get("pseudonyms", {}))

    def of(self, submission: str) -> str:
        """The pseudonym of a submission (made and remembered on first use)."""
        if submission not in self.names:
            digest = hmac.new(self.secret.encode(), submission.encode(), hashlib.sha256)
            self.names[submission] = f"anon-{digest.hexdigest()[:8]}"
        return self.names[submission]

    def reverse(self) -> dict[str, str]:
        """pseudonym → submission."""
        return {p: s for s, p in self.names.items()}

    def save(self) -> None:
        """Write the key file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"secret": self.secret, "pseudonyms": dict(sorted(self.names.items()))}
        self.path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
