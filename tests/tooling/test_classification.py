"""The classification of code points in docs/authoring.md matches the notebooks and the targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.course.classification import Row, code_questions, problems, shares, table


def test_the_table_matches_the_notebooks_and_meets_the_targets() -> None:
    assert problems(table(), code_questions()) == []


def test_every_decision_heading_is_classified_as_one() -> None:
    """A heading that says "decision" or "your design" is a decision or one in name only."""
    from tools.course.layout import CourseLayout
    from tools.course.notebooks import read_notebook
    from tools.course.workload import items

    layout = CourseLayout()
    kinds = {(r.notebook, r.question): r.kind for r in table()}
    for name in layout.assignments():
        for item in items(read_notebook(layout.source(name))):
            if item.kind == "decision":
                assert kinds[(name[:2], item.name)] in ("decision", "name-only"), item


def test_recount_by_hand() -> None:
    rows = [Row("01", "Q1", 3, "transcription"), Row("01", "Q2", 1, "decision")]
    assert shares(rows) == {
        "transcription": 0.75,
        "spelled-out": 0.0,
        "name-only": 0.0,
        "decision": 0.25,
    }
    found = problems(rows, {("01", "Q1"): 3, ("01", "Q2"): 2, ("01", "Q3"): 1})
    assert "01 Q2: the table says 1 points, the notebook 2" in found
    assert "01 Q3 (1 points) is not in the table" in found
    assert any(p.startswith("decision: 25.0% < 35%") for p in found)
    assert any(p.startswith("transcription: 75.0% > 20%") for p in found)


def test_a_wrong_class_is_refused(tmp_path: Path) -> None:
    doc = tmp_path / "authoring.md"
    doc.write_text(
        "<!-- classification:start -->\n| 01 | Q1 | `f` | 3 | easy | - | - |\n"
        "<!-- classification:end -->\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="must be one of"):
        table(doc)
