"""Item analysis: numbers checked by hand on a small class, and a report on a synthetic class."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from tests.tooling.written_answers import ASSIGNMENT, AUTO, write_grade_csv
from tools import report
from tools.course.feedback import MessageLog, messages_path
from tools.course.itemanalysis import analyse, pearson
from tools.course.submissions import GradeRow

SMALL = {
    "s1": {"q1": 1.0, "q2": 0.0, "q3": 2.0, "q4": 0.0},
    "s2": {"q1": 1.0, "q2": 1.0, "q3": 1.0, "q4": 0.0},
    "s3": {"q1": 0.0, "q2": 1.0, "q3": 0.0, "q4": 0.0},
    "s4": {"q1": 0.0, "q2": 0.0, "q3": 0.0, "q4": 0.0},
}
POSSIBLE = {"q1": 1.0, "q2": 1.0, "q3": 2.0, "q4": 1.0}


def test_item_statistics_match_a_hand_computation() -> None:
    messages = {"s3": {"q1": ["wrong sign"]}, "s4": {"q1": ["wrong sign", "no gradient"]}}
    stats = {s.name: s for s in analyse(SMALL, POSSIBLE, messages)}  # type: ignore[arg-type]
    q1, q2, q3, q4 = stats["q1"], stats["q2"], stats["q3"], stats["q4"]
    # q1 = [1, 1, 0, 0] against the rest of the total [2, 2, 1, 0]:
    # deviations ±0.5 and [0.75, 0.75, -0.25, -1.25]; Sxy = 1.5, Sxx = 1, Syy = 2.75.
    assert q1.discrimination == pytest.approx(1.5 / math.sqrt(2.75))
    # q2 = [0, 1, 1, 0] against [3, 2, 0, 0]: Sxy = -0.5, Sxx = 1, Syy = 6.75.
    assert q2.discrimination == pytest.approx(-0.5 / math.sqrt(6.75))
    assert (q1.mean, q1.share_zero, q1.share_full) == (0.5, 0.5, 0.5)
    assert (q3.mean, q3.share_zero, q3.share_full) == (0.75, 0.5, 0.25)
    assert q4.discrimination is None and q4.share_zero == 1.0
    assert q1.messages == [("wrong sign", 2), ("no gradient", 1)]
    assert q1.flags == [] and q2.flags == ["negative discrimination"]
    assert q4.flags == ["nearly everyone fails"]
    assert pearson([1.0], [2.0]) is None and pearson([1, 2], [3, 3]) is None


def test_unscored_answers_are_left_out_of_their_question_only() -> None:
    scores = {"a": {"q1": 1.0, "w": None}, "b": {"q1": 0.0, "w": 2.0}}
    stats = {s.name: s for s in analyse(scores, {"q1": 1.0, "w": 2.0}, written={"w"})}
    assert stats["w"].count == 1 and stats["w"].share_full == 1.0 and stats["w"].written
    assert stats["q1"].count == 2


def test_report_shows_plots_flags_messages_and_timeouts(tmp_path: Path) -> None:
    grades = tmp_path / "grades"
    scores = {f"s{i}": {q: 1.0 for q in AUTO} for i in range(5)}
    scores["s0"]["q2"] = scores["s1"]["q2"] = 0.0
    grade_csv = write_grade_csv(
        grades / f"{ASSIGNMENT}.csv", scores | {"late": {}}, {"late": "timed out"}
    )
    log = MessageLog(messages_path(grade_csv), resume=False)
    for name in ("s0", "s1"):
        log.add(GradeRow(name, messages={"q2": ["the KL must be 0 at the prior"]}))
    log.close()
    output = tmp_path / "report.html"
    assert report.main(["--grades", str(grades), "--output", str(output)]) == 0
    page = output.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") == 2
    assert "2× the KL must be 0 at the prior" in page
    assert "nearly everyone passes" in page  # q1 etc.: 5 of 5 at full marks
    assert "late</b>: timed out" in page
    assert "5 ok, 1 timed out" in page
    assert "http" not in re.sub(r"data:image/png;base64,[^\"]+", "", page)


def test_report_without_a_grade_csv_says_what_to_do(tmp_path: Path, capsys) -> None:
    assert report.main(["--grades", str(tmp_path)]) == 2
    assert "run make grade first" in capsys.readouterr().err


@pytest.mark.slow
def test_report_on_a_synthetic_class_of_key_blank_mutants_and_variants(tmp_path: Path) -> None:
    """Grade key, blank, mutants and variants in process (the grader's JSON path), then report."""
    from tests.assignments.test_02_vae_theory import MUTANTS, VARIANTS
    from tests.otter_support import hidden_questions, key_namespace, with_answers
    from tools.course.layout import CourseLayout
    from vae_grading.autograder import possible_points, read_points
    from vae_grading.scoring import run_in_process

    points = possible_points(read_points(CourseLayout().autograder_zip(ASSIGNMENT)))
    mutants = sorted(MUTANTS)[::4]
    students = {"key": dict(key_namespace(ASSIGNMENT)), "blank": {}}
    students |= {
        f"mutant_{m}": with_answers(ASSIGNMENT, {MUTANTS[m][1]: MUTANTS[m][2]}) for m in mutants
    }
    students |= {
        f"variant_{v}": with_answers(ASSIGNMENT, {VARIANTS[v][1]: VARIANTS[v][2]})
        for v in sorted(VARIANTS)[::6]
    }
    grades = tmp_path / "grades"
    scores, rows = {}, []
    for name, namespace in students.items():
        results = run_in_process(hidden_questions(ASSIGNMENT), namespace, seed=7, points=points)
        scores[name] = {q: r.score for q, r in results.items()}
        rows.append(
            GradeRow(
                name,
                messages={
                    q: [c.message for c in r.checks if not c.passed] if not r.error else [r.error]
                    for q, r in results.items()
                },
            )
        )
    grade_csv = write_grade_csv(grades / f"{ASSIGNMENT}.csv", scores)
    log = MessageLog(messages_path(grade_csv), resume=False)
    for row in rows:
        log.add(row)
    log.close()
    assert sum(scores["key"].values()) == sum(points.values())
    assert sum(scores["blank"].values()) == 0
    for mutant in mutants:  # each mistake costs its own question
        assert scores[f"mutant_{mutant}"][MUTANTS[mutant][0]] < points[MUTANTS[mutant][0]]
    output = tmp_path / "report.html"
    assert report.main(["--grades", str(grades), "--output", str(output)]) == 0
    page = output.read_text(encoding="utf-8")
    records = [json.loads(line) for line in messages_path(grade_csv).read_text().splitlines()]
    some_mutant = f"mutant_{mutants[0]}"
    message = next(r for r in records if r["submission"] == some_mutant)["messages"][
        MUTANTS[mutants[0]][0]
    ][0]
    assert re.sub(r"\s+", " ", message)[:40] in page.replace("&#x27;", "'").replace("&quot;", '"')
    assert f"{len(students)} ok" in page
