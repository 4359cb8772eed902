"""Validity report for authors: does each assignment's grade measure what it should?

Usage: python -m tests.validity [NN_name ...]     (make validity)

Per assignment it prints the mutants (plausible mistakes from tests/assignments/) caught on
their own question and on no other, the correct variants that keep full marks, the guesses
(every wrong letter, an empty notebook) that earn nothing, and the share of points carried by
public checks. The exit code is 1 when any of them misses its target (100 %, 100 %, 0, 0 %).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tests.otter_support import (
    AUTOGRADER,
    SOLUTIONS,
    hidden_questions,
    hidden_scores,
    key_namespace,
    with_answers,
)


@dataclass
class Validity:
    """The four measures of one assignment, with the names of what missed."""

    assignment: str
    mutants: int = 0
    mutants_own_question: int = 0
    variants: int = 0
    variants_full: int = 0
    guesses: int = 0
    guesses_zero: int = 0
    public_share: float = 0.0
    misses: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every target met."""
        return not self.misses and self.public_share == 0.0


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


def measure(assignment: str) -> Validity:
    """Grade every mutant, variant and guess of `assignment` through the trusted path."""
    module = importlib.import_module(f"tests.assignments.test_{assignment}")
    report = Validity(assignment, public_share=public_share(assignment))
    key = key_namespace(assignment)
    for name, (question, variable, value) in sorted(getattr(module, "MUTANTS", {}).items()):
        scores = hidden_scores(assignment, with_answers(assignment, {variable: value}))
        report.mutants += 1
        others = [q for q, s in scores.items() if q != question and s < 1.0]
        if scores.get(question, 1.0) < 1.0 and not others:
            report.mutants_own_question += 1
        else:
            where = f"also {others}" if others else "not caught"
            report.misses.append(f"mutant {name} ({question}): {where}")
    for name, (_, variable, value) in sorted(getattr(module, "VARIANTS", {}).items()):
        scores = hidden_scores(assignment, with_answers(assignment, {variable: value}))
        report.variants += 1
        lost = [q for q, s in scores.items() if s < 1.0]
        if lost:
            report.misses.append(f"variant {name} loses {lost}")
        else:
            report.variants_full += 1
    guesses: list[tuple[str, dict]] = [("empty notebook", {})]
    for question in hidden_questions(assignment):
        if question.answer is not None:
            variable = question.make_inputs(None)["variable"]
            guesses += [
                (f"{question.name} = {letter!r}", {variable: letter})
                for letter in "abcd"
                if letter != question.answer
            ]
    for label, namespace in guesses:
        report.guesses += 1
        earned = sum(hidden_scores(assignment, namespace).values())
        if earned:
            report.misses.append(f"guess {label} earns points")
        else:
            report.guesses_zero += 1
    del key
    return report


def main(argv: list[str] | None = None) -> int:
    """Print the report; 0 when every assignment meets every target."""
    parser = argparse.ArgumentParser(prog="python -m tests.validity", description=__doc__)
    parser.add_argument("assignments", nargs="*")
    args = parser.parse_args(argv)
    names = args.assignments or sorted(p.stem for p in Path(SOLUTIONS).glob("[0-9][0-9]_*.ipynb"))
    print(
        f"{'assignment':24} {'mutants on own q':>17} {'variants full':>14} "
        f"{'guesses at 0':>13} {'public pts':>10}"
    )
    failed = 0
    for name in names:
        r = measure(name)
        print(
            f"{name:24} {r.mutants_own_question:>7}/{r.mutants:<9} {r.variants_full:>6}/"
            f"{r.variants:<7} {r.guesses_zero:>6}/{r.guesses:<6} {r.public_share:>9.0%}",
            flush=True,
        )
        for miss in r.misses:
            print(f"    MISS {miss}")
        failed += not r.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
