"""Suite-wide hooks: the validity report (tests/validity.py) printed at the end of a run."""

from __future__ import annotations

from typing import Any

from tests.validity import COLLECTOR


def pytest_runtest_logreport(report: Any) -> None:
    """Count mutant, variant and guess checks as they finish."""
    if report.when == "call" or (report.when == "setup" and report.failed):
        COLLECTOR.record(report.nodeid, report.passed)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the validity report when assignment tests ran."""
    lines = COLLECTOR.lines()
    if lines:
        terminalreporter.section("validity report (tests/validity.py)")
        for line in lines:
            terminalreporter.write_line(line)
