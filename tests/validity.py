"""Validity report for authors: does each assignment's grade measure what it should?

Usage: python -m tests.validity [pytest args]     (make validity; make test prints it too)

It runs the assignment tests and prints, per assignment: the mutants (plausible mistakes in
tests/assignments/) that lose points on their own question and on no other, the correct variants
that keep full marks, the guess checks (every wrong letter, an empty notebook) that earn nothing,
the stubs (identity, constant, zeros, noise, NaN of each graded function) that earn nothing, and
the share of points carried by public checks (target 0 %); then, per question, the most a caught
mutant kept, the most a mutant failing a goal kept (at most 25 %) and the most a stub kept (0).
The numbers come from the same test runs as `make test` (see tests/conftest.py), so the report
never disagrees with the suite.
A test counts by its marker, `@pytest.mark.validity(kind)`, which the assignment harness
(tests/assignments/harness.py) puts on every registered case; test names play no part.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.otter_support import built_points

KINDS = ("mutants", "variants", "guesses", "stubs")
#: The marker that classifies a test for the report: @pytest.mark.validity("mutants").
MARKER = "validity"
#: The user property that carries (assignment, kind) from the collected item to its reports.
PROPERTY = "validity"
#: The user property by which a mutant or stub test reports (question, share of it kept, whether
#: a goal check of the question failed).
SCORE_PROPERTY = "validity_score"


def public_share(assignment: str) -> float:
    """Share of the auto-graded points carried by public test cases in the built autograder."""
    points = built_points(assignment)
    total = sum(q.possible for q in points)
    return sum(q.public for q in points) / total if total else 0.0


@dataclass
class ValidityCollector:
    """Counts passed and run tests per assignment and kind, from pytest's reports."""

    counts: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    failures: list[str] = field(default_factory=list)
    #: per (assignment, kind, question): the highest share of the question a case kept
    kept: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def record(self, nodeid: str, passed: bool, properties: list[tuple[str, Any]]) -> None:
        """Count one finished test that its validity property marks as a mutant, variant, guess."""
        found = dict(properties).get(PROPERTY)
        if found is None:
            return
        assignment, kind = found
        for name, value in properties:
            if name == SCORE_PROPERTY:
                question, share, goal_failed = value
                kinds = [kind, f"{kind}-goal"] if goal_failed else [kind]
                for key in ((assignment, k, question) for k in kinds):
                    self.kept[key] = max(self.kept.get(key, 0.0), float(share))
        cell = self.counts[assignment][kind]
        cell[0] += passed
        cell[1] += 1
        if not passed:
            self.failures.append(nodeid)

    def lines(self) -> list[str]:
        """The report, one line per assignment."""
        if not self.counts:
            return []
        out = [
            f"{'assignment':24} {'mutants on own q':>17} {'variants full':>14} "
            f"{'guess checks':>13} {'stubs at 0':>13} {'public pts':>10}"
        ]
        for assignment in sorted(self.counts):
            c = self.counts[assignment]
            cells = [f"{c[k][0]:>7}/{c[k][1]:<7}" for k in KINDS]
            out.append(
                f"{assignment:24} {cells[0]:>17} {cells[1]:>14} {cells[2]:>13} {cells[3]:>13} "
                f"{public_share(assignment):>9.0%}"
            )
        out += self.kept_lines()
        out += [f"    MISS {nodeid}" for nodeid in self.failures]
        return out

    def kept_lines(self) -> list[str]:
        """Per question: the most any caught mutant kept, the most any goal-failing mutant kept
        (at most 25 %), and the most any stub kept (0)."""
        questions = sorted({(a, q) for a, _, q in self.kept}, key=lambda aq: (aq[0], _order(aq[1])))
        if not questions:
            return []
        out = [
            "",
            f"{'assignment':24} {'question':>8} {'caught mutant kept':>19} "
            f"{'goal-failing kept':>18} {'best stub':>10}",
        ]
        for assignment, question in questions:
            values = [
                self.kept.get((assignment, kind, question))
                for kind in ("mutants", "mutants-goal", "stubs")
            ]
            cells = ["-" if v is None else f"{v:.0%}" for v in values]
            out.append(
                f"{assignment:24} {question:>8} {cells[0]:>19} {cells[1]:>18} {cells[2]:>10}"
            )
        return out


def _order(question: str) -> tuple[int, str]:
    """q2 before q10; q8b after q8."""
    digits = "".join(ch for ch in question if ch.isdigit())
    return int(digits or 0), question


COLLECTOR = ValidityCollector()


def classify(item: Any) -> tuple[str, str] | None:
    """(assignment, kind) of a collected test marked validity(kind); None for any other test."""
    marker = item.get_closest_marker(MARKER)
    if marker is None:
        return None
    cases = getattr(getattr(item, "cls", None), "CASES", None)
    if cases is None:
        raise ValueError(f"{item.nodeid}: a validity marker outside an assignment harness class")
    kind = marker.args[0] if marker.args else None
    if kind not in KINDS:
        raise ValueError(f"{item.nodeid}: validity kind {kind!r} is not one of {KINDS}")
    return cases.assignment, kind


def main(argv: list[str] | None = None) -> int:
    """Run the assignment tests (not the slow key runs) and print the report."""
    import pytest

    return int(pytest.main(["tests/assignments", "-m", "not slow", "-q", *(argv or [])]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
