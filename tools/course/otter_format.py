"""Otter Assign's notebook format, in one place: region markers, the config, questions, tags.

A source notebook marks its parts with raw cells (or Markdown cells holding an ```otter fence)
whose first line is `# ASSIGNMENT CONFIG`, `# BEGIN QUESTION`, `# BEGIN SOLUTION`,
`# BEGIN TESTS`, `# BEGIN PROMPT` or the matching `# END …`; the rest of the cell is YAML. Cells
tagged `otter_ignore` are skipped by grading (`vae_grading.contract.is_ignored`). Every other
module asks this one.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import nbformat
import yaml

from tools.course.config import CourseConfig
from tools.course.notebooks import cell_source
from vae_grading.contract import PLUGIN, PluginSettings

CONFIG_MARKER = "# ASSIGNMENT CONFIG"

_REGION = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.IGNORECASE)


def _marker_text(cell: Any) -> str | None:
    """The text of a raw cell, or of a Markdown cell that holds only an ```otter fence."""
    text = cell_source(cell).strip()
    if cell.get("cell_type") == "markdown" and text.startswith("```otter"):
        return text.removeprefix("```otter").removesuffix("```").strip()
    return text if cell.get("cell_type") == "raw" else None


def region_marker(cell: Any) -> tuple[str, str] | None:
    """("BEGIN" or "END", "QUESTION"/"SOLUTION"/"TESTS"/"PROMPT") for a region cell, else None."""
    text = _marker_text(cell)
    match = _REGION.match(text) if text is not None else None
    return (match[1].upper(), match[2].upper()) if match else None


def region_line(cell: Any) -> str:
    """The marker line of a region cell, upper-cased ("# BEGIN TESTS"), or "" for other cells."""
    marker = region_marker(cell)
    return f"# {marker[0]} {marker[1]}" if marker else ""


def in_test_regions(nb: nbformat.NotebookNode) -> list[bool]:
    """For each cell, whether it lies inside a `# BEGIN TESTS` … `# END TESTS` region."""
    inside, flags = False, []
    for cell in nb.cells:
        marker = region_marker(cell)
        if marker is not None and marker[1] == "TESTS":
            inside = marker[0] == "BEGIN"
            flags.append(False)
            continue
        flags.append(inside)
    return flags


class AssignmentConfigError(ValueError):
    """A source notebook's ASSIGNMENT CONFIG is missing or disagrees with the course settings."""


def config_cell_index(nb: nbformat.NotebookNode) -> int | None:
    """Index of the raw (or otter-fenced Markdown) cell holding the ASSIGNMENT CONFIG."""
    for index, cell in enumerate(nb.cells):
        text = cell_source(cell).strip()
        if cell.cell_type == "markdown" and text.startswith("```otter"):
            text = text.removeprefix("```otter").removesuffix("```").strip()
        if cell.cell_type in ("raw", "markdown") and text.upper().startswith(CONFIG_MARKER):
            return index
    return None


def read_assignment_config(nb: nbformat.NotebookNode, path: Path) -> dict[str, Any]:
    """The parsed YAML of the notebook's ASSIGNMENT CONFIG."""
    index = config_cell_index(nb)
    if index is None:
        raise AssignmentConfigError(f"{path}: no `{CONFIG_MARKER}` raw cell found")
    text = cell_source(nb.cells[index]).strip()
    if text.startswith("```otter"):
        text = text.removeprefix("```otter").removesuffix("```")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AssignmentConfigError(f"{path}: ASSIGNMENT CONFIG is not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise AssignmentConfigError(f"{path}: ASSIGNMENT CONFIG must be a YAML mapping")
    return config


def check_assignment_config(config: dict[str, Any], path: Path, course: CourseConfig) -> None:
    """Fail with one message when the config's name, seed or Python is wrong for the file/course."""
    if config.get("name") != path.stem:
        raise AssignmentConfigError(
            f"{path}: ASSIGNMENT CONFIG name is {config.get('name')!r}; set it to {path.stem!r} "
            "(the file name without .ipynb)"
        )
    if "seed" in config:
        raise AssignmentConfigError(
            f"{path}: remove `seed:` from the ASSIGNMENT CONFIG: otter assign rewrites every line "
            "that starts with the seed variable, keyword arguments such as `seed=seed,` too, and "
            "breaks the student notebook; set `seed = 42` in the imports cell instead"
        )
    if str(config.get("python_version")) != course.python_version:
        raise AssignmentConfigError(
            f"{path}: ASSIGNMENT CONFIG python_version is {config.get('python_version')!r}, but "
            f"course.toml says {course.python_version!r}; make them equal"
        )


# ------------------------------------------------------------------ trusted grading
#
# Authors write only public checks in `solutions/NN_name.ipynb`; the hidden evidence lives in
# `hidden_tests/NN_name.py`. Before otter assign runs, every public test cell gets a 0-point TEST
# CONFIG, and each auto-graded question gets one hidden placeholder case that carries its points.
# The grading plugin (`vae_grading.otter_plugin`) replaces that case's result by the verdict;
# without the plugin the placeholder fails, so a misconfigured grader gives 0.

ZERO_POINTS = '""" # BEGIN TEST CONFIG\npoints: 0\n""" # END TEST CONFIG\n'
PLACEHOLDER = '''""" # BEGIN TEST CONFIG
hidden: true
""" # END TEST CONFIG
def test_{question}_hidden_evidence():
    raise AssertionError(
        "{question} is scored outside the notebook by the course's grading plugin "
        "({plugin}); it did not run"
    )
'''
#: What otter prints and shows: the plugin's per-question report instead of otter's summary,
#: which would say "No log found" (the plugin deletes the kernel-written log on purpose) and list
#: a "Public Tests" row of NaN (public checks are worth 0); each question's verdict messages are
#: shown to students once the grades are published.
GRADING_REPORT = """generate:
  show_hidden: true
  force_public_test_summary: false
  print_summary: false
"""
_HIDDEN_COMMENT = re.compile(r"^\s*#.*\bhidden\b", re.IGNORECASE)


class GradingCellsError(ValueError):
    """A source does not fit trusted grading (hidden cells left, questions without evidence)."""


def _question_name(cell: nbformat.NotebookNode) -> str | None:
    match = re.search(r"^name:\s*(\S+)", cell_source(cell), re.MULTILINE)
    return match.group(1) if match else None


def auto_graded_questions(nb: nbformat.NotebookNode) -> list[str]:
    """Names of the questions that have a `# BEGIN TESTS` block, in notebook order."""
    names, current = [], None
    for cell in nb.cells:
        marker = region_line(cell)
        if marker == "# BEGIN QUESTION":
            current = _question_name(cell)
        elif marker == "# BEGIN TESTS" and current and current not in names:
            names.append(current)
    return names


def with_trusted_grading(
    nb: nbformat.NotebookNode, assignment: str, hidden: list[str]
) -> nbformat.NotebookNode:
    """A copy for otter assign: plugin configured, public checks at 0, one placeholder each."""
    graded = auto_graded_questions(nb)
    if sorted(graded) != sorted(hidden):
        raise GradingCellsError(
            f"{assignment}: questions with tests in the source {sorted(graded)} differ from those "
            f"in hidden_tests/{assignment}.py {sorted(hidden)}: give each exactly one Question"
        )
    nb = copy.deepcopy(nb)
    index = config_cell_index(nb)
    if index is None:
        raise GradingCellsError(f"{assignment}: no ASSIGNMENT CONFIG")
    config = nb.cells[index]
    config.source = (
        cell_source(config).rstrip("\n")
        + "\n"
        + yaml.safe_dump({"plugins": [{PLUGIN: PluginSettings().as_config()}]}, sort_keys=True)
        + GRADING_REPORT
    )
    cells, question, in_tests = [], None, False
    for cell in nb.cells:
        marker = region_line(cell)
        if marker == "# BEGIN QUESTION":
            question = _question_name(cell)
        elif marker == "# BEGIN TESTS":
            in_tests = True
        elif marker == "# END TESTS":
            in_tests = False
            cells.append(
                nbformat.v4.new_code_cell(PLACEHOLDER.format(question=question, plugin=PLUGIN))
            )
        elif in_tests and cell.cell_type == "code":
            source = cell_source(cell)
            first = source.lstrip().split("\n", 1)[0]
            if _HIDDEN_COMMENT.match(first) or "BEGIN TEST CONFIG" in source:
                raise GradingCellsError(
                    f"{assignment} {question}: test cells in the source are public checks only; "
                    f"move hidden tests to hidden_tests/{assignment}.py (first line: {first!r})"
                )
            cell.source = ZERO_POINTS + source
        cells.append(cell)
    nb.cells = cells
    return nb
