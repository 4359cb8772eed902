"""Suite-wide hooks: the validity report (tests/validity.py) printed at the end of a run, and
the one group of tests that pytest-xdist must keep on a single worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.validity import COLLECTOR

#: Test files that start graders and jails, share the session's built course, or look for the
#: processes and files a grading left behind. `make test` runs the suite on two xdist workers
#: (--dist loadgroup): these files run one after another on one worker, so that no grading of
#: theirs counts another's processes as leftovers and the course is built once.
GRADER_FILES = frozenset(
    {
        "test_attacks.py",
        "test_autograder_zip.py",
        "test_build.py",
        "test_feedback.py",
        "test_grade.py",
        "test_reference_attacks.py",
        "test_release.py",
        "test_report.py",
        "test_units.py",
        "test_verify.py",
    }
)
GRADER_GROUP = "graders"

pytest_plugins = ["tests.heartbeat"]  # "still running …" every 30 s during a long test


def pytest_runtest_logreport(report: Any) -> None:
    """Count mutant, variant and guess checks as they finish."""
    if report.when == "call" or (report.when == "setup" and report.failed):
        COLLECTOR.record(report.nodeid, report.passed, report.user_properties)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the validity report when assignment tests ran."""
    lines = COLLECTOR.lines()
    if lines:
        terminalreporter.section("validity report (tests/validity.py)")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_configure(config: Any) -> None:
    """Register the marker by which the validity report counts a test."""
    config.addinivalue_line(
        "markers", "validity(kind): a mutant, variant or guess check, counted in the report"
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's worker reads the xdist_group marks
def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Group the grader files for xdist; carry each validity-marked test's kind to its reports."""
    from tests.validity import PROPERTY, classify

    graders = [item for item in items if Path(str(item.fspath)).name in GRADER_FILES]
    for item in graders:
        item.add_marker(pytest.mark.xdist_group(GRADER_GROUP))
    # The group is the longest unit of work: first in the queue, one worker starts on it at once
    # while the other takes everything else (xdist hands out work in collection order).
    grouped = set(graders)
    items[:] = graders + [item for item in items if item not in grouped]
    for item in items:
        found = classify(item)
        if found is not None:
            item.user_properties.append((PROPERTY, found))
