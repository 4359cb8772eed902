"""The checks every assignment's hidden tests must pass, parametrized by the assignment's registry.

A test module registers its cases and subclasses `AssignmentChecks` once:

    class TestGrading(AssignmentChecks):
        CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS)

and gets, for that assignment: the hidden tests cover exactly the auto-graded questions, the key
earns full marks, every mutant costs its own question only (a cascade, several answers replaced
at once, its upstream question only), every variant keeps full marks, guesses and a blank
notebook earn nothing, the public checks fail without answers, every stub (identity, constant,
zeros, noise, NaN) of every graded function scores 0 on its question, and (slow) the key runs top
to bottom. Each mutant, cascade, variant and stub is one test marked `thorough` (make test-fast
leaves them out) and `validity(kind)`, by which the validity report (tests/validity.py) counts it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from tests.otter_support import (
    STUB_KINDS,
    check_blank_fails_public,
    check_expected_questions,
    check_guesses_score_zero,
    check_key_full_marks,
    check_mutant_costs_one_question,
    check_stub_scores_zero,
    check_variant_full_marks,
    hidden_questions,
)
from tests.validity import SCORE_PROPERTY

#: One replaced answer: (the question it belongs to, the notebook variable, the value put there).
Case = tuple[str, str, Any]
#: Several replaced answers at once, charged to one (upstream) question: (question, replacements).
Cascade = tuple[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Cases:
    """One assignment's registry: what its hidden tests must catch and what they must accept."""

    assignment: str
    auto_graded: frozenset[str] | set[str]
    mutants: Mapping[str, Case]  # plausible mistakes: each costs its own question only
    variants: Mapping[str, Case]  # correct answers written differently: full marks
    cascades: Mapping[str, Cascade] = field(default_factory=dict)  # upstream mistake + others
    key_seeds: tuple[int | None, ...] = (0, 1, 2)  # None: a fresh secret seed, as in grading
    no_stubs: frozenset[str] = frozenset()  # graded functions not stubbed (say why where set)
    #: the result's structure for stubs of functions with side effects (see make_stub)
    stub_shapes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """A registry without mutants or variants would test nothing; names must be unique."""
        if not self.mutants or not self.variants or not self.key_seeds:
            raise ValueError(f"{self.assignment}: register mutants, variants and key seeds")
        if set(self.mutants) & set(self.cascades):
            raise ValueError(f"{self.assignment}: a cascade is named like a mutant")

    def mistakes(self) -> dict[str, Cascade]:
        """Every mutant and cascade as (the question it must cost, the answers it replaces)."""
        single = {
            name: (q, {variable: value}) for name, (q, variable, value) in self.mutants.items()
        }
        return {**single, **self.cascades}

    def stubs(self) -> dict[str, tuple[frozenset[str], str, str]]:
        """One stub of each kind per graded function: name → (its questions, variable, kind).

        The graded functions are the mutated variables whose key answer is a plain function
        (classes and letters have no stub of these kinds); `no_stubs` lists exceptions.
        """
        import types

        from tests.otter_support import key_namespace

        key = key_namespace(self.assignment)
        questions: dict[str, set[str]] = {}
        for question, variable, _ in self.mutants.values():
            if isinstance(key.get(variable), types.FunctionType):
                questions.setdefault(variable, set()).add(question)
        return {
            f"{variable}-{kind}": (frozenset(qs), variable, kind)
            for variable, qs in sorted(questions.items())
            if variable not in self.no_stubs
            for kind in STUB_KINDS
        }


def _cases(kind: str, names: Any) -> list[Any]:
    """One pytest parameter per registered case, marked thorough and by its validity kind."""
    marks = (pytest.mark.thorough, pytest.mark.validity(kind))
    return [pytest.param(name, marks=marks) for name in sorted(names)]


class AssignmentChecks:
    """The shared checks; a subclass named Test… sets CASES (see the module docstring)."""

    CASES: ClassVar[Cases]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Parametrize the checks that take a case name with the subclass's registry."""
        cases = self.CASES
        if "mutant" in metafunc.fixturenames:
            metafunc.parametrize("mutant", _cases("mutants", cases.mistakes()))
        if "variant" in metafunc.fixturenames:
            metafunc.parametrize("variant", _cases("variants", cases.variants))
        if "stub" in metafunc.fixturenames:
            metafunc.parametrize("stub", _cases("stubs", cases.stubs()))
        if "key_seed" in metafunc.fixturenames:
            metafunc.parametrize(
                "key_seed", cases.key_seeds, ids=lambda s: "fresh-seed" if s is None else str(s)
            )

    def test_hidden_tests_cover_the_auto_graded_questions(self) -> None:
        """The built autograder and the hidden tests hold exactly the auto-graded questions."""
        check_expected_questions(self.CASES.assignment, set(self.CASES.auto_graded))
        names = [q.name for q in hidden_questions(self.CASES.assignment)]
        assert len(names) == len(set(names)), f"duplicate hidden questions: {sorted(names)}"
        assert set(names) == set(self.CASES.auto_graded)

    def test_key_earns_full_marks(self, key_seed: int | None) -> None:
        check_key_full_marks(self.CASES.assignment, key_seed)

    def test_mutant_costs_only_its_question(self, mutant: str, record_property: Any) -> None:
        question, replacements = self.CASES.mistakes()[mutant]
        kept, goal_failed = check_mutant_costs_one_question(
            self.CASES.assignment, question, replacements, mutant
        )
        record_property(SCORE_PROPERTY, (question, kept, goal_failed))

    def test_correct_variant_keeps_full_marks(self, variant: str) -> None:
        _, name, value = self.CASES.variants[variant]
        check_variant_full_marks(self.CASES.assignment, {name: value})

    def test_stub_scores_nothing(self, stub: str, record_property: Any) -> None:
        questions, variable, kind = self.CASES.stubs()[stub]
        shape = self.CASES.stub_shapes.get(variable)
        earned = check_stub_scores_zero(
            self.CASES.assignment, set(questions), variable, kind, shape
        )
        for question, score in earned.items():
            record_property(SCORE_PROPERTY, (question, score, True))

    @pytest.mark.validity("guesses")
    def test_guesses_and_blank_earn_nothing(self) -> None:
        check_guesses_score_zero(self.CASES.assignment)

    def test_missing_answers_fail_public_checks(self) -> None:
        check_blank_fails_public(self.CASES.assignment, set(self.CASES.auto_graded))
