"""Written answers: structured rubrics in the sources, review pages and score sheets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from tests.tooling.written_answers import ASSIGNMENT, PNG, WRITTEN, write_submission
from tools import review
from tools.course.answers import find_answer
from tools.course.layout import CourseLayout
from tools.course.rubrics import (
    RubricError,
    check_rubric_points,
    load_manual_questions,
    parse_rubric,
)

SOURCES = sorted(CourseLayout().solutions.glob("[0-9][0-9]_*.ipynb"))
ANSWER = r"""Because $\sigma^2 = e^{\ell} > 0$ for every real $\ell$, and

$$\mathrm{KL} = \tfrac12\big(\mu^2 + \sigma^2 - 1 - \log\sigma^2\big)$$

<script>alert("x")</script>"""


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_every_manual_question_has_a_rubric_that_adds_up(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    questions = load_manual_questions(source)
    assert len(questions) == text.count("manual: true")
    for question in questions:
        assert check_rubric_points(question) is None
        assert question.model_answer and question.prompt
        assert all(item.label and item.description for item in question.rubric.items)


def test_every_manual_question_of_the_course_is_loaded_with_its_points() -> None:
    """Each `manual: true` question of every source is read, with the points its config gives."""
    import re

    import yaml

    declared = {}
    for source in SOURCES:
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            text = cell.source.strip()
            if cell.cell_type == "raw" and re.match(r"#\s*BEGIN QUESTION", text):
                config = yaml.safe_load(text.split("\n", 1)[1])
                if config.get("manual"):
                    declared[(source.stem, config["name"])] = float(config["points"])
    questions = [q for s in SOURCES for q in load_manual_questions(s)]
    assert len(declared) >= 17
    assert {(q.assignment, q.name): q.points for q in questions} == declared


def test_rubrics_never_reach_the_student_notebooks() -> None:
    layout = CourseLayout()
    for source in SOURCES:
        student = layout.student_notebook(source.stem).read_text(encoding="utf-8")
        for question in load_manual_questions(source):
            assert "Rubric (" not in student
            for item in question.rubric.items:
                assert item.description[:40] not in student


def test_rubric_parser_reads_items_notes_and_refuses_a_missing_rubric() -> None:
    text = (
        "**Model answer.** Yes.\n\n*Rubric (2 pts):*\n\n"
        "- **1.5 pt · part 1:** the first\n  continued\n- **½ pt · part 2:** the second\n\n"
        "Half a point off for X."
    )
    answer, rubric = parse_rubric(text, "here")
    assert answer == "**Model answer.** Yes."
    assert [(i.key, i.points, i.label) for i in rubric.items] == [
        ("r1", 1.5, "part 1"),
        ("r2", 0.5, "part 2"),
    ]
    assert rubric.items[0].description == "the first continued"
    assert rubric.notes == "Half a point off for X."
    with pytest.raises(RubricError, match="no '\\*Rubric"):
        parse_rubric("**Model answer.** only", "q9")


def test_answer_is_found_with_its_attachment_and_hash(tmp_path: Path) -> None:
    path = write_submission(tmp_path, "alice", {"q4": ANSWER}, image=True)
    nb = json.loads(path.read_text())
    answer = find_answer(nb, "q4")
    assert answer.found and not answer.blank
    page = answer.to_html()
    assert f"data:image/png;base64,{PNG}" in page
    assert "<math" in page and "\\sigma^2 = e^{\\ell} &gt; 0" in page  # MathML, TeX kept
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert find_answer(nb, "q11").blank
    assert answer.digest() != find_answer(nb, "q11").digest()


def _run_review(tmp_path: Path, *extra: str) -> Path:
    output = tmp_path / "review" / ASSIGNMENT
    code = review.main(
        [str(tmp_path / "subs"), "--assignment", ASSIGNMENT, "--output", str(output), *extra]
    )
    assert code == 0
    return output


def test_review_writes_a_page_and_a_sheet_per_question(tmp_path: Path) -> None:
    write_submission(tmp_path / "subs", "alice", {"q4": ANSWER, "q11": "By $\\log$ rules."})
    write_submission(tmp_path / "subs", "bob", {})
    output = _run_review(tmp_path)
    for name in WRITTEN:
        page = (output / f"{name}.html").read_text(encoding="utf-8")
        assert "Model answer" in page and "Rubric" in page and "alice" in page and "bob" in page
        assert "<script" not in page.lower().replace("&lt;script", "")
        assert "http" not in page.replace("http://www.w3.org/1998/Math/MathML", "")  # offline
        with open(output / f"{name}-scores.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        assert [r["submission"] for r in rows] == ["alice", "bob"]
        assert all(r["assignment"] == ASSIGNMENT and r["question"] == name for r in rows)
        assert all(len(r["answer_hash"]) == 16 for r in rows)
    with open(output / "q4-scores.csv", newline="") as f:
        header = next(csv.reader(f))
    assert header[4:] == [
        "r1: a first reason (max 1)",
        "r2: a second, distinct reason (max 1)",
        "points",
        "comment",
    ]
    assert "No answer" in (output / "q12.html").read_text()


def test_a_second_run_keeps_every_entered_score_and_flags_changed_answers(tmp_path: Path) -> None:
    write_submission(tmp_path / "subs", "alice", {"q4": "first version"})
    output = _run_review(tmp_path)
    sheet = output / "q4-scores.csv"
    text = sheet.read_text().replace(",,,\n", ",1,0,,terse\n", 1)
    sheet.write_text(text)
    write_submission(tmp_path / "subs", "alice", {"q4": "second version"})
    write_submission(tmp_path / "subs", "carol", {"q4": "new"})
    _run_review(tmp_path)
    after = sheet.read_text()
    assert after.startswith(text)  # the filled row untouched, carol appended
    assert after.count("carol") == 1
    assert "changed since its row was made" in (output / "q4.html").read_text()


def test_anonymized_review_uses_stable_pseudonyms_kept_in_the_key(tmp_path: Path) -> None:
    write_submission(tmp_path / "subs", "alice", {"q4": ANSWER})
    write_submission(tmp_path / "subs", "bob", {})
    key = tmp_path / "review" / f"{ASSIGNMENT}.key.json"
    output = _run_review(tmp_path, "--anonymize", "--key", str(key))
    page = (output / "q4.html").read_text()
    assert "alice" not in page and "bob" not in page and "anon-" in page
    names = json.loads(key.read_text())["pseudonyms"]
    assert set(names) == {"alice", "bob"}
    _run_review(tmp_path, "--anonymize", "--key", str(key))
    assert json.loads(key.read_text())["pseudonyms"] == names
    assert (
        review.main([str(tmp_path / "subs"), "--assignment", ASSIGNMENT, "--output", str(output)])
        == 2
    )


def test_review_refuses_an_unknown_assignment_or_folder(tmp_path: Path, capsys) -> None:
    assert review.main([str(tmp_path / "nowhere"), "--assignment", ASSIGNMENT]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "subs").mkdir()
    assert review.main([str(tmp_path / "subs"), "--assignment", "99_nothing"]) == 2
    assert "no source for '99_nothing'" in capsys.readouterr().err


def test_math_is_cut_out_before_markdown_so_a_line_starting_with_plus_stays_math() -> None:
    from tools.course.render import markdown_to_html

    page = markdown_to_html("Then $a = b\n+ c_1 * d_2$ and `$code$` and \\$5.\n\n$$x^2$$")
    assert "<li>" not in page and "<em>" not in page  # no list, no emphasis from the math
    assert page.count("<math") == 2 and "<code>$code$</code>" in page and "$5" in page
