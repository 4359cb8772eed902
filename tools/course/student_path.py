"""The student's path: a generated student notebook with the key's answers typed into it.

CI must run what students get, not only the answer key: `fill_with_key` pairs the code cells of a
student notebook with those of otter's answer-key notebook (same order, same count) and puts the
key's code into the cells that hold a placeholder (`...`). Any other difference between the two
is a bug of the build (otter rewrote a cell that is not an answer) and is reported, not papered
over. `compile_errors` finds cells that cannot even be parsed.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

import nbformat

#: A line that otter assign left in place of an answer: `...` alone, or `name = ...`.
PLACEHOLDER_LINE = re.compile(r"^\s*(?:[\w.\[\]\"', ]+=\s*)?\.\.\.\s*(?:#.*)?$")


class StudentPathError(ValueError):
    """The student notebook and the key cannot be paired cell by cell."""


@dataclass(frozen=True)
class CompileError:
    """A code cell of a notebook that Python cannot parse."""

    cell_index: int
    message: str


def has_placeholder(source: str) -> bool:
    """Whether a code cell holds a line that otter wrote in place of an answer."""
    return any(PLACEHOLDER_LINE.match(line) for line in source.splitlines())


def fill_with_key(student: Any, key: Any) -> nbformat.NotebookNode:
    """A copy of `student` whose placeholder cells hold the key's code; nothing else changes."""
    filled = copy.deepcopy(student)
    student_code = [c for c in filled.cells if c.cell_type == "code"]
    key_code = [c for c in key.cells if c.cell_type == "code"]
    if len(student_code) != len(key_code):
        raise StudentPathError(
            f"the student notebook has {len(student_code)} code cells and the key "
            f"{len(key_code)}: otter assign dropped or added a cell in one of them"
        )
    problems = []
    answered = 0
    for number, (mine, theirs) in enumerate(zip(student_code, key_code, strict=True), 1):
        if mine.source == theirs.source:
            continue
        if has_placeholder(mine.source):
            mine.source = theirs.source
            answered += 1
            continue
        first = _first_difference(mine.source, theirs.source)
        problems.append(f"code cell {number} differs outside an answer: {first}")
    if problems:
        raise StudentPathError("\n".join(problems))
    if answered == 0:
        raise StudentPathError("the student notebook has no answer cell to fill")
    return filled


def _first_difference(student: str, key: str) -> str:
    """The first line where the student's cell and the key's differ, both versions shown."""
    for mine, theirs in zip(student.splitlines(), key.splitlines(), strict=False):
        if mine != theirs:
            return f"student {mine.strip()!r} / key {theirs.strip()!r}"
    return "one of them has extra lines"


def compile_errors(nb: Any, name: str = "<notebook>") -> list[CompileError]:
    """Every code cell of `nb` that does not parse as IPython input (magics allowed)."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    errors = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            compile(transform(cell.source), f"{name} cell {index}", "exec")
        except SyntaxError as exc:
            line = (exc.text or "").strip()
            errors.append(CompileError(index, f"line {exc.lineno}: {exc.msg}: {line}"))
    return errors
