"""How long a notebook takes a typical student, derived from its items (docs/authoring.md).

The estimate is a model, not a measurement: reading time for the Markdown at a pace for
technical prose with formulas, plus a fixed allowance per question by kind, plus time to run the
cells and look at what they show. Each notebook's header states the result, and a test keeps the
two equal, so an author who adds a question or a section sees the estimate move.

The **core path** is everything not marked as an extension: a section whose heading ends in
"(extension)" (all its questions with it), or a question whose heading's parenthesis names
"extension", e.g. "(decision, 7 points, extension)". A notebook whose title ends in
"(extension)" (06 and 07: breadth beyond the core course) is an extension as a whole. Each header
also states the core estimate and lists the extensions; course.toml's `grade_extensions = false`
leaves them out of the points.
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
SECTION_HEADING = re.compile(r"^## (.*)$", re.MULTILINE)
TITLE_HEADING = re.compile(r"^# (.*)$", re.MULTILINE)
SECTION_NUMBER = re.compile(r"^(\d+\w?) · ")
EXTENSION = re.compile(r"\(extension\)\s*$")


@dataclass(frozen=True)
class Item:
    """One question: its name, kind and points, and the minutes allowed for it."""

    name: str
    kind: str
    points: int
    minutes: int
    extension: bool = False


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


def is_extension_notebook(nb: nbformat.NotebookNode) -> bool:
    """Whether the notebook's title (its first "# " heading) ends in "(extension)"."""
    for cell in nb.cells:
        title = TITLE_HEADING.search(cell_source(cell)) if cell.cell_type == "markdown" else None
        if title is not None:
            return bool(EXTENSION.search(title[1].strip()))
    return False


def _sections(nb: nbformat.NotebookNode) -> list[tuple[str, bool, nbformat.NotebookNode]]:
    """Each cell with the title of the section it is in and whether that is an extension."""
    whole = is_extension_notebook(nb)
    title, extension = "", whole
    found: list[tuple[str, bool, nbformat.NotebookNode]] = []
    for cell in nb.cells:
        text = cell_source(cell)
        heading = SECTION_HEADING.search(text) if cell.cell_type == "markdown" else None
        if heading is not None and text.lstrip().startswith("## "):
            title = heading[1].strip()
            extension = whole or bool(EXTENSION.search(title))
        found.append((title, extension, cell))
    return found


def items(nb: nbformat.NotebookNode) -> list[Item]:
    """Every question of a source notebook, in order, marked when it is an extension."""
    found = []
    for _title, in_extension, cell in _sections(nb):
        if cell.cell_type != "markdown":
            continue
        for name, heading in QUESTION_HEADING.findall(cell_source(cell)):
            kind, points = classify(heading)
            tail = re.search(r"\(([^()]*)\)\s*$", heading)
            marked = tail is not None and "extension" in tail[1].lower()
            extension = in_extension or marked
            found.append(Item(name, kind, points, item_minutes(kind, points), extension))
    return found


def extension_sections(nb: nbformat.NotebookNode) -> list[str]:
    """The numbers of the sections marked as extensions ("9", "11"), in order."""
    if is_extension_notebook(nb):
        return []
    numbers = []
    for title, extension, cell in _sections(nb):
        number = SECTION_NUMBER.match(title)
        if extension and number and cell_source(cell).lstrip().startswith("## "):
            numbers.append(number[1])
    return numbers


def reading_words(nb: nbformat.NotebookNode, core_only: bool = False) -> int:
    """Words of Markdown a student reads (model answers excluded: students never see them);
    with `core_only`, the words of extension sections are left out."""
    words = 0
    for _title, extension, cell in _sections(nb):
        text = cell_source(cell)
        if core_only and extension:
            continue
        if cell.cell_type == "markdown" and not text.lstrip().startswith("**Model answer"):
            words += len(text.split())
    return words


def estimate_minutes(nb: nbformat.NotebookNode, core_only: bool = False) -> int:
    """Reading, questions and running, in minutes (the core path alone with `core_only`: 0 for
    a notebook that is an extension as a whole)."""
    if core_only and is_extension_notebook(nb):
        return 0
    reading = math.ceil(reading_words(nb, core_only) / READING_WPM)
    chosen = [item for item in items(nb) if not (core_only and item.extension)]
    return reading + sum(item.minutes for item in chosen) + RUNNING_MINUTES


def core_text(nb: nbformat.NotebookNode) -> str:
    """The header's line on the core path, e.g. "**Core path:** about 2 hours (...)"."""
    if is_extension_notebook(nb):
        return (
            "**Core path:** none. This whole notebook is an extension, for a course that goes "
            "beyond the core path of notebooks 01-05."
        )
    hours = hours_text(estimate_minutes(nb, core_only=True))
    sections = extension_sections(nb)
    questions = [item.name for item in items(nb) if item.extension]
    parts = []
    if sections:
        parts.append("sections " + ", ".join(sections))
    if questions:
        parts.append(", ".join(questions))
    listed = "; ".join(parts) if parts else "none"
    return (
        f"**Core path:** about {hours}, everything not marked *(extension)*. Extensions: {listed}."
    )


def core_column(nb: nbformat.NotebookNode) -> str:
    """The README's core-path column for one notebook: its hours, or "extension"."""
    return "extension" if is_extension_notebook(nb) else hours_text(estimate_minutes(nb, True))


def hours_text(minutes: int) -> str:
    """Minutes rounded to the nearest quarter hour, written as in the headers ("4¼ hours")."""
    quarters = max(1, round(minutes / 15))
    whole, rest = divmod(quarters, 4)
    fraction = {0: "", 1: "¼", 2: "½", 3: "¾"}[rest]
    if whole == 0:
        return f"{fraction} hour"
    return f"{whole}{fraction} hour" + ("" if quarters == 4 else "s")
