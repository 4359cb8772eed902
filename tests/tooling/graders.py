"""How the tooling tests grade a submission: `tools.grade` over a folder, `otter run` on one
notebook, and Gradescope's own entry point over an /autograder-like tree."""

from __future__ import annotations

import csv
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import nbformat

from tools.course.layout import CourseLayout
from tools.course.submissions import from_spreadsheet_safe
from tools.grade import main as grade_main

#: What Gradescope's run_autograder runs (source/run_otter.py), given the /autograder folder.
RUN_AUTOGRADER = "import sys\nfrom otter.run.run_autograder import main\nmain(sys.argv[1])"


def grade_with_tools(
    course: CourseLayout,
    assignment: str,
    folder: Path,
    output: Path,
    limits: Sequence[str],
) -> dict[str, dict[str, str]]:
    """Grade `folder` as `make grade` does (two jobs, `limits` such as --timeout); the rows."""
    argv = [
        str(folder), "--assignment", assignment, "--root", str(course.root),
        "--output", str(output), "--jobs", "2", "--no-progress", *limits,
    ]  # fmt: skip
    assert grade_main(argv) == 0
    return grade_rows(output)


def grade_rows(path: Path) -> dict[str, dict[str, str]]:
    """A grade CSV's rows by submission (a formula-like name without its protective quote)."""
    with open(path, newline="", encoding="utf-8") as f:
        return {from_spreadsheet_safe(row["submission"]): row for row in csv.DictReader(f)}


def otter_run_command(autograder_zip: Path, output: Path, notebook: Path) -> list[str]:
    """`otter run` grading `notebook` with `autograder_zip` into the folder `output`."""
    return [
        sys.executable, "-m", "otter", "run", "-a", str(autograder_zip), "-o", str(output),
        str(notebook),
    ]  # fmt: skip


def write_batch(notebooks: Mapping[str, nbformat.NotebookNode], folder: Path) -> Path:
    """Write each notebook as `folder/<name>.ipynb`, a submissions folder; return the folder."""
    for name, nb in notebooks.items():
        write_submission(nb, folder / f"{name}.ipynb")
    return folder


def write_submission(nb: nbformat.NotebookNode, path: Path) -> Path:
    """Write `nb` at `path` (its folder made); return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
