"""Prepare a source for `otter assign` under trusted grading: 0-point public checks, placeholders.

Authors write only public checks in `solutions/NN_name.ipynb`; the hidden evidence lives in
`hidden_tests/NN_name.py`. Before otter assign runs, every public test cell gets a 0-point TEST
CONFIG, and each auto-graded question gets one hidden placeholder case that carries its points.
The grading plugin (`vae_grading.otter_plugin`) replaces that case's result by the trusted
verdict; without the plugin the placeholder fails, so a misconfigured grader gives 0.
"""

from __future__ import annotations

import copy
import re

import nbformat

from tools.assign_config import config_cell_index
from tools.notebooks import cell_source

PLUGIN = "vae_grading.otter_plugin.TrustedVerdicts"
HIDDEN_TESTS_MEMBER = "vae_hidden_tests.py"
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
_HIDDEN_COMMENT = re.compile(r"^\s*#.*\bhidden\b", re.IGNORECASE)


class GradingCellsError(ValueError):
    """A source does not fit trusted grading (hidden cells left, questions without evidence)."""


def _raw_marker(cell: nbformat.NotebookNode) -> str:
    if cell.cell_type != "raw":
        return ""
    return cell_source(cell).lstrip().split("\n", 1)[0].strip().upper()


def _question_name(cell: nbformat.NotebookNode) -> str | None:
    match = re.search(r"^name:\s*(\S+)", cell_source(cell), re.MULTILINE)
    return match.group(1) if match else None


def auto_graded_questions(nb: nbformat.NotebookNode) -> list[str]:
    """Names of the questions that have a `# BEGIN TESTS` block, in notebook order."""
    names, current = [], None
    for cell in nb.cells:
        marker = _raw_marker(cell)
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
        + f"\nplugins:\n  - {PLUGIN}:\n      assignment: {assignment}\n"
    )
    cells, question, in_tests = [], None, False
    for cell in nb.cells:
        marker = _raw_marker(cell)
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
