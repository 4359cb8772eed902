"""What students get must run: every generated student notebook parses, and each one, with the
key's answers typed into its answer cells, runs top to bottom in a real kernel (fast mode, the
experiments and the export cell included)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.data_requirement import missing_data, mnist_files_missing
from tools.course.answer_keys import HEADLESS_ENV, run_notebook
from tools.course.building import BuiltAssignment
from tools.course.layout import CourseLayout
from tools.course.student_path import (
    StudentPathError,
    compile_errors,
    fill_with_key,
    has_placeholder,
)

REPO = CourseLayout()
NAMES = REPO.assignments()


@pytest.mark.parametrize("name", NAMES)
def test_every_code_cell_of_the_student_notebook_compiles(name: str) -> None:
    nb = nbformat.read(REPO.student_notebook(name), as_version=4)
    errors = compile_errors(nb, name)
    assert errors == [], "\n".join(f"cell {e.cell_index}: {e.message}" for e in errors)


def test_compile_errors_finds_the_seed_rewrite_and_allows_magics() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("%pip install torch\n!ls\nx = 1"),
        nbformat.v4.new_code_cell("fit(model,\n    seed = 42\n    epochs=2)"),
    ]
    [error] = compile_errors(nb)
    assert error.cell_index == 1 and "line 2" in error.message


def test_placeholders_are_recognised() -> None:
    assert has_placeholder("def f(x):\n    ...\n")
    assert has_placeholder("q1_answer = ...\n")
    assert has_placeholder("model.weight = ...  # your code")
    assert not has_placeholder("x = y[..., 0]\n")
    assert not has_placeholder("print('...')\n")


def _notebook(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("intro")]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def test_fill_with_key_types_the_answers_into_placeholder_cells_only() -> None:
    student = _notebook("import torch", "def f(x):\n    ...", "q1_answer = ...")
    key = _notebook("import torch", "def f(x):\n    return x", 'q1_answer = "b"')
    filled = fill_with_key(student, key)
    assert [c.source for c in filled.cells[1:]] == [c.source for c in key.cells[1:]]
    assert student.cells[2].source == "def f(x):\n    ..."  # the input is not changed


def test_fill_with_key_reports_a_cell_that_otter_rewrote_outside_an_answer() -> None:
    student = _notebook("fit(m,\n    seed = 42\n)", "q1_answer = ...")
    key = _notebook("fit(m,\n    seed=seed,\n)", 'q1_answer = "b"')
    with pytest.raises(StudentPathError, match=r"code cell 1 differs outside an answer"):
        fill_with_key(student, key)


def test_fill_with_key_needs_the_same_code_cells() -> None:
    with pytest.raises(StudentPathError, match="2 code cells and the key 1"):
        fill_with_key(_notebook("a = ...", "b = 1"), _notebook("a = 1"))


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_student_notebook_with_the_keys_answers_runs_top_to_bottom(
    name: str,
    real_build: list[BuiltAssignment],
    student_path_cache: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Run All on the committed student notebook, answered, as a student would before submitting."""

    from vae_helpers import settings

    data_dir = settings.data_dir()
    if name != "02_vae_theory" and mnist_files_missing(data_dir):
        missing_data(f"MNIST not found under {data_dir}: set VAE_DATA_DIR to run {name}")
    [built] = [b for b in real_build if b.name == name]
    assert built.key_notebook is not None and built.key_notebook.is_file()
    student = nbformat.read(REPO.student_notebook(name), as_version=4)
    filled = fill_with_key(student, nbformat.read(built.key_notebook, as_version=4))
    env = {
        "VAE_FAST": "1",
        "VAE_DEVICE": "cpu",
        "VAE_DATA_DIR": str(data_dir),
        "VAE_CACHE_DIR": str(student_path_cache),
        **HEADLESS_ENV,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    run_notebook(filled, name, tmp_path, timeout=600)  # CellExecutionError names a failing cell

    exports = sorted(tmp_path.glob(f"{name}_*.zip"))
    assert len(exports) == 1, f"the export cell wrote {exports}"
    with zipfile.ZipFile(exports[0]) as archive:
        assert f"{name}.ipynb" in archive.namelist()


@pytest.fixture(scope="session")
def student_path_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One checkpoint cache for the five runs, so that later notebooks reuse earlier models."""
    return tmp_path_factory.mktemp("student-path-cache")
