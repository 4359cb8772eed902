"""Each notebook states the time its items take (tools.course.workload), and the model is sound."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tools.course.layout import CourseLayout
from tools.course.notebooks import read_notebook
from tools.course.workload import (
    _sections,
    classify,
    core_column,
    core_text,
    estimate_minutes,
    extension_sections,
    hours_text,
    item_minutes,
    items,
)

REPO = CourseLayout()


@pytest.mark.parametrize("name", REPO.assignments())
def test_the_header_states_the_estimate(name: str) -> None:
    nb = read_notebook(REPO.source(name))
    expected = f"**Time needed:** about {hours_text(estimate_minutes(nb))} for a typical student"
    header = next(c.source for c in nb.cells if "**Time needed:**" in c.source)
    assert expected in header, f"{name}: write {expected!r} (tools/course/workload.py)"


def test_the_course_total_is_in_the_readme() -> None:
    total = sum(estimate_minutes(read_notebook(REPO.source(n))) for n in REPO.assignments())
    readme = " ".join((REPO.root / "README.md").read_text(encoding="utf-8").split())
    assert f"about {hours_text(total)} in all for a typical student" in readme


@pytest.mark.parametrize(
    ("heading", "kind", "points"),
    [
        ("`VAE` (4 points)", "code", 4),
        ("`binarize` (1 point)", "code", 1),
        ("`iwae_bound` (6 points, your design)", "decision", 6),
        ("`bernoulli_nll_from_logits`: stable for any logit (decision, 6 points)", "decision", 6),
        ("Why log-variance? (written answer, 2 points)", "written", 2),
        ("Your experiment (written answer, 2 points)", "experiment", 2),
        ("Your findings (written answer, 2 points)", "experiment", 2),
        ("The KL between any two Gaussians (written derivation, 2 points)", "derivation", 2),
        ("What is in the code? (multiple choice, 1 point)", "choice", 1),
        ("A better lazy guess (numeric, 1 point)", "numeric", 1),
    ],
)
def test_classify(heading: str, kind: str, points: int) -> None:
    assert classify(heading) == (kind, points)


def test_a_heading_without_points_is_refused() -> None:
    with pytest.raises(ValueError, match="must end in"):
        classify("`VAE`")


def test_estimate_adds_reading_items_and_running_by_hand() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("word " * 300 + "\n\n### Q1 · `f` (3 points)"),
        nbformat.v4.new_markdown_cell("### Q2 · Why? (written answer, 2 points)"),
        nbformat.v4.new_markdown_cell("**Model answer.** " + "word " * 999),  # not read
    ]
    assert [(i.name, i.kind, i.minutes) for i in items(nb)] == [
        ("Q1", "code", item_minutes("code", 3)),
        ("Q2", "written", item_minutes("written", 2)),
    ]
    # 300 + 7 + 7 words at 150 a minute -> 3 minutes; 20 + 15 for the items; 15 running
    assert estimate_minutes(nb) == 3 + 20 + 15 + 15


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(5, "¼ hour"), (60, "1 hour"), (67, "1 hour"), (83, "1½ hours"), (1345, "22½ hours")],
)
def test_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text


@pytest.mark.parametrize("name", REPO.assignments())
def test_the_header_states_the_core_path(name: str) -> None:
    nb = read_notebook(REPO.source(name))
    header = next(c.source for c in nb.cells if "**Time needed:**" in c.source)
    assert core_text(nb) in header, f"{name}: write {core_text(nb)!r} under the time needed"


def test_the_readme_states_the_core_path() -> None:
    notebooks = [read_notebook(REPO.source(n)) for n in REPO.assignments()]
    core = sum(estimate_minutes(nb, core_only=True) for nb in notebooks)
    readme = " ".join((REPO.root / "README.md").read_text(encoding="utf-8").split())
    assert f"takes about {hours_text(core)} in all for a typical student" in readme
    for name, nb in zip(REPO.assignments(), notebooks, strict=True):
        full, part = hours_text(estimate_minutes(nb)), core_column(nb)
        assert f"| {name[:2]} | {full} | {part} |" in readme, name
    assert 9 * 60 <= core <= 11 * 60, f"the core path should take about 10 hours, not {core} min"


@pytest.mark.parametrize("name", REPO.assignments())
def test_the_core_path_never_needs_an_extension(name: str) -> None:
    """A core cell that requires an extension's answer would stop a student on the core path."""
    nb = read_notebook(REPO.source(name))
    extensions = {item.name for item in items(nb) if item.extension}
    for title, extension, cell in _sections(nb):
        if cell.cell_type == "code" and not extension:
            needed = set(re.findall(r'require\("(Q\w+)"', cell.source)) & extensions
            assert not needed, f"{name}, section {title!r} needs the extension {sorted(needed)}"


def test_extensions_by_section_and_by_question() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 1 · Core\n\nword word"),
        nbformat.v4.new_markdown_cell("### Q1 · `f` (2 points)"),
        nbformat.v4.new_markdown_cell("### Q2 · `g` (decision, 3 points, extension)"),
        nbformat.v4.new_markdown_cell("## 2 · More (extension)\n\n" + "word " * 300),
        nbformat.v4.new_markdown_cell("### Q3 · Why? (written answer, 2 points)"),
    ]
    assert [(i.name, i.extension) for i in items(nb)] == [
        ("Q1", False),
        ("Q2", True),
        ("Q3", True),
    ]
    assert extension_sections(nb) == ["2"]
    assert estimate_minutes(nb, core_only=True) == 1 + item_minutes("code", 2) + 15
    assert "Extensions: sections 2; Q2, Q3." in core_text(nb)


def test_a_notebook_titled_extension_is_an_extension_as_a_whole() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 06 · Beyond (extension)\n\nword word"),
        nbformat.v4.new_markdown_cell("## 1 · Part\n\n### Q1 · `f` (2 points)"),
        nbformat.v4.new_markdown_cell("### Q2 · Why? (written answer, 2 points)"),
    ]
    assert [(i.name, i.extension) for i in items(nb)] == [("Q1", True), ("Q2", True)]
    assert estimate_minutes(nb, core_only=True) == 0
    assert estimate_minutes(nb) > 0
    assert core_column(nb) == "extension"
    assert "whole notebook is an extension" in core_text(nb)
    nb.cells[0].source = "# 06 · Beyond\n\nword word"
    assert not any(i.extension for i in items(nb))


def test_grade_extensions_false_zeroes_only_the_extensions() -> None:
    from tools.course.building import without_extension_points

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("## 1 · Core\n\n### Q1 · `f` (2 points)"),
        nbformat.v4.new_markdown_cell("## 2 · More (extension)\n\n### Q2 · `g` (3 points)"),
    ]
    members = {
        "tests/q1.py": b'name = "q1"\npoints = 2\n',
        "tests/q2.py": b'name = "q2"\npoints = 3\n',
        "otter_config.json": b"{}",
    }
    changed = without_extension_points(members, nb)
    assert changed["tests/q1.py"] == members["tests/q1.py"]
    assert changed["tests/q2.py"] == b'name = "q2"\npoints = 0\n'
    assert changed["otter_config.json"] == b"{}"


def test_course_toml_reads_grade_extensions(tmp_path: Path) -> None:
    from tools.course.config import CourseConfigError, load_course_config

    base = (REPO.root / "course.toml").read_text(encoding="utf-8")
    assert load_course_config(REPO.root / "course.toml").grade_extensions is True
    path = tmp_path / "course.toml"
    path.write_text(base.replace("grade_extensions = true", "grade_extensions = false"))
    assert load_course_config(path).grade_extensions is False
    path.write_text(base.replace("grade_extensions = true", 'grade_extensions = "no"'))
    with pytest.raises(CourseConfigError, match="grade_extensions"):
        load_course_config(path)
