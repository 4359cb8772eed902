"""The gradebook: auto-graded CSV + filled score sheets, and every bad input refused intact."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from tests.tooling.written_answers import (
    ASSIGNMENT,
    AUTO,
    WRITTEN,
    fill_sheet,
    write_grade_csv,
    write_submission,
)
from tools import gradebook, review

FULL = {q: 1.0 for q in AUTO}


def _review(tmp_path: Path) -> Path:
    output = tmp_path / "review" / ASSIGNMENT
    args = [str(tmp_path / "subs"), "--assignment", ASSIGNMENT, "--output", str(output)]
    assert review.main(args) == 0
    return output


def _gradebook(tmp_path: Path, *extra: str) -> int:
    return gradebook.main(
        ["--grades", str(tmp_path / "grades"), "--review", str(tmp_path / "review"), *extra]
    )


@pytest.fixture
def scored(tmp_path: Path) -> Path:
    """Two graded students whose four written answers are all scored."""
    write_submission(tmp_path / "subs", "alice", {q: f"answer to {q}" for q in WRITTEN})
    write_submission(tmp_path / "subs", "bob", {"q4": "only this"})
    write_grade_csv(tmp_path / "grades" / f"{ASSIGNMENT}.csv", {"alice": FULL, "bob": {"q1": 1.0}})
    folder = _review(tmp_path)
    for name in WRITTEN:
        fill_sheet(
            folder / f"{name}-scores.csv",
            {"alice": ["1", "0.5"], "bob": ["0", "0"]},
            "see the model answer",
        )
    return tmp_path


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], expected: str) -> str:
    before = _snapshot(tmp_path)
    assert _gradebook(tmp_path) == 2
    err = capsys.readouterr().err
    assert "the gradebook was not written" in err and expected in err, err
    assert _snapshot(tmp_path) == before  # nothing written, nothing lost
    return err


def test_gradebook_merges_auto_and_written_scores(scored: Path) -> None:
    sheets = _snapshot(scored / "review")
    assert _gradebook(scored) == 0
    with open(scored / "grades" / "gradebook" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["q4"] == "1.5" and rows["alice"]["auto_total"] == "10"
    assert rows["alice"]["written_total"] == "6" and rows["alice"]["total"] == "16"
    assert rows["bob"]["total"] == "1" and rows["alice"]["max_total"] == "26"
    with open(scored / "grades" / "gradebook" / "course.csv", newline="") as f:
        course = list(csv.DictReader(f))
    assert [(r["student"], r[ASSIGNMENT], r["total"]) for r in course] == [
        ("alice", "16", "16"),
        ("bob", "1", "1"),
    ]
    feedback = (scored / "grades" / "feedback" / ASSIGNMENT / "alice.md").read_text()
    assert "a first reason: 1/1; a second, distinct reason: 0.5/1" in feedback
    assert "see the model answer" in feedback
    assert _snapshot(scored / "review") == sheets  # sheets are read, never written
    assert _gradebook(scored) == 0  # a second run is fine


def test_a_student_missing_from_a_sheet_is_refused(scored: Path, capsys) -> None:
    sheet = scored / "review" / ASSIGNMENT / "q12-scores.csv"
    sheet.write_text(
        "".join(line for line in sheet.read_text().splitlines(True) if not line.startswith("bob,"))
    )
    _refused(scored, capsys, "q12-scores.csv: no row for bob")


def test_a_student_twice_in_a_sheet_is_refused(scored: Path, capsys) -> None:
    sheet = scored / "review" / ASSIGNMENT / "q4-scores.csv"
    lines = sheet.read_text().splitlines(True)
    sheet.write_text("".join(lines) + lines[1])
    _refused(scored, capsys, "submission 'alice' appears twice")


def test_a_student_twice_in_the_grade_csv_is_refused(scored: Path, capsys) -> None:
    path = scored / "grades" / f"{ASSIGNMENT}.csv"
    lines = path.read_text().splitlines(True)
    path.write_text("".join(lines) + lines[1])
    _refused(scored, capsys, "'alice' has more than one row")


def test_an_unknown_student_in_a_sheet_is_refused(scored: Path, capsys) -> None:
    sheet = scored / "review" / ASSIGNMENT / "q4-scores.csv"
    sheet.write_text(sheet.read_text() + f"mallory,abc,{ASSIGNMENT},q4,1,1,,\n")
    _refused(scored, capsys, "submission 'mallory' has no auto-graded row")


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["2", "0"], "2 points for r1 is outside 0…1"),
        (["-1", "0"], "-1 points for r1 is outside 0…1"),
        (["one", "0"], "'one', not a number"),
        (["1", ""], "r2 left empty while others are filled"),
    ],
)
def test_a_score_outside_the_rubric_is_refused(
    scored: Path, capsys, values: list[str], expected: str
) -> None:
    fill_sheet(scored / "review" / ASSIGNMENT / "q11-scores.csv", {"alice": values})
    _refused(scored, capsys, expected)


def test_a_holistic_score_above_the_questions_points_is_refused(scored: Path, capsys) -> None:
    sheet = scored / "review" / ASSIGNMENT / "q13-scores.csv"
    fill_sheet(sheet, {"bob": ["", ""]}, "holistic")
    sheet.write_text(sheet.read_text().replace(",,,holistic", ",,3,holistic"))
    _refused(scored, capsys, "3 points is outside 0…2")


def test_a_sheet_of_another_assignment_is_refused(scored: Path, capsys) -> None:
    sheet = scored / "review" / ASSIGNMENT / "q4-scores.csv"
    sheet.write_text(sheet.read_text().replace(f"{ASSIGNMENT},q4", "03_vae_implementation,q2"))
    _refused(scored, capsys, "the row is for 03_vae_implementation q2")


def test_a_sheet_with_another_rubric_is_refused(scored: Path, capsys) -> None:
    folder = scored / "review" / ASSIGNMENT
    text = (folder / "q4-scores.csv").read_text()
    (folder / "q4-scores.csv").write_text(text.replace("r2: ", "r3: ", 1))
    _refused(scored, capsys, "are not the rubric items")


def test_a_sheet_scored_before_a_regrade_is_refused(scored: Path, capsys) -> None:
    write_submission(scored / "subs", "bob", {"q4": "a resubmitted, longer answer"})
    _review(scored)  # the resubmission is reviewed again: bob's q4 answer changed
    _refused(scored, capsys, "'bob' was scored against another version of the answer")
    assert (
        "changed since its row was made" in (scored / "review" / ASSIGNMENT / "q4.html").read_text()
    )


def test_unscored_rows_are_refused_unless_pending_is_allowed(scored: Path, capsys) -> None:
    fill_sheet(scored / "review" / ASSIGNMENT / "q12-scores.csv", {"bob": ["", ""]})
    _refused(scored, capsys, "1 row(s) not scored yet (bob)")
    assert _gradebook(scored, "--allow-pending") == 0
    with open(scored / "grades" / "gradebook" / f"{ASSIGNMENT}.csv", newline="") as f:
        bob = next(r for r in csv.DictReader(f) if r["student"] == "bob")
    assert bob["q12"] == "" and bob["pending"] == "q12"


def test_a_gradebook_edited_by_hand_is_never_overwritten(scored: Path, capsys) -> None:
    assert _gradebook(scored) == 0
    book = scored / "grades" / "gradebook" / f"{ASSIGNMENT}.csv"
    book.write_text(book.read_text().replace("alice", "alice (curved)"))
    edited = book.read_bytes()
    assert _gradebook(scored) == 2
    assert "edited by hand" in capsys.readouterr().err
    assert book.read_bytes() == edited


def test_gradescope_score_export_replaces_the_grade_csv(scored: Path) -> None:
    export = scored / "gradescope.csv"
    questions = [
        f"{i}: {q.upper()} ({1.0 if q not in ('q5', 'q8b') else 4.0} pts)"
        for i, q in enumerate(AUTO, 1)
    ]
    with open(export, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Name", "SID", "Email", "Total Score", "Max Points", "Status", *questions])
        writer.writerow(["Alice A", "alice", "a@x.org", "10", "20", "Graded", *["1"] * len(AUTO)])
        writer.writerow(
            ["Bob B", "bob", "b@x.org", "1", "20", "Graded", "1", *["0"] * (len(AUTO) - 1)]
        )
    shutil.rmtree(scored / "grades")
    (scored / "grades").mkdir()
    assert _gradebook(scored, ASSIGNMENT, "--scores", f"{ASSIGNMENT}={export}") == 0
    with open(scored / "grades" / "gradebook" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["name"] == "Alice A" and rows["alice"]["total"] == "16"
    assert rows["alice"]["max_total"] == "24"  # 8 × 1 + 2 × 4 auto-graded, 4 × 2 written


def test_report_reads_the_gradebook_with_its_written_questions(scored: Path) -> None:
    from tools import report

    assert _gradebook(scored) == 0
    output = scored / "report.html"
    assert report.main(["--grades", str(scored / "grades"), "--output", str(output)]) == 0
    page = output.read_text(encoding="utf-8")
    assert "q4 (written)" in page and "gradebook" in page
    # q4: alice 1.5, bob 0 → mean 0.75, half at 0, nobody at full marks
    assert "<td>q4 (written)</td><td>2</td><td>2</td><td>0.75</td><td>50 %</td><td>0 %</td>" in page


def test_a_sheet_of_another_assignments_question_in_the_folder_is_refused(
    scored: Path, capsys
) -> None:
    stray = scored / "review" / ASSIGNMENT / "q2-scores.csv"
    stray.write_text(
        "submission,answer_hash,assignment,question,r1: x (max 1),r2: y (max 1),points,comment\n"
        "alice,abc,03_vae_implementation,q2,1,1,,\n"
    )
    _refused(
        scored, capsys, "q2-scores.csv: not a score sheet of a written question of 02_vae_theory"
    )
    assert "its rows are for 03_vae_implementation" in stray.read_text() or True


def test_a_roster_adds_students_without_submission_and_refuses_unknown_or_twice(
    scored: Path, capsys
) -> None:
    roster = scored / "roster.csv"
    roster.write_text("student,name,email\nalice,Alice A,a@x.org\nbob,Bob B,\ncarl,Carl C,\n")
    assert _gradebook(scored, "--roster", str(roster)) == 0
    assert "no submission from 1: carl" in capsys.readouterr().out
    with open(scored / "grades" / "gradebook" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["carl"]["status"] == "no submission" and rows["carl"]["total"] == "0"
    assert rows["alice"]["name"] == "Alice A" and rows["carl"]["pending"] == ""
    assert not (scored / "grades" / "feedback" / ASSIGNMENT / "carl.md").exists()
    shutil.rmtree(scored / "grades" / "gradebook")
    roster.write_text("student\nalice\nalice\n")
    before = _snapshot(scored)
    assert _gradebook(scored, "--roster", str(roster)) == 2
    err = capsys.readouterr().err
    assert "'alice' appears twice" in err and "'bob' is not on the roster" in err
    assert _snapshot(scored) == before


def test_anonymized_sheets_are_mapped_back_to_students(tmp_path: Path, capsys) -> None:
    write_submission(tmp_path / "subs", "alice", {"q4": "mine"})
    write_submission(tmp_path / "subs", "bob", {})
    write_grade_csv(tmp_path / "grades" / f"{ASSIGNMENT}.csv", {"alice": FULL, "bob": {}})
    output = tmp_path / "review" / ASSIGNMENT
    key = tmp_path / "review" / f"{ASSIGNMENT}.key.json"
    args = [str(tmp_path / "subs"), "--assignment", ASSIGNMENT, "--output", str(output)]
    assert review.main([*args, "--anonymize", "--key", str(key)]) == 0
    names = json.loads(key.read_text())["pseudonyms"]
    for name in WRITTEN:
        sheet = output / f"{name}-scores.csv"
        assert "alice" not in sheet.read_text()
        fill_sheet(sheet, {names["alice"]: ["1", "1"], names["bob"]: ["0", "0"]})
    assert _gradebook(tmp_path) == 0
    with open(tmp_path / "grades" / "gradebook" / f"{ASSIGNMENT}.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["alice"]["written_total"] == "8" and rows["bob"]["written_total"] == "0"
    key.unlink()
    assert _gradebook(tmp_path) == 2
    assert "is anonymized but its key file" in capsys.readouterr().err
