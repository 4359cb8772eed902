"""`python -m tools.build` on a real assignment: layout, cleanliness, reproducibility."""

from __future__ import annotations

import json
import re
import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from tools.build import main as build_main
from tools.course.building import BuiltAssignment, compare_with_disk
from tools.course.config import load_course_config
from tools.course.layout import CourseLayout
from tools.course.setup_cells import find_setup_cell, setup_cell_source

ASSIGNMENT = "02_vae_theory"  # built in a temporary checkout by conftest.course_build

pytestmark = pytest.mark.slow


def _files(layout: CourseLayout) -> set[str]:
    return {
        p.relative_to(layout.root).as_posix()
        for folder in (layout.notebooks, layout.autograder)
        for p in folder.rglob("*")
        if p.is_file()
    }


def _autograded_points(source: nbformat.NotebookNode) -> dict[str, float]:
    """The points of the source's questions that are not `manual: true`, read from its YAML."""
    points = {}
    for cell in source.cells:
        if cell.cell_type == "raw" and cell.source.startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(cell.source.removeprefix("# BEGIN QUESTION"))
            if not config.get("manual", False):
                points[config["name"]] = float(config["points"])
    return points


def _autograded_questions(source: nbformat.NotebookNode) -> list[str]:
    """Names of the source's questions that are not `manual: true`."""
    return list(_autograded_points(source))


def _hidden_test_names(tests_dir: Path) -> set[str]:
    pattern = re.compile(r"@test_case\([^)]*hidden=True[^)]*\)\s*def (\w+)")
    return {name for path in tests_dir.glob("q*.py") for name in pattern.findall(path.read_text())}


def _solution_lines(key: nbformat.NotebookNode) -> set[str]:
    """Distinctive code lines of the key's solution cells (markers removed)."""
    lines = set()
    for cell in key.cells:
        if "otter_assign_solution_cell" not in cell.metadata.get("tags", []):
            continue
        for line in cell.source.splitlines():
            code = re.sub(r"#\s*(BEGIN |END )?SOLUTION.*$", "", line).strip()
            if len(code) >= 12 and not code.startswith(("def ", '"""', "#")):
                lines.add(code)
    return lines


def test_build_writes_the_documented_layout(built_course: CourseLayout) -> None:
    name = ASSIGNMENT
    questions = _autograded_questions(nbformat.read(built_course.source(name), as_version=4))
    assert len(questions) >= 2
    assert _files(built_course) == {
        f"notebooks/{name}/{name}.ipynb",
        f"autograder/{name}/{name}-autograder.zip",
        *(f"autograder/{name}/tests/{q}.py" for q in questions),
    }
    with zipfile.ZipFile(built_course.autograder_zip(name)) as zf:
        members = set(zf.namelist())
        for question in questions:
            test_file = built_course.autograder_dir(name) / "tests" / f"{question}.py"
            assert zf.read(f"tests/{question}.py") == test_file.read_bytes()
    assert {"run_autograder", "run_otter.py", "setup.sh", "environment.yml"} <= members


def test_student_notebook_is_clean_and_starts_with_the_setup_cell(
    built_course: CourseLayout, answer_key: Path
) -> None:
    nb = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    assert "jupytext" not in nb.metadata
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    index = find_setup_cell(nb)
    assert index is not None
    assert nb.cells[index].source == setup_cell_source(load_course_config(), ASSIGNMENT)

    public_tests = nb.metadata.otter.tests
    source = nbformat.read(built_course.source(ASSIGNMENT), as_version=4)
    assert sorted(public_tests) == sorted(_autograded_questions(source))  # metadata: sorted keys
    hidden = _hidden_test_names(built_course.autograder_dir(ASSIGNMENT) / "tests")
    assert hidden, "the assignment has no hidden tests"
    text = nbformat.writes(nb)
    assert [name for name in sorted(hidden) if name in text] == []

    answer_cells = [  # code only: written answers are Markdown answer cells
        c
        for c in nb.cells
        if c.cell_type == "code" and "otter_answer_cell" in c.metadata.get("tags", [])
    ]
    assert len(answer_cells) == len(public_tests)
    assert all("..." in c.source for c in answer_cells)
    solution = _solution_lines(nbformat.read(answer_key, as_version=4))
    assert len(solution) >= len(answer_cells) // 2
    student_lines = {
        line.strip()
        for text in [*(c.source for c in nb.cells), *public_tests.values()]
        for line in text.splitlines()
    }
    assert sorted(solution & student_lines) == []


def test_build_cleans_the_source(built_course: CourseLayout) -> None:
    source = nbformat.read(built_course.source(ASSIGNMENT), as_version=4)
    index = find_setup_cell(source)
    assert index is not None
    assert source.cells[index].source == setup_cell_source(load_course_config(), ASSIGNMENT)
    for cell in source.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_rebuild_is_byte_identical(built_course: CourseLayout) -> None:
    assert build_main(["--check", "--root", str(built_course.root)]) == 0


def test_check_reports_stale_missing_and_extra_files(
    course_build: tuple[CourseLayout, list[BuiltAssignment]], tmp_path: Path
) -> None:
    layout, built = course_build
    drifted = CourseLayout(tmp_path / "drifted")
    shutil.copytree(layout.root, drifted.root)
    (drifted.autograder_dir(ASSIGNMENT) / "tests" / "q2.py").write_text("# edited by hand\n")
    (drifted.autograder_dir(ASSIGNMENT) / "tests" / "q1.py").unlink()
    (drifted.student_dir(ASSIGNMENT) / "notes.txt").write_text("stray")
    (drifted.notebooks / "07_removed").mkdir()
    (drifted.notebooks / "07_removed" / "07_removed.ipynb").write_text("{}")
    assert compare_with_disk(drifted, built, all_selected=True) == [
        f"missing: autograder/{ASSIGNMENT}/tests/q1.py",
        f"stale:   autograder/{ASSIGNMENT}/tests/q2.py",
        f"extra:   notebooks/{ASSIGNMENT}/notes.txt",
        "extra:   notebooks/07_removed/07_removed.ipynb",
    ]


def test_build_names_an_unknown_assignment(
    built_course: CourseLayout, capsys: pytest.CaptureFixture[str]
) -> None:
    assert build_main(["99_missing", "--root", str(built_course.root), "--check"]) == 2
    assert "unknown assignment(s) 99_missing" in capsys.readouterr().err


def test_export_makes_a_submission_zip_without_latex(
    built_course: CourseLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export cell's call works with no TeX installed (PATH holds only Python)."""
    import otter

    from tools.course.zipfiles import notebook_from_submission_zip

    shutil.copy(built_course.student_notebook(ASSIGNMENT), tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    otter.Notebook(f"{ASSIGNMENT}.ipynb").export(pdf=False, run_tests=False)
    [exported] = tmp_path.glob(f"{ASSIGNMENT}_*.zip")
    name, data = notebook_from_submission_zip(exported, f"{ASSIGNMENT}.ipynb")
    assert name == f"{ASSIGNMENT}.ipynb"
    assert json.loads(data)["metadata"]["otter"]["assignment_name"] == ASSIGNMENT


def test_the_zip_configures_the_plugin_exactly_as_it_reads_it(built_course: CourseLayout) -> None:
    """otter_config.json holds the plugin's settings (cell_timeout included) and nothing the
    plugin would not read; the zip's tests carry each source question's points, none public."""
    from dataclasses import fields

    from otter.plugins import PluginCollection

    from vae_grading.autograder import QuestionPoints, read_autograder
    from vae_grading.contract import PLUGIN, PluginSettings
    from vae_grading.otter_plugin import TrustedVerdicts

    zip_path = built_course.autograder_zip(ASSIGNMENT)
    with zipfile.ZipFile(zip_path) as archive:
        config = json.loads(archive.read("otter_config.json"))
    [plugin] = PluginCollection(config["plugins"], f"{ASSIGNMENT}.ipynb", {})._plugins
    assert isinstance(plugin, TrustedVerdicts) and list(config["plugins"][0]) == [PLUGIN]
    assert set(plugin.plugin_config) == {f.name for f in fields(PluginSettings)}
    assert plugin.settings() == PluginSettings()
    assert plugin.plugin_config["cell_timeout"] == PluginSettings().cell_timeout

    declared = _autograded_points(nbformat.read(built_course.source(ASSIGNMENT), as_version=4))
    autograder = read_autograder(zip_path)
    assert autograder.graded == [QuestionPoints(n, p) for n, p in declared.items()]
    assert sorted(q.name for q in autograder.questions) == sorted(declared)
