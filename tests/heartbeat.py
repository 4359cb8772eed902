"""A pytest plugin: a line every 30 s while tests run long, so `make test` never looks stuck.

Notebook runs and gradings take minutes each, and pytest prints nothing until a test ends. A
daemon thread logs "still running <tests> (N s)" through pytest's live logging (which suspends
output capture while it writes), at a level of its own so that no other log record is shown.
With pytest-xdist the controller sees every worker's tests start and end, so one line names all
the tests running at once.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

PROGRESS = 60  # above CRITICAL: only these records reach the terminal (log_cli_level = 60)
INTERVAL_S = 30.0
logging.addLevelName(PROGRESS, "PROGRESS")
_LOGGER = logging.getLogger("tests.heartbeat")


class Heartbeat:
    """Remembers the running tests; a daemon thread reports them every `interval` seconds."""

    def __init__(self, interval: float = INTERVAL_S) -> None:
        self.interval = interval
        self.running: dict[str, float] = {}  # node id -> when it started
        self.last_line = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="heartbeat", daemon=True)

    def start(self) -> None:
        """Start the daemon thread."""
        self._thread.start()

    def stop(self) -> None:
        """Let the thread end."""
        self._stop.set()

    def test_started(self, nodeid: str, now: float) -> None:
        """A test starts: the next line is due one interval from now."""
        self.running[nodeid] = now
        self.last_line = now

    def test_finished(self, nodeid: str) -> None:
        """A test ended: it is no longer reported."""
        self.running.pop(nodeid, None)

    def message(self, now: float) -> str | None:
        """The line due now, or None (no test running, or the last line is recent)."""
        if not self.running or now - self.last_line < self.interval:
            return None
        self.last_line = now
        tests = ", ".join(
            f"{nodeid} ({now - started:.0f} s)" for nodeid, started in self.running.items()
        )
        return f"still running {tests}"

    def _beat(self) -> None:
        while not self._stop.wait(1.0):
            line = self.message(time.monotonic())
            if line:
                _LOGGER.log(PROGRESS, line)


_HEARTBEAT = Heartbeat()


def pytest_sessionstart(session: Any) -> None:
    """Start the heartbeat thread."""
    _HEARTBEAT.start()


def pytest_sessionfinish(session: Any) -> None:
    """Stop it."""
    _HEARTBEAT.stop()


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    """A test starts: the heartbeat now reports it."""
    _HEARTBEAT.test_started(nodeid, time.monotonic())


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    """It ended: it is no longer reported."""
    _HEARTBEAT.test_finished(nodeid)
