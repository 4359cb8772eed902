"""Recount what the code points pay for: the classification table of docs/authoring.md.

Every auto-graded code question (not multiple choice, not numeric, not written) has one row in
the table between the markers `<!-- classification:start -->` and `<!-- classification:end -->`
of docs/authoring.md, with its class:

- transcription: a 1-3-line translation of a formula printed above it;
- spelled-out: a build whose steps or layout the prompt lists (the student follows a recipe);
- name-only: called a decision, but the prose or a library call already makes the choice;
- decision: the prompt states the goal, the interface and what must hold, and the student
  chooses the method; the hidden tests check behaviour only.

The points come from the notebooks, so a change of points without a change of the table fails
`tests/tooling/test_classification.py`, which also keeps the shares within the course's targets.
Run `python -m tools.course.classification` to print the recount.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tools.course.layout import CourseLayout
from tools.course.notebooks import read_notebook
from tools.course.workload import items

CLASSES = ("transcription", "spelled-out", "name-only", "decision")
#: The course's targets for shares of code points (docs/authoring.md, Points follow the work).
AT_LEAST = {"decision": 0.35}
AT_MOST = {"spelled-out": 0.30, "transcription": 0.20, "name-only": 0.0}
START, END = "<!-- classification:start -->", "<!-- classification:end -->"
ROW = re.compile(r"^\|\s*(\d\d)\s*\|\s*(Q\d+\w*)\s*\|[^|]*\|\s*(\d+)\s*\|\s*([\w-]+)\s*\|")


@dataclass(frozen=True)
class Row:
    """One code question as the table classifies it."""

    notebook: str  # "01"
    question: str  # "Q4"
    points: int
    kind: str


def table(path: Path | None = None) -> list[Row]:
    """The rows of the classification table in docs/authoring.md."""
    path = path or CourseLayout().root / "docs" / "authoring.md"
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path}: no classification table between {START} and {END}")
    body = text[text.index(START) : text.index(END)]
    rows = []
    for line in body.splitlines():
        match = ROW.match(line)
        if match:
            notebook, question, points, kind = match.groups()
            if kind not in CLASSES:
                raise ValueError(f"{line!r}: the class must be one of {CLASSES}")
            rows.append(Row(notebook, question, int(points), kind))
    return rows


def code_questions(layout: CourseLayout | None = None) -> dict[tuple[str, str], int]:
    """(notebook number, question) -> points of every code question, read from the sources."""
    layout = layout or CourseLayout()
    found = {}
    for name in layout.assignments():
        for item in items(read_notebook(layout.source(name))):
            if item.kind in ("code", "decision"):
                found[(name[:2], item.name)] = item.points
    return found


def shares(rows: list[Row]) -> dict[str, float]:
    """The share of all code points that each class carries."""
    points: Counter[str] = Counter()
    for row in rows:
        points[row.kind] += row.points
    total = sum(points.values())
    return {kind: points[kind] / total for kind in CLASSES}


def problems(rows: list[Row], questions: dict[tuple[str, str], int]) -> list[str]:
    """What keeps the table from matching the notebooks or the targets (empty: all is well)."""
    found = []
    listed = {(row.notebook, row.question): row for row in rows}
    for key, points in sorted(questions.items()):
        row = listed.get(key)
        if row is None:
            found.append(f"{key[0]} {key[1]} ({points} points) is not in the table")
        elif row.points != points:
            found.append(
                f"{key[0]} {key[1]}: the table says {row.points} points, the notebook {points}"
            )
    extra = listed.keys() - questions.keys()
    found += [f"{k[0]} {k[1]} is in the table but not a code question" for k in extra]
    share = shares(rows)
    found += [f"{k}: {share[k]:.1%} < {v:.0%}" for k, v in AT_LEAST.items() if share[k] < v]
    found += [f"{k}: {share[k]:.1%} > {v:.0%}" for k, v in AT_MOST.items() if share[k] > v]
    return found


def main() -> int:
    """Print the recount and whatever keeps it from the targets."""
    rows = table()
    total = sum(row.points for row in rows)
    for kind, share in shares(rows).items():
        points = sum(row.points for row in rows if row.kind == kind)
        print(f"{kind:<14} {points:3d} of {total} code points  {share:6.1%}")
    issues = problems(rows, code_questions())
    for issue in issues:
        print(f"problem: {issue}")
    return 1 if issues else 0


if __name__ == "__main__":
    raise SystemExit(main())
