"""The written (manual) questions of a source notebook: prompt, model answer and structured rubric.

A manual question's solution cell ends with its rubric in this form (Markdown, rendered as a list):

    *Rubric (2 pts):*

    - **1 pt · part 1, the minimiser:** what earns the point ...
      (continuation lines are indented)
    - **0.5 pt · a remedy:** ...

    Optional notes (deductions, what else is accepted) after the list.

The rubric sits inside the solution region, so `otter assign` removes it from the student notebook
(and `tools.course.leaks` checks that it stays out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from tools.course.notebooks import cell_source, read_notebook
from tools.course.otter_format import region_marker

_HEADER = re.compile(r"^\*?Rubric \((?P<points>[\d.½]+) pts?\):\*?\s*$", re.MULTILINE)
_ITEM = re.compile(r"^- \*\*(?P<points>[\d.½]+) pts? · (?P<label>.+?):\*\*\s*(?P<text>.*)$")
_HEADING = re.compile(r"^#+\s*(?P<title>.+)$", re.MULTILINE)


class RubricError(ValueError):
    """A manual question's rubric is missing or malformed, or its points do not add up."""


@dataclass(frozen=True)
class RubricItem:
    """One line of a rubric: a short id (r1, r2, …), a label, the full description, its points."""

    key: str
    label: str
    description: str
    points: float


@dataclass(frozen=True)
class Rubric:
    """A question's rubric: its items, the total it states and free-text notes."""

    items: tuple[RubricItem, ...]
    stated_points: float
    notes: str

    @property
    def points(self) -> float:
        """The sum of the items' points."""
        return sum(item.points for item in self.items)


@dataclass(frozen=True)
class ManualQuestion:
    """A written question as the source notebook defines it."""

    assignment: str
    name: str
    points: float
    title: str
    prompt: str
    model_answer: str
    rubric: Rubric


def _number(text: str) -> float:
    return float(text.replace("½", ".5") if text != "½" else "0.5")


def parse_rubric(text: str, where: str) -> tuple[str, Rubric]:
    """Split a solution cell's Markdown into (model answer, rubric)."""
    header = _HEADER.search(text)
    if header is None:
        raise RubricError(f"{where}: no '*Rubric (N pts):*' line in the model answer cell")
    answer = text[: header.start()].rstrip()
    items: list[RubricItem] = []
    notes: list[str] = []
    current: list[str] | None = None
    entries: list[tuple[str, str, list[str]]] = []
    for line in text[header.end() :].splitlines():
        match = _ITEM.match(line)
        if match:
            current = [match["text"]]
            entries.append((match["points"], match["label"], current))
        elif current is not None and line.startswith("  ") and line.strip():
            current.append(line.strip())
        else:
            current = None
            if line.strip():
                notes.append(line.strip())
    for index, (points, label, lines) in enumerate(entries, start=1):
        try:
            value = _number(points)
        except ValueError as exc:
            raise RubricError(f"{where}: item {index} has points {points!r}") from exc
        items.append(RubricItem(f"r{index}", label.strip(), " ".join(lines).strip(), value))
    if not items:
        raise RubricError(f"{where}: the rubric has no '- **P pt · label:** …' items")
    return answer, Rubric(tuple(items), _number(header["points"]), " ".join(notes))


def _title(prompt: str, name: str) -> str:
    heading = _HEADING.search(prompt)
    return heading["title"].strip() if heading else name.upper()


def manual_questions(nb: nbformat.NotebookNode, assignment: str) -> list[ManualQuestion]:
    """Every manual question of a source notebook, in order, with its parsed rubric."""
    found: list[ManualQuestion] = []
    config: dict[str, object] | None = None
    prompt: list[str] = []
    solution: list[str] = []
    region: str | None = None
    for cell in nb.cells:
        marker = region_marker(cell)
        if marker == ("BEGIN", "QUESTION"):
            body = cell_source(cell).split("\n", 1)
            loaded = yaml.safe_load(body[1]) if len(body) > 1 else {}
            config = loaded if isinstance(loaded, dict) else {}
            prompt, solution, region = [], [], None
        elif marker == ("END", "QUESTION"):
            if config and config.get("manual"):
                name = str(config["name"])
                where = f"{assignment} {name}"
                answer, rubric = parse_rubric("\n\n".join(solution), where)
                prompt_text = "\n\n".join(prompt)
                found.append(
                    ManualQuestion(
                        assignment,
                        name,
                        float(config.get("points", 1)),  # type: ignore[arg-type]
                        _title(prompt_text, name),
                        prompt_text,
                        answer,
                        rubric,
                    )
                )
            config = None
        elif marker is not None:
            region = marker[1] if marker[0] == "BEGIN" else None
        elif config is not None and cell.cell_type == "markdown":
            (solution if region == "SOLUTION" else prompt).append(cell_source(cell))
    return found


def load_manual_questions(source: Path) -> list[ManualQuestion]:
    """The manual questions of `solutions/NN_name.ipynb`."""
    return manual_questions(read_notebook(source), source.stem)


def check_rubric_points(question: ManualQuestion) -> str | None:
    """Why the rubric's points disagree with the question's, or None when they agree."""
    rubric = question.rubric
    if abs(rubric.points - question.points) > 1e-9:
        return (
            f"{question.assignment} {question.name}: rubric items add up to {rubric.points:g}, "
            f"the question is worth {question.points:g}"
        )
    if abs(rubric.stated_points - question.points) > 1e-9:
        return (
            f"{question.assignment} {question.name}: the rubric says {rubric.stated_points:g} pts, "
            f"the question is worth {question.points:g}"
        )
    return None
