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
    beat.test_finished("tests/x.py::test_long")
    assert beat.message(400.0) is None


def test_heartbeat_names_every_test_running_at_once() -> None:
    """Under pytest-xdist two workers run tests side by side; one line names both."""
    beat = Heartbeat(interval=30)
    beat.test_started("tests/a.py::test_a", 0.0)
    beat.test_started("tests/b.py::test_b", 10.0)
    assert beat.message(40.0) == (
        "still running tests/a.py::test_a (40 s), tests/b.py::test_b (30 s)"
    )
    beat.test_finished("tests/a.py::test_a")
    assert beat.message(70.0) == "still running tests/b.py::test_b (60 s)"
