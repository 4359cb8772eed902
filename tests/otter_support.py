"""The assignment tests' toolkit: the answer key's namespace with answers swapped in (a mutant or
a variant), scored by the trusted hidden tests through the grader's own JSON path; and the built
public Otter checks, run in-process, which must fail on a blank notebook.
"""

from __future__ import annotations

import functools
import re
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


#: What reference code looks like in a message: a library or attribute access (torch., np., F.,
#: nn., self., model.), a method call (.sum(...)) or an assignment from a call (z = f(...)).
#: Messages name the symptom and the likely cause in words and formulas (sigma^2 = exp(logvar)),
#: never the code that fixes it; naming the student's own call that raised is fine.
REFERENCE_CODE = re.compile(
    r"\b(?:torch|np|numpy|F|nn|self|model)\.\w"
    r"|\.\w+\("
    r"|(?:^|[;:]\s)\s*\w+\s*=\s*[\w.]+\("
)


#: A message that reports an exception of the student's own code ("decode(z) raised ...").
RAISED = re.compile(r"\braised \w*(?:Error|Exception|Interrupt|Exit)\b")


def reference_code(message: str) -> list[str]:
    """The fragments of `message` that look like reference code (empty when it has none); the
    report of an exception the student's code raised quotes that code's own error, and passes."""
    if RAISED.search(message):
        return []
    return [m.group(0) for m in REFERENCE_CODE.finditer(message)]


def check_messages_teach(results: Mapping[str, Any], case: str) -> None:
    """No verdict message of `results` (QuestionScores) hands out reference code."""
    found = {
        f"{name} {check.name}": (check.message, reference_code(check.message))
        for name, result in results.items()
        for check in result.checks
        if check.message and reference_code(check.message)
    }
    assert not found, f"{case}: messages with reference code: {found}"


def check_key_full_marks(assignment: str, seed: int | None = None) -> None:
    """The answer key earns every point of every hidden question."""
    scores = hidden_scores(assignment, key_namespace(assignment), seed)
    assert scores and all(s == 1.0 for s in scores.values()), hidden_feedback(
        assignment, key_namespace(assignment), seed
    )


def check_mutant_costs_one_question(
    assignment: str, question: str, replacements: Mapping[str, Any], mutant: str
) -> tuple[float, bool]:
    """A classic mistake loses points on `question` and on no other question, and no message
    hands out reference code; returns the share of `question` it keeps and whether it failed a
    goal check there."""
    from vae_grading.scoring import run_in_process

    namespace = with_answers(assignment, replacements)
    seed = secrets.randbits(32)  # reported with any failure, so it can be replayed
    results = run_in_process(hidden_questions(assignment), namespace, seed=seed)
    check_messages_teach(results, f"{mutant} (seed {seed})")
    scores = {name: r.score / r.possible for name, r in results.items()}
    assert scores[question] < 1.0, f"no hidden check of {question} catches {mutant} (seed {seed})"
    others = {name: s for name, s in scores.items() if name != question and s < 1.0}
    assert not others, (
        f"{mutant} is also charged on {others} (seed {seed}): one mistake must cost one question",
        hidden_feedback(assignment, namespace, seed=seed),
    )
    return scores[question], results[question].goal_failed()


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


# ---------------------------------------------------------------- stubs

#: The trivial stand-ins a student writes to get past a cell; each must score 0 on its question.
STUB_KINDS = ("identity", "constant", "zeros", "noise", "nan")


def _filled(value: Any, kind: str) -> Any:
    """`value` (a key function's result) with every tensor or number replaced as `kind` says."""
    import torch

    if isinstance(value, torch.Tensor):
        if kind == "constant":
            return torch.tensor(1.0)
        if not value.is_floating_point():
            return torch.zeros_like(value)
        fill = {"zeros": 0.0, "nan": float("nan")}
        if kind == "noise":
            return torch.randn_like(value)
        return torch.full_like(value, fill[kind])
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        numbers = {"constant": 1.0, "zeros": 0.0, "nan": float("nan")}
        return numbers.get(kind, float(torch.randn(()).item()))
    if isinstance(value, (list, tuple)):
        return type(value)(_filled(v, kind) for v in value)
    if isinstance(value, dict):
        return {k: _filled(v, kind) for k, v in value.items()}
    return value


def make_stub(kind: str, key_function: Any, shape: Any = None) -> Any:
    """A stub of `kind` for a graded function: its first argument back (identity), or the key's
    result (computed on copies of the arguments) with its numbers made constant, zero, noise or
    NaN, so the stub has the right structure and shapes but none of the content. `shape(*args)`,
    when given, stands for the key's result (for functions with side effects, such as training
    loops, whose key would do the work on shared objects)."""
    import copy

    if kind not in STUB_KINDS:
        raise ValueError(f"unknown stub kind {kind!r}")

    def stub(*args: Any, **kwargs: Any) -> Any:
        if kind == "identity":
            return args[0] if args else next(iter(kwargs.values()), None)
        if shape is not None:
            return _filled(shape(*args, **kwargs), kind)
        result = key_function(*copy.deepcopy(args), **copy.deepcopy(kwargs))
        return _filled(result, kind)

    stub.__name__ = f"{getattr(key_function, '__name__', 'answer')}_{kind}_stub"
    return stub


def stub_scores(
    assignment: str, questions: set[str], replacements: Mapping[str, Any], seed: int | None = None
) -> dict[str, Any]:
    """The QuestionScores of `questions` alone with `replacements` swapped into the key."""
    from vae_grading.scoring import run_in_process

    graded = [q for q in hidden_questions(assignment) if q.name in questions]
    return run_in_process(graded, with_answers(assignment, replacements), seed=seed)


def check_stub_scores_zero(
    assignment: str, questions: set[str], variable: str, kind: str, shape: Any = None
) -> dict[str, float]:
    """A stub of `kind` in place of `variable` earns nothing on the questions that grade it."""
    stub = make_stub(kind, key_namespace(assignment)[variable], shape)
    seed = secrets.randbits(32)
    results = stub_scores(assignment, questions, {variable: stub}, seed=seed)
    check_messages_teach(results, f"the {kind} stub of {variable} (seed {seed})")
    earned = {name: r.score / r.possible for name, r in results.items()}
    paid = {name: s for name, s in earned.items() if s > 0}
    assert not paid, (
        f"the {kind} stub of {variable} earns {paid} (seed {seed})",
        {name: [c.name for c in r.checks if c.passed] for name, r in results.items()},
    )
    return earned
