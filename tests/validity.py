"""Validity report for authors: does each assignment's grade measure what it should?

Usage: python -m tests.validity [pytest args]     (make validity; make test prints it too)

It runs the assignment tests and prints, per assignment: the mutants (plausible mistakes in
tests/assignments/) that lose points on their own question and on no other, the correct variants
that keep full marks, the guess checks (every wrong letter, an empty notebook) that earn nothing,
and the share of points carried by public checks (target 0 %). The numbers come from the same
test runs as `make test` (see tests/conftest.py), so the report never disagrees with the suite.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from tests.otter_support import AUTOGRADER

KINDS = (
    ("mutants", re.compile(r"mutant|cascade|upstream")),
    ("variants", re.compile(r"variant")),
    ("guesses", re.compile(r"guess")),
)
TEST_FILE = re.compile(r"tests/assignments/test_(\d\d_\w+)\.py::(\w+)")


def public_share(assignment: str) -> float:
    """Share of the auto-graded points carried by public test cases in the built autograder."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    public = total = 0.0
    for path in sorted((AUTOGRADER / assignment / "tests").glob("*.py")):
        test_file = create_test_file(str(path), NBMetadataConfig())
        total += float(test_file.possible)
        public += sum(float(c.points or 0) for c in test_file.test_cases if not c.hidden)
    return public / total if total else 0.0


@dataclass
class ValidityCollector:
    """Counts passed and run tests per assignment and kind, from pytest's reports."""

    counts: dict[str, dict[str, list[int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    failures: list[str] = field(default_factory=list)

    def record(self, nodeid: str, passed: bool) -> None:
        """Count one finished test if it is a mutant, variant or guess check."""
        match = TEST_FILE.search(nodeid)
        if not match:
            return
        assignment, function = match.groups()
        for kind, pattern in KINDS:
            if pattern.search(function):
                cell = self.counts[assignment][kind]
                cell[0] += passed
                cell[1] += 1
                if not passed:
                    self.failures.append(nodeid)
                return

    def lines(self) -> list[str]:
        """The report, one line per assignment."""
        if not self.counts:
            return []
        out = [
            f"{'assignment':24} {'mutants on own q':>17} {'variants full':>14} "
            f"{'guess checks':>13} {'public pts':>10}"
        ]
        for assignment in sorted(self.counts):
            c = self.counts[assignment]
            cells = [f"{c[k][0]:>7}/{c[k][1]:<7}" for k, _ in KINDS]
            out.append(
                f"{assignment:24} {cells[0]:>17} {cells[1]:>14} {cells[2]:>13} "
                f"{public_share(assignment):>9.0%}"
            )
        out += [f"    MISS {nodeid}" for nodeid in self.failures]
        return out


COLLECTOR = ValidityCollector()


def main(argv: list[str] | None = None) -> int:
    """Run the assignment tests (not the slow key runs) and print the report."""
    import pytest

    return int(pytest.main(["tests/assignments", "-m", "not slow", "-q", *(argv or [])]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
