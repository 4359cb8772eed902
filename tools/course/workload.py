"""How long a notebook takes a typical student, derived from its items (docs/authoring.md).

The estimate is a model, not a measurement: reading time for the Markdown at a pace for
technical prose with formulas, plus a fixed allowance per question by kind, plus time to run the
cells and look at what they show. Each notebook's header states the result, and a test keeps the
two equal, so an author who adds a question or a section sees the estimate move.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import nbformat

from tools.course.notebooks import cell_source

#: Words per minute for technical prose with formulas, read to understand, not skimmed.
READING_WPM = 150
#: Minutes per question, by kind. Code exercises: by points (points follow the work). The values
#: are calibrated so that the course's total (22 hours) and notebook 04 (3¾ hours) fall inside an
#: educator's estimate for a typical student (20-23 hours; 04: 3½-4 hours).
MINUTES = {
    "choice": 6,  # multiple choice: read the options, check them against the section
    "numeric": 8,  # a number computed by hand or in a cell
    "written": 15,  # a few sentences of explanation
    "derivation": 25,  # a short derivation in LaTeX
    "experiment": 45,  # a "your turn" experiment: plan, run, measure, write it up
    "decision": 60,  # a goal and an interface only: the method is the student's choice
}
CODE_MINUTES_BASE = 5
CODE_MINUTES_PER_POINT = 5
#: Running the cells, waiting for training, looking at the figures and widgets.
RUNNING_MINUTES = 15

QUESTION_HEADING = re.compile(r"^### (Q\d+\w*) · (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Item:
    """One question: its name, kind and points, and the minutes allowed for it."""

    name: str
    kind: str
    points: int
    minutes: int


def classify(heading: str) -> tuple[str, int]:
    """(kind, points) of a question heading such as "`VAE` (4 points)"."""
    match = re.search(r"\(([^()]*?)(\d+) points?[^()]*\)\s*$", heading)
    if match is None:
        raise ValueError(f"a question heading must end in '(… N points)': {heading!r}")
    label, points = match[1].lower(), int(match[2])
    tail = match[0].lower()
    if "your design" in tail or "decision" in label:
        return "decision", points
    if "multiple choice" in label:
        return "choice", points
    if "numeric" in label:
        return "numeric", points
    if "derivation" in label:
        return "derivation", points
    if "written" in label:
        experiment = re.search(r"your (experiment|findings)", heading, re.IGNORECASE)
        return ("experiment" if experiment else "written"), points
    return "code", points


def item_minutes(kind: str, points: int) -> int:
    """The allowance for one question."""
    if kind == "code":
        return CODE_MINUTES_BASE + CODE_MINUTES_PER_POINT * points
    return MINUTES[kind]


def items(nb: nbformat.NotebookNode) -> list[Item]:
    """Every question of a source notebook, in order."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for name, heading in QUESTION_HEADING.findall(cell_source(cell)):
            kind, points = classify(heading)
            found.append(Item(name, kind, points, item_minutes(kind, points)))
    return found


def reading_words(nb: nbformat.NotebookNode) -> int:
    """Words of Markdown a student reads (model answers excluded: students never see them)."""
    words = 0
    for cell in nb.cells:
        text = cell_source(cell)
        if cell.cell_type == "markdown" and not text.lstrip().startswith("**Model answer"):
            words += len(text.split())
    return words


def estimate_minutes(nb: nbformat.NotebookNode) -> int:
    """Reading, questions and running, in minutes."""
    reading = math.ceil(reading_words(nb) / READING_WPM)
    return reading + sum(item.minutes for item in items(nb)) + RUNNING_MINUTES


def hours_text(minutes: int) -> str:
    """Minutes rounded to the nearest quarter hour, written as in the headers ("4¼ hours")."""
    quarters = max(1, round(minutes / 15))
    whole, rest = divmod(quarters, 4)
    fraction = {0: "", 1: "¼", 2: "½", 3: "¾"}[rest]
    if whole == 0:
        return f"{fraction} hour"
    return f"{whole}{fraction} hour" + ("" if quarters == 4 else "s")
