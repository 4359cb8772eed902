"""The checks behind `make verify`: key at full marks, blank at 0, no leaks, environment.

The command is `tools/verify.py`.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.course.building import BuiltAssignment
from tools.course.config import CourseConfig
from tools.course.layout import CourseLayout
from tools.course.leaks import find_leaks, hidden_module_secrets, solution_secrets
from tools.course.notebooks import read_notebook
from tools.course.setup_cells import course_cells_problems
from tools.course.submissions import (
    GradingLimits,
    canonical_notebook,
    load_autograder,
    run_isolated,
)
from tools.course.zipfiles import read_zip_members
from vae_grading.local_grading import LocalGrade

VERIFY_LIMITS = GradingLimits(cell_timeout_s=120, submission_timeout_s=600)


@dataclass
class Report:
    """What verification found for one assignment."""

    name: str
    passed: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    key_seconds: float | None = None
    student_seconds: float | None = None


def check_key(grade: LocalGrade, report: Report) -> None:
    """The key must be graded without error and score full marks on every question."""
    if grade.timed_out:
        report.problems.append("answer key could not be graded: timed out")
        return
    scores, total, possible = grade.scores, grade.total, grade.possible
    lost = {name: s for name, s in scores.items() if s.score < s.possible}
    if grade.crashed or lost or possible <= 0:
        details = "; ".join(
            f"{name} {s.score:g}/{s.possible:g}: {_last_line(s.feedback())}"
            for name, s in sorted(lost.items())
        )
        crash = f" ({grade.crashed})" if grade.crashed else ""
        report.problems.append(
            f"answer key scores {total:g}/{possible:g}{': ' + details if details else ''}{crash}"
        )
        return
    report.passed.append(
        f"answer key scores {total:g}/{possible:g} "
        f"({len(scores)} questions, graded in {grade.seconds:.0f} s)"
    )


def check_student(grade: LocalGrade, report: Report, expected_questions: list[str]) -> None:
    """The untouched student copy must grade without crashing and score 0 on each question."""
    if grade.timed_out:
        report.problems.append("student notebook could not be graded: timed out")
        return
    if grade.crashed:
        report.problems.append(f"student notebook crashed: {grade.crashed}")
        return
    scores = grade.scores
    missing = sorted(set(expected_questions) - set(scores))
    if missing:
        report.problems.append(f"student notebook: no result for {', '.join(missing)}")
    scored = {name: s for name, s in scores.items() if s.score > 0}
    for name, s in sorted(scored.items()):
        report.problems.append(
            f"student notebook scores {s.score:g}/{s.possible:g} on {name} untouched: "
            "its tests must fail on the `...` placeholders"
        )
    if not (missing or scored):
        report.passed.append(
            f"student notebook scores 0 on all {len(scores)} questions "
            f"(graded in {grade.seconds:.0f} s)"
        )


def _last_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[-1][:120] if lines else "failed"


def check_environment(zip_members: dict[str, bytes], course: CourseConfig, report: Report) -> None:
    """The grading environment pins Python, otter-grader and CPU-only torch builds."""
    env_text = zip_members.get("environment.yml", b"").decode()
    if not env_text:
        report.problems.append("autograder zip holds no environment.yml")
        return
    env = yaml.safe_load(env_text)
    deps = env.get("dependencies", [])
    pip: list[str] = next((d["pip"] for d in deps if isinstance(d, dict) and "pip" in d), [])
    problems = []
    if f"python={course.python_version}" not in deps:
        problems.append(f"does not pin python={course.python_version}")
    if course.otter_grading_requirement not in pip:
        problems.append(f"does not install {course.otter_grading_requirement}")
    torch_lines = [p for p in pip if re.match(r"(torch|torchvision|torchaudio)\b", p)]
    if not torch_lines:
        problems.append("installs no torch")
    for line in torch_lines:
        if "+cpu" not in line:
            problems.append(f"{line!r} is not a CPU build (pin e.g. torch==X+cpu)")
    if torch_lines and not any("download.pytorch.org/whl/cpu" in p for p in pip):
        problems.append("has no --extra-index-url for the PyTorch CPU wheels")
    if any(re.match(r"nvidia-", p) for p in pip):
        problems.append("installs nvidia-* (CUDA) packages")
    if problems:
        report.problems += [f"grading environment {p}" for p in problems]
    else:
        report.passed.append(
            f"grading environment: python {course.python_version}, "
            f"{course.otter_grading_requirement}, CPU torch"
        )


def check_student_notebook_shape(path: Path, course: CourseConfig, report: Report) -> None:
    """The student notebook has the current Colab badge and set-up cell (tagged otter_ignore)."""
    nb = read_notebook(path)
    report.problems += [
        f"student notebook: {problem} (make build)"
        for problem in course_cells_problems(nb, course, path.stem)
    ]


def verify_files(
    layout: CourseLayout,
    built: list[BuiltAssignment],
    files_root: Path,
    course: CourseConfig,
    jobs: int,
) -> list[Report]:
    """Verify built assignments whose files lie under `files_root` (notebooks/, autograder/)."""
    files = CourseLayout(files_root)
    reports = {b.name: Report(b.name) for b in built}
    student_files = sorted(p for p in files.notebooks.rglob("*") if p.is_file())
    if files_root != layout.root and layout.notebooks.is_dir():
        built_names = {b.name for b in built}
        student_files += sorted(
            p
            for p in layout.notebooks.rglob("*")
            if p.is_file() and p.relative_to(layout.notebooks).parts[0] not in built_names
        )

    runs: list[tuple[str, str, Path]] = []
    for item in built:
        assert item.key_notebook is not None
        runs.append((item.name, "key", item.key_notebook))
        runs.append((item.name, "student", files.student_notebook(item.name)))

    def grade(job: tuple[str, str, Path]) -> LocalGrade:
        name, kind, notebook = job
        nb = canonical_notebook(read_notebook(notebook), name)
        run = run_isolated(nb, name, files.autograder_zip(name), VERIFY_LIMITS)
        score = "no score" if run.timed_out else f"{run.total:g}/{run.possible:g}"
        print(f"  graded {name} {kind}: {score} in {run.seconds:.0f} s", flush=True)
        return run

    print(f"grading {len(runs)} notebooks (answer keys and student copies)…", flush=True)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(grade, runs))

    for (name, kind, _), run in zip(runs, results, strict=True):
        report = reports[name]
        questions = [q.name for q in load_autograder(files.autograder_zip(name)).graded]
        if kind == "key":
            report.key_seconds = run.seconds
            check_key(run, report)
        else:
            report.student_seconds = run.seconds
            check_student(run, report, questions)

    for item in built:
        report = reports[item.name]
        members = read_zip_members(files.autograder_zip(item.name))
        source = read_notebook(layout.source(item.name))
        secrets = solution_secrets(source, item.name) + hidden_module_secrets(
            layout.hidden_tests(item.name), item.name
        )
        leaks = find_leaks(secrets, student_files)
        if leaks:
            report.problems += [f"LEAK: {leak.describe(files_root)}" for leak in leaks]
        else:
            report.passed.append(
                f"no leaks: {len(secrets)} solution blocks and hidden tests, "
                f"{len(student_files)} files under notebooks/"
            )
        check_environment(members, course, report)
        check_student_notebook_shape(files.student_notebook(item.name), course, report)
    return [reports[b.name] for b in built]


def print_reports(reports: list[Report]) -> int:
    """Print each report; return 0 when every assignment passed, 1 otherwise."""
    failed = 0
    for report in reports:
        status = "FAILED" if report.problems else "ok"
        print(f"{report.name}: {status}")
        for line in report.passed:
            print(f"  ok    {line}")
        for line in report.problems:
            print(f"  FAIL  {line}")
        failed += bool(report.problems)
    if reports:
        print("grading seconds per submission (key / student copy):")
        for r in reports:
            key = f"{r.key_seconds:.0f}" if r.key_seconds is not None else "-"
            student = f"{r.student_seconds:.0f}" if r.student_seconds is not None else "-"
            print(f"  {r.name}: {key} / {student}")
    print(f"verify: {len(reports) - failed} passed, {failed} failed")
    return 1 if failed else 0


def verify_built(
    layout: CourseLayout, built: list[BuiltAssignment], course: CourseConfig, jobs: int = 0
) -> int:
    """Verify what `tools.build` just wrote into the checkout; return the exit code."""
    jobs = jobs or os.cpu_count() or 1
    return print_reports(verify_files(layout, built, layout.root, course, jobs))
