"""The heartbeat plugin says which test is still running, once per interval."""

from __future__ import annotations

from tests.heartbeat import Heartbeat


def test_heartbeat_reports_a_long_test_once_per_interval() -> None:
    beat = Heartbeat(interval=30)
    assert beat.message(100.0) is None  # no test yet
    beat.test_started("tests/x.py::test_long", 100.0)
    assert beat.message(129.0) is None
    assert beat.message(130.0) == "still running tests/x.py::test_long (30 s)"
    assert beat.message(140.0) is None
    assert beat.message(161.0) == "still running tests/x.py::test_long (61 s)"
    beat.current = None
    assert beat.message(400.0) is None
