"""Feedback files: verdict messages saved by tools.grade, one Markdown file per submission."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tooling.written_answers import ASSIGNMENT, AUTO, write_grade_csv
from tools.course.feedback import (
    MessageLog,
    QuestionFeedback,
    SubmissionFeedback,
    messages_path,
    read_messages,
    render_feedback,
    write_grade_feedback,
)
from tools.course.layout import CourseLayout
from tools.course.submissions import GradeRow, GradingLimits, fill_from_grade
from vae_grading.autograder import QuestionPoints
from vae_grading.evidence import CheckResult
from vae_grading.local_grading import CellError, LocalGrade
from vae_grading.scoring import QuestionScore

HIDDEN = CourseLayout().hidden_tests(ASSIGNMENT).read_text(encoding="utf-8")


def test_verdict_messages_reach_the_row() -> None:
    questions = [QuestionPoints("q1", 1.0), QuestionPoints("q2", 1.0), QuestionPoints("q3", 1.0)]
    grade = LocalGrade(
        scores={
            "q1": QuestionScore("q1", 1.0, 1.0, [CheckResult("kl", True, "")]),
            "q2": QuestionScore(
                "q2", 0.0, 1.0, [CheckResult("kl", False, "the KL must be 0 at the prior")]
            ),
            "q3": QuestionScore("q3", 0.0, 1.0, [CheckResult("kl", False, "x")], "no result"),
        }
    )
    row = GradeRow("alice")
    fill_from_grade(row, grade, questions, GradingLimits())
    assert row.scores == {"q1": 1.0, "q2": 0.0, "q3": 0.0}
    assert row.messages == {"q1": [], "q2": ["the KL must be 0 at the prior"], "q3": ["no result"]}


def test_the_reason_names_the_first_stopped_and_the_first_raising_cell() -> None:
    errors = [
        CellError(3, "KeyboardInterrupt", "train(model)"),
        CellError(5, "NameError", "plot(x)"),
        CellError(6, "ValueError", "y = f(x)"),
    ]
    row = GradeRow("alice")
    grade = LocalGrade(crashed="DeadKernelError", cell_errors=errors)
    fill_from_grade(row, grade, [QuestionPoints("q1", 1.0)], GradingLimits(cell_timeout_s=10))
    assert row.scores == {"q1": 0.0} and row.messages == {"q1": []}
    assert row.reason == (
        "the notebook stopped early: DeadKernelError; "
        "1 cell(s) stopped at the 10 s limit (first: 'train(model)'); "
        "2 cell(s) raised errors (first: NameError in 'plot(x)')"
    )


def test_message_log_keeps_the_last_record_and_survives_a_cut_line(tmp_path: Path) -> None:
    path = messages_path(tmp_path / f"{ASSIGNMENT}.csv")
    assert path.name == f"{ASSIGNMENT}.messages.jsonl"
    log = MessageLog(path, resume=False)
    log.add(GradeRow("alice", status="timed out", reason="stopped"))
    log.add(GradeRow("alice", messages={"q2": ["wrong sign"]}))
    log.close()
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"submission": "bob", "mess')  # a batch killed mid-write
    records = read_messages(path)
    assert list(records) == ["alice"]
    assert (
        records["alice"]["messages"] == {"q2": ["wrong sign"]}
        and records["alice"]["status"] == "ok"
    )
    resumed = MessageLog(path, resume=True)
    resumed.add(GradeRow("carol"))
    resumed.close()
    assert set(read_messages(path)) == {"alice", "carol"}


def test_grade_feedback_names_each_questions_score_and_message(tmp_path: Path) -> None:
    grade_csv = write_grade_csv(
        tmp_path / "grades" / f"{ASSIGNMENT}.csv",
        {"alice": {q: 1.0 for q in AUTO} | {"q2": 0.5}, "bob": {}},
        {"bob": "timed out"},
    )
    log = MessageLog(messages_path(grade_csv), resume=False)
    log.add(GradeRow("alice", messages={"q2": ["expected 0 at the prior | got 1.3"]}))
    log.close()
    folder = write_grade_feedback(grade_csv, ASSIGNMENT, CourseLayout().autograder_zip(ASSIGNMENT))
    alice = (folder / "alice.md").read_text()
    assert "| q2 | 0.5 / 1 | expected 0 at the prior \\| got 1.3 |" in alice
    assert "| q1 | 1 / 1 | all hidden checks passed |" in alice
    assert "| q5 | 1 / 3 | no points |" in alice
    assert "**9.5 / 18** points" in alice
    bob = (folder / "bob.md").read_text()
    assert "could not be graded fully (timed out): stopped after 600 s" in bob
    for text in (alice, bob):  # nothing of the hidden tests reaches a student
        assert "def " not in text and "import" not in text
        assert not any(len(line) > 30 and line in text for line in HIDDEN.splitlines())


def test_written_questions_show_items_comment_or_pending() -> None:
    feedback = SubmissionFeedback(
        ASSIGNMENT,
        "alice",
        "ok",
        "",
        [
            QuestionFeedback(
                "q4",
                1.5,
                2,
                items=[("a reason", 1, 1), ("another", 0.5, 1)],
                comment="good",
                written=True,
            ),
            QuestionFeedback("q11", None, 2, written=True),
        ],
    )
    text = render_feedback(feedback)
    assert "| q4 (written) | 1.5 / 2 | a reason: 1/1; another: 0.5/1 — good |" in text
    assert "| q11 (written) | pending / 2 | not graded yet |" in text
    assert json.dumps(text)  # plain text only


def test_long_messages_are_capped_in_the_log(tmp_path: Path) -> None:
    path = tmp_path / "m.messages.jsonl"
    log = MessageLog(path, resume=False)
    log.add(GradeRow("eve", messages={"q1": ["x" * 5000] * 50}))
    log.close()
    saved = read_messages(path)["eve"]["messages"]["q1"]
    assert len(saved) == 10 and all(len(m) == 300 for m in saved)
