"""Synthetic submissions for the written-answer tools: the student notebook, answers typed in."""

from __future__ import annotations

import base64
import csv
import json
from pathlib import Path
from typing import Any

from tools.course.answers import PLACEHOLDER
from tools.course.layout import CourseLayout

ASSIGNMENT = "02_vae_theory"
WRITTEN = ["q4", "q11", "q12", "q13"]
AUTO = ["q1", "q2", "q3", "q5", "q6", "q7", "q8", "q8b", "q9", "q10"]
# A 1×1 red PNG.
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
    )
).decode("ascii")


def student_notebook() -> dict[str, Any]:
    """The committed student notebook of ASSIGNMENT, as JSON."""
    path = CourseLayout().student_notebook(ASSIGNMENT)
    return json.loads(path.read_text(encoding="utf-8"))


def answer_cells(nb: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """question → its answer cell (the placeholder cell under the question's prompt)."""
    cells = nb["cells"]
    found = {}
    for index, cell in enumerate(cells):
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for name in WRITTEN:
            if f"### {name.upper()} ·" in text:
                found[name] = cells[index + 1]
    return found


def write_submission(folder: Path, name: str, answers: dict[str, str], image: bool = False) -> Path:
    """A submission `name.ipynb` whose written answers are `answers` (others left blank)."""
    nb = student_notebook()
    cells = answer_cells(nb)
    for question, text in answers.items():
        cell = cells[question]
        assert "".join(cell["source"]).strip() == PLACEHOLDER
        cell["source"] = text + ("\n\n![my plot](attachment:plot.png)" if image else "")
        if image:
            cell["attachments"] = {"plot.png": {"image/png": PNG}}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def write_grade_csv(
    path: Path, scores: dict[str, dict[str, float]], status: dict[str, str] | None = None
) -> Path:
    """A `tools.grade` CSV for ASSIGNMENT with the given auto-graded scores."""
    status = status or {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *AUTO, "total", "max_total", "status", "reason"])
        for sub, row in scores.items():
            values = [row.get(q, 0.0) for q in AUTO]
            state = status.get(sub, "ok")
            reason = "" if state == "ok" else "stopped after 600 s (whole-submission limit)"
            writer.writerow([sub, *values, sum(values), 20, state, reason])
    return path


def fill_sheet(path: Path, scores: dict[str, list[str]], comment: str = "") -> None:
    """Type rubric-item points into a score sheet the way a TA would (spreadsheet round trip)."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    items = [i for i, h in enumerate(header) if h[:1] == "r" and h[1:2].isdigit()]
    for row in rows[1:]:
        if row[0] in scores:
            for column, value in zip(items, scores[row[0]], strict=True):
                row[column] = value
            row[header.index("comment")] = comment
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
