"""`tools.verify`: a real assignment passes, each check can fail, every assignment by default."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from tools.course.building import BuiltAssignment, clean_sources, compare_with_disk
from tools.course.config import load_course_config
from tools.course.layout import CourseLayout
from tools.course.verification import (
    Report,
    check_environment,
    check_key,
    check_student,
    print_reports,
    verify_files,
)
from vae_grading.autograder import read_points
from vae_grading.evidence import CheckResult
from vae_grading.local_grading import LocalGrade
from vae_grading.scoring import QuestionScore

REPO = CourseLayout()
ASSIGNMENT = "02_vae_theory"  # built in a temporary checkout by conftest.course_build


def _grade(questions: dict[str, tuple[float, float, list[str]]], **outcome: object) -> LocalGrade:
    """A grading whose questions scored (score, possible) and failed the checks named."""
    scores = {
        name: QuestionScore(name, score, possible, [CheckResult(m, False, m) for m in failed])
        for name, (score, possible, failed) in questions.items()
    }
    return LocalGrade(scores=scores, seconds=1.0, **outcome)  # type: ignore[arg-type]


def test_check_key_requires_full_marks() -> None:
    good, bad, crashed, slow = Report("k"), Report("k"), Report("k"), Report("k")
    check_key(_grade({"q1": (2, 2, []), "q2": (1, 1, [])}), good)
    check_key(_grade({"q1": (1, 2, ["KL must be ≥ 0"]), "q2": (1, 1, [])}), bad)
    check_key(_grade({"q1": (2, 2, [])}, crashed="DeadKernelError"), crashed)
    check_key(_grade({}, timed_out=True), slow)
    assert good.problems == []
    assert bad.problems == ["answer key scores 2/3: q1 1/2: KL must be ≥ 0"]
    assert crashed.problems == ["answer key scores 2/2 (DeadKernelError)"]
    assert slow.problems == ["answer key could not be graded: timed out"]


def test_check_student_requires_zero_on_every_question() -> None:
    good, bad = Report("s"), Report("s")
    check_student(_grade({"q1": (0, 2, ["q1 is not defined"])}), good, ["q1"])
    check_student(
        _grade({"q1": (1, 2, ["half"]), "q2": (0, 1, ["assert failed"])}), bad, ["q1", "q2", "q3"]
    )
    assert good.problems == []
    assert good.passed == ["student notebook scores 0 on all 1 questions (graded in 1 s)"]
    assert bad.problems == [
        "student notebook: no result for q3",
        "student notebook scores 1/2 on q1 untouched: "
        "its tests must fail on the `...` placeholders",
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
    questions = read_points(layout.autograder_zip(ASSIGNMENT))
    possible = sum(q.possible for q in questions)
    assert [line.split(" (")[0] for line in report.passed[:2]] == [
        f"answer key scores {possible:g}/{possible:g}",
        f"student notebook scores 0 on all {len(questions)} questions",
    ], out
    assert any(line.startswith("no leaks: ") for line in report.passed), out


def _fake_course(root: Path, names: list[str]) -> CourseLayout:
    """A checkout whose sources are empty notebooks, clean as `make build` leaves them."""
    layout = CourseLayout(root)
    layout.solutions.mkdir(parents=True)
    layout.course_toml.write_text(CourseLayout().course_toml.read_text())
    for name in names:
        nbformat.write(nbformat.v4.new_notebook(), layout.source(name))
    clean_sources(layout, names, load_course_config(layout.course_toml))
    return layout


def _fake_build_all(seen: dict[str, list[str]]) -> Callable[..., list[BuiltAssignment]]:
    """A build_all that builds nothing and records the names it was given in `seen`."""

    def build_all(*args: object, **_options: object) -> list[BuiltAssignment]:
        selected = args[1]
        assert isinstance(selected, list)
        seen["built"] = list(selected)
        return [BuiltAssignment(name) for name in selected]

    return build_all


def test_verify_cli_verifies_every_assignment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`python -m tools.verify` with no names builds and verifies all of solutions/."""
    import tools.verify

    names = ["01_first", "02_second", "03_third"]
    layout = _fake_course(tmp_path / "course", names)
    seen: dict[str, list[str]] = {}

    def fake_verify_files(
        _layout: CourseLayout,
        built: list[BuiltAssignment],
        _root: Path,
        _course: object,
        _jobs: int,
    ) -> list[Report]:
        seen["verified"] = [b.name for b in built]
        return [Report(b.name, passed=["fine"]) for b in built]

    monkeypatch.setattr(tools.verify, "build_all", _fake_build_all(seen))
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

    def fake_verify_built(
        _layout: CourseLayout, built: list[BuiltAssignment], _course: object, jobs: int = 0
    ) -> int:
        seen["verified"] = [b.name for b in built]
        return 0

    monkeypatch.setattr(tools.build, "build_all", _fake_build_all(seen))
    monkeypatch.setattr(tools.build, "verify_built", fake_verify_built)
    assert tools.build.main(["--check", "--verify", "--root", str(layout.root)]) == 0
    assert seen == {"built": names, "verified": names}
