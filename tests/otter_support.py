"""The assignment tests' toolkit: the answer key's namespace with answers swapped in (a mutant or
a variant), scored by the trusted hidden tests through the grader's own JSON path; and the built
public Otter checks, run in-process, which must fail on a blank notebook.
"""

from __future__ import annotations

import functools
import secrets
import types
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otter.test_files.exception_test import test_case

from tools.course.answer_keys import graded_code_namespace
from tools.course.layout import CourseLayout
from vae_grading.autograder import QuestionPoints, read_points

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
AUTOGRADER = REPO / "autograder"


@dataclass(frozen=True)
class CaseOutcome:
    """The result of one test case: its name, whether it is hidden, and the failure (or None)."""

    question: str
    name: str
    hidden: bool
    error: str | None

    @property
    def passed(self) -> bool:
        """True when the test case raised nothing."""
        return self.error is None


@functools.cache
def built_points(assignment: str) -> tuple[QuestionPoints, ...]:
    """The auto-graded questions built for `assignment` and their points (its autograder zip)."""
    return tuple(read_points(CourseLayout().autograder_zip(assignment)))


def question_names(assignment: str) -> list[str]:
    """Names of the auto-graded questions built for `assignment`."""
    return [q.name for q in built_points(assignment)]


def load_cases(assignment: str, question: str) -> list[test_case]:
    """The test cases (public and hidden) of one question, read from the built autograder."""
    path = AUTOGRADER / assignment / "tests" / f"{question}.py"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make build` first")
    scope: dict[str, Any] = {"__name__": f"otter_tests.{assignment}.{question}"}
    exec(compile(path.read_text(), str(path), "exec"), scope)
    return [value for value in scope.values() if isinstance(value, test_case)]


def run_question(assignment: str, question: str, namespace: Mapping[str, Any]) -> list[CaseOutcome]:
    """Call every test case of `question` the way Otter does, with arguments from `namespace`."""
    outcomes = []
    for case in load_cases(assignment, question):
        try:
            case.call_func(dict(namespace))
            error = None
        except Exception as exc:  # noqa: BLE001 - any exception is a failed case, as in Otter
            error = f"{type(exc).__name__}: {exc}"
        outcomes.append(CaseOutcome(question, case.test_func.__name__, case.hidden, error))
    return outcomes


def failures(outcomes: list[CaseOutcome]) -> list[CaseOutcome]:
    """The outcomes that failed."""
    return [o for o in outcomes if not o.passed]


@functools.cache
def key_namespace(assignment: str) -> types.MappingProxyType:
    """Execute the answer key's graded code (no ignored cells, no tests) and return its globals."""
    return graded_code_namespace(assignment)


def with_answers(assignment: str, replacements: Mapping[str, Any]) -> dict[str, Any]:
    """The answer key's namespace with some answers replaced (a mutant or a variant).

    As in a notebook, every key function looks its helpers up in this one namespace: the key's
    functions are rebound to it, so a key `negative_elbo` really calls a mutant `gaussian_kl`
    (a cached key function would otherwise keep calling the key's own helpers). Key classes keep
    their methods (rebinding would break `super()`).
    """
    key = key_namespace(assignment)
    namespace = dict(key)
    namespace.update(replacements)
    for name, value in list(namespace.items()):
        if name in replacements or not isinstance(value, types.FunctionType):
            continue
        if value.__globals__.get("__name__") != f"key_{assignment}":
            continue
        rebound = types.FunctionType(
            value.__code__, namespace, value.__name__, value.__defaults__, value.__closure__
        )
        rebound.__kwdefaults__ = value.__kwdefaults__
        rebound.__qualname__ = value.__qualname__
        rebound.__doc__ = value.__doc__
        namespace[name] = rebound
    return namespace


def check_expected_questions(assignment: str, auto_graded: set[str]) -> None:
    """The built autograder holds exactly the expected auto-graded questions."""
    assert set(question_names(assignment)) == auto_graded


def check_blank_fails_public(assignment: str, auto_graded: set[str]) -> None:
    """With no answers at all, the public checks of every question fail."""
    for question in sorted(auto_graded):
        public = [o for o in run_question(assignment, question, {}) if not o.hidden]
        assert public and failures(public), f"public checks of {question} pass with no answer"


# ---------------------------------------------------------------- trusted hidden tests

HIDDEN_TESTS = REPO / "hidden_tests"


@functools.cache
def hidden_questions(assignment: str) -> tuple:
    """The hidden-test Questions of `assignment` (hidden_tests/NN_name.py)."""
    from vae_grading.scoring import load_questions

    return tuple(load_questions(HIDDEN_TESTS / f"{assignment}.py"))


def hidden_scores(assignment: str, namespace: Mapping[str, Any], seed: int | None = None) -> dict:
    """Fraction of each question earned by `namespace`, through the grader's own JSON path."""
    from vae_grading.scoring import run_in_process

    results = run_in_process(hidden_questions(assignment), namespace, seed=seed)
    return {name: result.score / result.possible for name, result in results.items()}


def hidden_feedback(assignment: str, namespace: Mapping[str, Any], seed: int | None = None) -> dict:
    """The feedback message of each question for `namespace`."""
    from vae_grading.scoring import run_in_process

    results = run_in_process(hidden_questions(assignment), namespace, seed=seed)
    return {name: result.feedback() for name, result in results.items()}


def check_key_full_marks(assignment: str, seed: int | None = None) -> None:
    """The answer key earns every point of every hidden question."""
    scores = hidden_scores(assignment, key_namespace(assignment), seed)
    assert scores and all(s == 1.0 for s in scores.values()), hidden_feedback(
        assignment, key_namespace(assignment), seed
    )


def check_mutant_costs_one_question(
    assignment: str, question: str, replacements: Mapping[str, Any], mutant: str
) -> None:
    """A classic mistake loses points on `question` and on no other question."""
    namespace = with_answers(assignment, replacements)
    seed = secrets.randbits(32)  # reported with any failure, so it can be replayed
    scores = hidden_scores(assignment, namespace, seed=seed)
    assert scores[question] < 1.0, f"no hidden check of {question} catches {mutant} (seed {seed})"
    others = {name: s for name, s in scores.items() if name != question and s < 1.0}
    assert not others, (
        f"{mutant} is also charged on {others} (seed {seed}): one mistake must cost one question",
        hidden_feedback(assignment, namespace, seed=seed),
    )


def check_variant_full_marks(assignment: str, replacements: Mapping[str, Any]) -> None:
    """A correct alternative keeps every point of every question."""
    namespace = with_answers(assignment, replacements)
    seed = secrets.randbits(32)  # the feedback below comes from the same inputs as the scores
    scores = hidden_scores(assignment, namespace, seed=seed)
    lost = {name: s for name, s in scores.items() if s < 1.0}
    assert not lost, (seed, lost, hidden_feedback(assignment, namespace, seed=seed))


def check_guesses_score_zero(assignment: str) -> None:
    """Every wrong letter of a choice question, and an empty namespace, earn nothing."""
    assert not any(hidden_scores(assignment, {}).values()), "an empty notebook earns points"
    for question in hidden_questions(assignment):
        if question.answer is None:
            continue
        variable = question.make_inputs(None)["variable"]
        for letter in "abcd":
            if letter == question.answer:
                continue
            score = hidden_scores(assignment, {variable: letter})[question.name]
            assert score == 0.0, f"{question.name}: the guess {letter!r} earns points"
