"""`tools.verify`: a real assignment passes, each check can fail, every assignment by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.course.building import BuiltAssignment, compare_with_disk
from tools.course.config import load_course_config
from tools.course.layout import CourseLayout
from tools.course.submissions import IsolatedRun, autograder_questions
from tools.course.verification import (
    Report,
    check_environment,
    check_key,
    check_student,
    print_reports,
    verify_files,
)

REPO = CourseLayout()
ASSIGNMENT = "02_vae_theory"  # built in a temporary checkout by conftest.course_build


def _run(questions: dict[str, tuple[float, float, list[str]]]) -> IsolatedRun:
    summary = {
        "questions": {
            name: {
                "score": score,
                "possible": possible,
                "failures": [{"hidden": True, "message": m} for m in messages],
            }
            for name, (score, possible, messages) in questions.items()
        },
        "total": sum(q[0] for q in questions.values()),
        "possible": sum(q[1] for q in questions.values()),
        "cell_errors": [],
        "catastrophic_error": None,
    }
    return IsolatedRun(summary, timed_out=False, interrupted=False, log_tail="", seconds=1.0)


def test_check_key_requires_full_marks() -> None:
    good, bad = Report("k"), Report("k")
    check_key(_run({"q1": (2, 2, []), "q2": (1, 1, [])}), good)
    check_key(
        _run({"q1": (1, 2, ["Error at line 3 in test q1:\nKL must be ≥ 0"]), "q2": (1, 1, [])}), bad
    )
    assert good.problems == []
    assert bad.problems == ["answer key scores 2/3: q1 1/2: KL must be ≥ 0"]


def test_check_student_requires_zero_and_named_failures() -> None:
    good, bad = Report("s"), Report("s")
    check_student(_run({"q1": (0, 2, ["Error at line 3 in test q1:"])}), good, ["q1"])
    check_student(
        _run({"q1": (1, 2, ["in test q1"]), "q2": (0, 1, ["assert failed"])}),
        bad,
        ["q1", "q2", "q3"],
    )
    assert good.problems == []
    assert bad.problems == [
        "student notebook: no result for q3",
        "student notebook scores 1/2 on q1 untouched: "
        "its tests must fail on the `...` placeholders",
        "student notebook: a failure message of q2 does not name it",
    ]


def test_check_environment_rejects_cuda_torch_and_missing_otter() -> None:
    course = load_course_config()
    report = Report("e")
    env = "name: otter-env\ndependencies:\n- python=3.13\n- pip:\n  - torch==2.15.0\n"
    check_environment({"environment.yml": env.encode()}, course, report)
    assert report.problems == [
        f"grading environment does not pin python={course.python_version}",
        f"grading environment does not install {course.otter_grading_requirement}",
        "grading environment 'torch==2.15.0' is not a CPU build (pin e.g. torch==X+cpu)",
        "grading environment has no --extra-index-url for the PyTorch CPU wheels",
    ]


@pytest.mark.slow
def test_committed_generated_files_are_current(real_build: list[BuiltAssignment]) -> None:
    problems = compare_with_disk(REPO, real_build, all_selected=True)
    assert problems == [], "run `make build` and commit:\n" + "\n".join(problems)


@pytest.mark.slow
def test_verify_passes_on_a_real_assignment(
    course_build: tuple[CourseLayout, list[BuiltAssignment]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Key 100 %, student copy 0 with named failures, no leaks, CPU environment, set-up cell.

    Only ASSIGNMENT, to keep the suite quick; `make verify` verifies every assignment.
    """
    layout, built = course_build
    reports = verify_files(layout, built, layout.root, load_course_config(), jobs=2)
    code = print_reports(reports)
    out = capsys.readouterr().out
    assert code == 0, out
    [report] = reports
    assert report.name == ASSIGNMENT and report.problems == []
    questions = autograder_questions(layout.autograder_zip(ASSIGNMENT))
    possible = sum(q.possible for q in questions)
    assert [line.split(" (")[0] for line in report.passed[:2]] == [
        f"answer key scores {possible:g}/{possible:g}",
        f"student notebook scores 0 on all {len(questions)} questions",
    ], out
    assert any(line.startswith("no leaks: ") for line in report.passed), out


def _fake_course(root: Path, names: list[str]) -> CourseLayout:
    layout = CourseLayout(root)
    layout.solutions.mkdir(parents=True)
    layout.course_toml.write_text(CourseLayout().course_toml.read_text())
    for name in names:
        layout.source(name).write_text("{}")
    return layout


def test_verify_cli_verifies_every_assignment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m tools.verify` with no names builds and verifies all of solutions/."""
    import tools.verify

    names = ["01_first", "02_second", "03_third"]
    layout = _fake_course(tmp_path / "course", names)
    seen: dict[str, list[str]] = {}

    def fake_build_all(*args: object, **_options: object) -> list[BuiltAssignment]:
        selected = args[1]
        assert isinstance(selected, list)
        seen["built"] = list(selected)
        return [BuiltAssignment(name) for name in selected]

    def fake_verify_files(
        _layout: CourseLayout,
        built: list[BuiltAssignment],
        _root: Path,
        _course: object,
        _jobs: int,
    ) -> list[Report]:
        seen["verified"] = [b.name for b in built]
        return [Report(b.name, passed=["fine"]) for b in built]

    monkeypatch.setattr(tools.verify, "build_all", fake_build_all)
    monkeypatch.setattr(tools.verify, "verify_files", fake_verify_files)
    assert tools.verify.main(["--root", str(layout.root), "--jobs", "1"]) == 0
    assert seen == {"built": names, "verified": names}
    assert "verify: 3 passed, 0 failed" in capsys.readouterr().out


def test_build_verify_verifies_every_assignment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`python -m tools.build --verify` (make course) hands every built assignment to verify."""
    import tools.build
    import tools.verify

    names = ["01_first", "02_second", "03_third"]
    layout = _fake_course(tmp_path / "course", names)
    seen: dict[str, list[str]] = {}

    def fake_build_all(*args: object, **_options: object) -> list[BuiltAssignment]:
        selected = args[1]
        assert isinstance(selected, list)
        return [BuiltAssignment(name) for name in selected]

    def fake_verify_built(
        _layout: CourseLayout, built: list[BuiltAssignment], _course: object, jobs: int = 0
    ) -> int:
        seen["verified"] = [b.name for b in built]
        return 0

    monkeypatch.setattr(tools.build, "build_all", fake_build_all)
    monkeypatch.setattr(tools.build, "verify_built", fake_verify_built)
    assert tools.build.main(["--check", "--verify", "--root", str(layout.root)]) == 0
    assert seen == {"verified": names}
