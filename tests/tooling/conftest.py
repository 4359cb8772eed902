"""Fixtures for the tooling tests: a temporary course checkout holding one real assignment.

The tests build, verify and grade `02_vae_theory` (pure math, no training: the quickest to grade)
from a copy of its source, so they never write into the repository.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tools.course.building import BuiltAssignment, build_all  # noqa: E402
from tools.course.config import load_course_config  # noqa: E402
from tools.course.layout import CourseLayout  # noqa: E402
from tools.course.setup_cells import find_setup_cell  # noqa: E402

ASSIGNMENT = "02_vae_theory"  # the real assignment the tooling tests build, verify and grade
REPO = CourseLayout()
STALE_SETUP_CELL = "# an out-of-date set-up cell"


def make_course_root(root: Path) -> CourseLayout:
    """A course checkout at `root` whose only source is a copy of the real ASSIGNMENT.

    The copy is made untidy the way an author leaves it (an out-of-date set-up cell, an output
    and an execution count), so that the build has something to clean.
    """
    repo = CourseLayout()
    if not repo.source(ASSIGNMENT).is_file():
        pytest.fail(f"the tooling tests need {repo.source(ASSIGNMENT)}")
    layout = CourseLayout(root)
    layout.solutions.mkdir(parents=True)
    shutil.copy(repo.grading_requirements, layout.solutions)
    shutil.copy(repo.course_toml, layout.course_toml)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for package in ("helpers", "grading"):  # the autograder zip ships both
        shutil.copytree(repo.root / package, root / package, ignore=skip)
    layout.hidden_tests(ASSIGNMENT).parent.mkdir(parents=True)
    shutil.copy(repo.hidden_tests(ASSIGNMENT), layout.hidden_tests(ASSIGNMENT))
    nb = nbformat.read(repo.source(ASSIGNMENT), as_version=4)
    setup = find_setup_cell(nb)
    assert setup is not None, f"{ASSIGNMENT} has no set-up cell"
    nb.cells[setup].source = STALE_SETUP_CELL
    code = next(c for c in nb.cells[setup + 1 :] if c.cell_type == "code")
    code.execution_count = 3
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="left over from a run\n")]
    nbformat.write(nb, layout.source(ASSIGNMENT))
    return layout


@pytest.fixture(scope="session")
def course_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[CourseLayout, list[BuiltAssignment]]]:
    """ASSIGNMENT built once per session, as `python -m tools.build` does it (sources cleaned,
    files written); the build folder with the answer key is kept until the session ends."""
    from tools.course.building import build_all, clean_sources, write_built
    from tools.course.config import load_course_config

    layout = make_course_root(tmp_path_factory.mktemp("course"))
    course = load_course_config(layout.course_toml)
    clean_sources(layout, [ASSIGNMENT], course)
    built = build_all(layout, [ASSIGNMENT], course, tmp_path_factory.mktemp("work"), jobs=1)
    for item in built:
        write_built(layout, item)
    yield layout, built


@pytest.fixture(scope="session")
def built_course(course_build: tuple[CourseLayout, list[BuiltAssignment]]) -> CourseLayout:
    """The temporary course checkout holding the built ASSIGNMENT."""
    return course_build[0]


@pytest.fixture(scope="session")
def answer_key(course_build: tuple[CourseLayout, list[BuiltAssignment]]) -> Path:
    """The otter answer-key notebook of ASSIGNMENT (solutions in place) from the session build."""
    [built] = course_build[1]
    assert built.key_notebook is not None and built.key_notebook.is_file()
    return built.key_notebook


@pytest.fixture(scope="session")
def real_build(
    course_build: tuple[CourseLayout, list[BuiltAssignment]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[BuiltAssignment]]:
    """Every assignment in solutions/, built afresh into a temporary folder (ASSIGNMENT comes
    from the session build of a copy of its source: the same files, one `otter assign` less)."""
    names = REPO.assignments()
    assert ASSIGNMENT in names, f"solutions/{ASSIGNMENT}.ipynb is missing"
    others = [name for name in names if name != ASSIGNMENT]
    work = tmp_path_factory.mktemp("real-build")
    built = {b.name: b for b in build_all(REPO, others, load_course_config(), work, jobs=2)}
    built[ASSIGNMENT] = course_build[1][0]
    yield [built[name] for name in names]
