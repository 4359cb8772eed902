"""Suite-wide hooks: the validity report (tests/validity.py) printed at the end of a run."""

from __future__ import annotations

from typing import Any

from tests.validity import COLLECTOR

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


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Carry each validity-marked test's (assignment, kind) to its reports, for the collector."""
    from tests.validity import PROPERTY, classify

    for item in items:
        found = classify(item)
        if found is not None:
            item.user_properties.append((PROPERTY, found))
