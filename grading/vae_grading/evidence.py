"""What a hidden test is here: fresh inputs, a probe for the kernel, a verdict for the grader."""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

Inputs = dict[str, Any]
Outputs = dict[str, Any]
Probe = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
#: A kernel-side helper shared by several probes (a stand-in model, a common probing step).
PreludePiece = Callable[..., Any]
#: The name under which the kernel hands a prelude piece to a probe: PRELUDE_PREFIX + its name.
PRELUDE_PREFIX = "_vae_grading_prelude_"


class MalformedOutput(ValueError):
    """The kernel's report does not have the shape or types the verdict expects."""


@dataclass(frozen=True)
class CheckResult:
    """One named check of a question's verdict: passed or not, and what to tell the student."""

    name: str
    passed: bool
    message: str = ""


@dataclass
class Checks:
    """The checks a verdict records; every declared check not recorded counts as failed."""

    declared: tuple[str, ...]
    results: dict[str, CheckResult] = field(default_factory=dict)

    def add(self, name: str, passed: bool, failure: str = "") -> bool:
        """Record check `name` (one of the declared ones); return whether it passed."""
        if name not in self.declared:
            raise KeyError(f"check {name!r} is not declared (declared: {self.declared})")
        if name not in self.results:  # the first verdict on a check stands
            self.results[name] = CheckResult(name, bool(passed), "" if passed else failure)
        return bool(passed)

    def judge(self, name: str, decide: Callable[[], tuple[bool, str]]) -> bool:
        """Record check `name` from `decide() -> (passed, failure message)`.

        A MalformedOutput raised while deciding (a missing output, a wrong shape or type, an
        exception the probe caught for this part) fails this check alone, with its message.
        """
        return self.add(name, *decided(decide))

    def fail_rest(self, message: str) -> None:
        """Mark every check not yet recorded as failed with `message`."""
        for name in self.declared:
            self.add(name, False, message)

    def ordered(self) -> list[CheckResult]:
        """The results in declaration order, unrecorded checks failed."""
        return [
            self.results.get(name, CheckResult(name, False, "this check did not run"))
            for name in self.declared
        ]


def decided(decide: Callable[[], tuple[bool, str]]) -> tuple[bool, str]:
    """`decide()`, with a malformed output (MalformedOutput, or an exception of reading a
    missing or ill-typed output) turned into a failure with its message."""
    try:
        passed, failure = decide()
    except MalformedOutput as exc:
        return False, str(exc)
    except (KeyError, TypeError, IndexError, ValueError, ArithmeticError) as exc:
        return False, f"the outputs had an unexpected form ({type(exc).__name__})"
    return bool(passed), failure


def holds(decide: Callable[[], tuple[bool, str]]) -> bool:
    """Whether `decide` passes as `Checks.judge` would record it: for a check whose message
    depends on whether another check holds."""
    return decided(decide)[0]


Verdict = Callable[[Inputs, Outputs, Checks], None]

#: goal: the property the exercise exists for; part: another substantive clause of the prompt;
#: guard: a clause a stub can satisfy (a shape, fresh samples, inputs left untouched).
Role = Literal["goal", "part", "guard"]
#: What a question keeps at most while any of its goal checks fails.
GOAL_FAILED_CAP = 0.25


@dataclass(frozen=True)
class Check:
    """One declared check: its name, its role, the prompt clause it enforces, and its weight.

    A goal's weight left as None is set so that the goals together weigh as much as all the
    other checks (at least 1), which gives the goals half of the question or more.
    """

    name: str
    role: Role = "part"
    clause: str = ""
    weight: float | None = 1.0


def goal(name: str, clause: str, weight: float | None = None) -> Check:
    """A check of the question's goal: while any goal fails, the question keeps at most 25 %."""
    return Check(name, "goal", clause, weight)


def part(name: str, clause: str, weight: float = 1.0) -> Check:
    """A check of another substantive clause of the prompt (counts whether or not goals hold)."""
    return Check(name, "part", clause, weight)


def guard(name: str, clause: str, weight: float = 1.0) -> Check:
    """A check a stub can pass (shape, freshness, inputs untouched): counts once the goals hold."""
    return Check(name, "guard", clause, weight)


def _resolved(checks: Sequence[str | Check], question: str) -> tuple[Check, ...]:
    """Plain names become parts; goals without a weight share the weight of everything else."""
    specs = [c if isinstance(c, Check) else Check(c) for c in checks]
    names = [c.name for c in specs]
    if len(names) != len(set(names)):
        raise ValueError(f"{question}: a check is declared twice in {names}")
    others = sum(float(c.weight or 0.0) for c in specs if c.role != "goal")
    open_goals = [c for c in specs if c.role == "goal" and c.weight is None]
    share = max(others, 1.0) / len(open_goals) if open_goals else 0.0
    resolved = tuple(
        Check(c.name, c.role, c.clause, share if c.weight is None else float(c.weight))
        for c in specs
    )
    if any(c.weight is None or c.weight <= 0 for c in resolved):
        raise ValueError(f"{question}: every check needs a positive weight")
    return resolved


def share_earned(specs: Sequence[Check], passed: set[str]) -> float:
    """The share of a question earned by the checks in `passed` (weights and goal rule applied).

    Without goals it is the passed share of the weights. With goals: all goals pass → the passed
    share; any goal fails → guards count nothing and the rest at most GOAL_FAILED_CAP.
    """
    total = sum(float(c.weight or 0.0) for c in specs)
    if total <= 0:
        return 0.0
    goals = [c for c in specs if c.role == "goal"]
    if all(c.name in passed for c in goals):
        return sum(float(c.weight or 0.0) for c in specs if c.name in passed) / total
    kept = sum(float(c.weight or 0.0) for c in specs if c.name in passed and c.role != "guard")
    return min(kept / total, GOAL_FAILED_CAP)


@dataclass(frozen=True)
class Question:
    """The hidden evidence of one auto-graded question.

    `make_inputs(rng)` runs in the grader and draws fresh inputs (numbers, strings, numpy arrays);
    `probe(ns, inputs)` runs in the student's kernel, where `ns` is the notebook's namespace and
    the arrays arrive as torch tensors, and returns plain outputs (tensors allowed); `verdict`
    runs in the grader on the decoded outputs and records each of `checks`. A probe must be
    self-contained: its imports inside the function, no names from the module around it.

    `prelude` names the kernel-side helpers the probe needs beyond the notebook (a stand-in
    model several probes share, a probing step two questions repeat): module-level functions,
    self-contained like a probe, whose source is shipped in this question's probe cell and
    defined in the kernel only after every student cell has run. The probe takes each one from
    `ns[PRELUDE_PREFIX + name]` on its first lines (before it calls any student code), as it
    takes `ns["_vae_grading_attempt"]`; see `vae_grading.probes` for why a student's code cannot
    swap one for its own.
    """

    name: str
    checks: tuple[str | Check, ...]
    make_inputs: Callable[[np.random.Generator], Inputs]
    probe: Probe
    verdict: Verdict
    answer: str | None = None  # the right letter, for multiple-choice questions only
    prelude: tuple[PreludePiece, ...] = ()

    def __post_init__(self) -> None:
        """Checks become Check specs (a plain name is a part of weight 1); names must be unique;
        prelude pieces must be named functions with distinct names."""
        object.__setattr__(self, "checks", _resolved(self.checks, self.name))
        object.__setattr__(self, "prelude", tuple(self.prelude))
        names = [getattr(piece, "__name__", "") for piece in self.prelude]
        if not all(
            inspect.isfunction(p) and n.isidentifier()
            for p, n in zip(self.prelude, names, strict=True)
        ):
            raise ValueError(f"{self.name}: every prelude piece must be a named function")
        if len(names) != len(set(names)):
            raise ValueError(f"{self.name}: a prelude piece is named twice in {names}")

    @property
    def specs(self) -> tuple[Check, ...]:
        """The declared checks as resolved Check specs, in declaration order."""
        return tuple(c for c in self.checks if isinstance(c, Check))

    @property
    def check_names(self) -> tuple[str, ...]:
        """The names of the declared checks, in declaration order."""
        return tuple(c.name for c in self.specs)


class Verdicts:
    """Checks declared where they are decided, so each name is written once.

        verdicts = Verdicts()

        @verdicts.check(goal("values", "the KL summed over the latent dimensions"))
        def values(inputs, out):
            return close(...), "message naming the symptom and its likely cause"

        QUESTIONS = [verdicts.question("q2", kl_inputs, kl_probe), ...]

    Checks are judged in declaration order, each as `Checks.judge` does (a malformed output fails
    that check alone).
    """

    def __init__(self) -> None:
        """No checks yet."""
        self.specs: list[Check] = []
        self.deciders: list[tuple[str, Callable[[Inputs, Outputs], tuple[bool, str]]]] = []

    def check(
        self, spec: Check
    ) -> Callable[
        [Callable[[Inputs, Outputs], tuple[bool, str]]],
        Callable[[Inputs, Outputs], tuple[bool, str]],
    ]:
        """Register the decorated `decide(inputs, out) -> (passed, message)` as check `spec`."""

        def register(
            decide: Callable[[Inputs, Outputs], tuple[bool, str]],
        ) -> Callable[[Inputs, Outputs], tuple[bool, str]]:
            self.specs.append(spec)
            self.deciders.append((spec.name, decide))
            return decide

        return register

    def verdict(self, inputs: Inputs, out: Outputs, checks: Checks) -> None:
        """Judge every registered check in order."""
        for name, decide in self.deciders:
            checks.judge(name, lambda decide=decide: decide(inputs, out))  # type: ignore[misc]

    def question(
        self,
        name: str,
        make_inputs: Callable[[np.random.Generator], Inputs],
        probe: Probe,
        prelude: Sequence[PreludePiece] = (),
    ) -> Question:
        """The Question whose checks are the registered ones, judged by `verdict`; `prelude` as
        for Question."""
        return Question(
            name, tuple(self.specs), make_inputs, probe, self.verdict, prelude=tuple(prelude)
        )


# ------------------------------------------------------------------ strict reading of outputs


def as_array(value: Any, what: str, shape: Sequence[int] | None = None) -> np.ndarray:
    """A decoded array output as float64, optionally of an exact shape; else MalformedOutput."""
    _raise_if_error(value, what)
    if not isinstance(value, np.ndarray):
        raise MalformedOutput(f"{what} must be a tensor, got {_kind(value)}")
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise MalformedOutput(f"{what} must have shape {tuple(shape)}, got {tuple(value.shape)}")
    return value.astype(np.float64)


def as_float(value: Any, what: str) -> float:
    """A decoded real number (a Python number or a one-element tensor); else MalformedOutput."""
    _raise_if_error(value, what)
    if type(value) in (int, float):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype != np.bool_:
        return float(value.reshape(()))
    raise MalformedOutput(f"{what} must be a number, got {_kind(value)}")


def raised(value: Any) -> str | None:
    """The error of a probe part that raised (the kernel's `attempt` reports {"error": "..."}),
    cut to 200 characters; None when the part returned normally."""
    if isinstance(value, dict) and type(value.get("error")) is str:
        return str(value["error"])[:200]
    return None


def reported(value: Any, what: str) -> Any:
    """A probe part's outputs as reported; MalformedOutput (this check fails, with "`what`
    raised ...") if the part raised or reported nothing."""
    _raise_if_error(value, what)
    if value is None:
        raise MalformedOutput(f"{what} reported no outputs")
    return value


def _raise_if_error(value: Any, what: str) -> None:
    """A probe part that raised reports {"error": "..."}: turn it into this check's failure."""
    error = raised(value)
    if error is not None:
        raise MalformedOutput(f"{what} raised {error}")


def _kind(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"a tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def close(got: ArrayLike, expected: ArrayLike, *, atol: float, rtol: float = 0.0) -> bool:
    """Same shape and every element within atol + rtol·|expected| (NaN never matches)."""
    got_a, expected_a = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got_a.shape != expected_a.shape:
        return False
    return bool(np.all(np.abs(got_a - expected_a) <= atol + rtol * np.abs(expected_a)))


# ------------------------------------------------------------------ common question kinds


def first_passing(
    runs: Sequence[str], decide: Callable[[str], tuple[bool, str]]
) -> tuple[bool, str]:
    """Pass when `decide` passes for any of `runs` (e.g. as written, and with stand-ins swapped
    in); otherwise fail with the first run's message. Malformed output fails that run only."""
    messages = []
    for run in runs:
        try:
            passed, message = decide(run)
        except MalformedOutput as exc:
            passed, message = False, str(exc)
        if passed:
            return True, ""
        messages.append(message)
    return False, messages[0]


def _probe_variable(ns: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Report the value of one notebook variable (runs in the kernel)."""
    name = inputs["variable"]
    value = ns.get(name)
    return {"defined": name in ns, "value": None if value is Ellipsis else value}


def choice_question(
    name: str, variable: str, answer: str, explanation: str, letters: str = "abcd"
) -> Question:
    """A multiple-choice question: the variable must hold `answer`; any other letter scores 0."""
    if answer not in letters:
        raise ValueError(f"{name}: answer {answer!r} is not one of {letters!r}")

    def verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
        value = out.get("value")
        if type(value) is not str:
            checks.add("answer", False, f"{variable} must be a string such as {letters[0]!r}")
            return
        letter = value.strip().lower().strip("()").strip()
        checks.add("answer", letter == answer, f"{letter!r} is not the answer: {explanation}")

    return Question(
        name, ("answer",), lambda rng: {"variable": variable}, _probe_variable, verdict, answer
    )


def number_question(
    name: str, variable: str, expected: float, atol: float, explanation: str
) -> Question:
    """A numeric question: the variable must be a number within `atol` of `expected`."""

    def verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
        value = out.get("value")
        try:
            number = as_float(value, variable)
        except MalformedOutput as exc:
            checks.add("value", False, str(exc))
            return
        ok = math.isfinite(number) and abs(number - expected) <= atol
        checks.add("value", ok, f"{variable} = {number:.4g} is not right: {explanation}")

    return Question(name, ("value",), lambda rng: {"variable": variable}, _probe_variable, verdict)


def unenforced_clauses(clauses: Sequence[str], question: Question) -> list[str]:
    """The prompt clauses of `question` that no check enforces, and the check clauses not in the
    list (as "check name: clause"); empty when the table and the checks agree."""
    enforced = {c.clause for c in question.specs}
    missing = [clause for clause in clauses if clause not in enforced]
    unlisted = [f"{c.name}: {c.clause!r}" for c in question.specs if c.clause not in clauses]
    return missing + unlisted


def questions_by_name(questions: Sequence[Question]) -> Mapping[str, Question]:
    """The questions keyed by name; duplicate names are an authoring error."""
    by_name: dict[str, Question] = {}
    for question in questions:
        if question.name in by_name:
            raise ValueError(f"two hidden-test entries for {question.name}")
        by_name[question.name] = question
    return by_name
