"""Grading in this process (tests and sweeps): reports reach the grader whatever `sys.stdout` is.

pytest's live logging (the heartbeat's "still running" lines) suspends and resumes output capture
from another thread, which puts its own `sys.stdout` back in place of any `redirect_stdout`
active at that moment. `run_in_process` therefore hands the probe cells a `print` of their own.
"""

from __future__ import annotations

import io
import sys
from typing import Any

from vae_grading.evidence import Verdicts, as_float, goal
from vae_grading.scoring import run_in_process

checks = Verdicts()


def value_probe(ns: dict, inputs: dict) -> dict:
    """Call the notebook's `student` and report what it returns."""
    return {"value": ns["student"]()}


@checks.check(goal("value", "student() returns 1"))
def value_is_one(inputs: dict, out: dict) -> tuple[bool, str]:
    """The reported value is 1."""
    return as_float(out["value"], "student()") == 1.0, "student() should return 1"


QUESTION = checks.question("q1", lambda rng: {}, value_probe)


def test_a_report_survives_sys_stdout_swapped_while_the_probe_runs() -> None:
    stray = io.StringIO()

    def student() -> float:
        sys.stdout = stray  # what a capture resumed from another thread does
        return 1.0

    namespace: dict[str, Any] = {"student": student}
    scores = run_in_process([QUESTION], namespace, seed=0)
    assert scores["q1"].score == 1.0, scores["q1"].feedback()
    assert "q1" not in stray.getvalue()
    assert "print" not in namespace  # the cells' own print is taken out again


def test_a_notebook_print_is_put_back() -> None:
    def own_print(*args: Any, **kwargs: Any) -> None:
        """A student's own print."""

    namespace: dict[str, Any] = {"student": lambda: 1.0, "print": own_print}
    scores = run_in_process([QUESTION], namespace, seed=0)
    assert scores["q1"].score == 1.0, scores["q1"].feedback()
    assert namespace["print"] is own_print
