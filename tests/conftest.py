"""Suite-wide hooks: the validity report (tests/validity.py) printed at the end of a run."""

from __future__ import annotations

from typing import Any

from tests.validity import COLLECTOR

pytest_plugins = ["tests.heartbeat"]  # "still running …" every 30 s during a long test


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


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """Mark every mutant and variant check `thorough` (make test-fast leaves them out)."""
    import pytest

    from tests.validity import KINDS

    thorough = pytest.mark.thorough
    for item in items:
        name = getattr(item, "originalname", item.name)
        if "tests/assignments/" in item.nodeid and any(
            pattern.search(name) for kind, pattern in KINDS if kind != "guesses"
        ):
            item.add_marker(thorough)
