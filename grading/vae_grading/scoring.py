"""One grading of one assignment: fresh inputs and probe cells in, verdicts and scores out."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import linecache
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vae_grading.evidence import (
    GOAL_FAILED_CAP,
    Check,
    CheckResult,
    Checks,
    MalformedOutput,
    Question,
    questions_by_name,
    share_earned,
)
from vae_grading.probes import KERNEL_RUNTIME, Report, find_reports, probe_cell

MAX_MESSAGE_CHARS = 300


class HiddenTestsError(RuntimeError):
    """A hidden-tests module is missing or does not define QUESTIONS properly."""


def load_questions(path: Path) -> list[Question]:
    """The QUESTIONS of a hidden-tests module, loaded from its file (never from the kernel)."""
    if not path.is_file():
        raise HiddenTestsError(f"hidden tests {path} not found")
    text = path.read_text(encoding="utf-8")
    # Probe sources are read with inspect later, maybe after the file is gone (the otter plugin
    # deletes it before the kernel starts): pin the text in linecache, never invalidated.
    linecache.cache[str(path)] = (len(text), None, text.splitlines(keepends=True), str(path))
    name = f"_vae_hidden_tests_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise HiddenTestsError(f"cannot load hidden tests from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    questions = getattr(module, "QUESTIONS", None)
    if not isinstance(questions, list) or not all(isinstance(q, Question) for q in questions):
        raise HiddenTestsError(f"{path} must define QUESTIONS, a list of vae_grading Question")
    try:
        questions_by_name(questions)
    except ValueError as exc:
        raise HiddenTestsError(f"{path}: {exc}") from None
    return questions


@dataclass(frozen=True)
class ProbePlan:
    """The inputs drawn for one grading, the nonce that marks its reports, and the cells to run."""

    nonce: str
    inputs: dict[str, Any]
    cells: list[str]


def plan_probes(questions: Sequence[Question], seed: int | None = None) -> ProbePlan:
    """Draw fresh inputs for every question (a new secret seed unless one is given)."""
    questions_by_name(questions)  # two questions of one name would overwrite each other's inputs
    seed = secrets.randbits(63) if seed is None else seed
    nonce = f"@vae-grading-{secrets.token_hex(12)}"
    inputs, cells = {}, [KERNEL_RUNTIME]
    for index, question in enumerate(questions):
        rng = np.random.default_rng([seed, index])
        inputs[question.name] = question.make_inputs(rng)
        cells.append(
            probe_cell(
                question.name, nonce, question.probe, inputs[question.name], question.prelude
            )
        )
    return ProbePlan(nonce, inputs, cells)


@dataclass
class QuestionScore:
    """A question's verdict: points earned of possible, each check, and why it earned nothing."""

    name: str
    score: float
    possible: float
    checks: list[CheckResult] = field(default_factory=list)
    error: str | None = None
    specs: tuple[Check, ...] = ()  # the declared checks (weights, roles); empty: equal parts

    def weights(self) -> dict[str, float]:
        """Each check's share of the question's points (equal shares when no specs are known)."""
        declared = {c.name: float(c.weight or 0.0) for c in self.specs}
        raw = {c.name: declared.get(c.name, 1.0) for c in self.checks}
        total = sum(raw.values())
        return {name: w / total for name, w in raw.items()} if total > 0 else {}

    def goal_failed(self) -> bool:
        """Whether a goal check of this question failed (then guards count nothing)."""
        passed = {c.name for c in self.checks if c.passed}
        return any(c.role == "goal" and c.name not in passed for c in self.specs)

    def uncounted(self) -> set[str]:
        """Checks that passed but earn nothing: the guards of a question whose goal failed."""
        if self.error or not self.goal_failed():
            return set()
        return {
            c.name
            for c in self.specs
            if c.role == "guard" and any(r.name == c.name and r.passed for r in self.checks)
        }

    def feedback(self) -> str:
        """One short message: what failed, or that the hidden checks passed."""
        if self.error:
            return self.error[:MAX_MESSAGE_CHARS]
        failed = [c for c in self.checks if not c.passed]
        if not failed:
            return "all hidden checks passed"
        text = "; ".join(c.message for c in failed)
        if self.goal_failed() and self.score > 0:
            text += f" (the main check failed: this question keeps at most {GOAL_FAILED_CAP:.0%})"
        return text[:MAX_MESSAGE_CHARS]


def _probe_error(error: str) -> str:
    """What to tell the student when the probe itself failed."""
    missing = re.fullmatch(r"KeyError: '(\w+)'", error)
    if missing:
        return f"{missing.group(1)} is not defined: run the cell that defines it"
    if error.startswith("the "):
        return error
    return f"calling your code raised {error}"


def judge(question: Question, inputs: Any, report: Report | None, possible: float) -> QuestionScore:
    """Apply one question's verdict to what its probe reported (in the trusted process)."""
    checks = Checks(question.check_names)
    if report is None:
        stopped = "no result: the notebook stopped before this question could be checked"
        return QuestionScore(
            question.name, 0.0, possible, checks.ordered(), stopped, question.specs
        )
    if report.outputs is None:
        error = _probe_error(report.error or "")
        return QuestionScore(question.name, 0.0, possible, checks.ordered(), error, question.specs)
    try:
        question.verdict(inputs, report.outputs, checks)
    except MalformedOutput as exc:
        checks.fail_rest(str(exc))
    except (KeyError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
        checks.fail_rest(f"the outputs had an unexpected form ({type(exc).__name__})")
    ordered = checks.ordered()
    passed = {c.name for c in ordered if c.passed}
    score = possible * share_earned(question.specs, passed) if ordered else 0.0
    return QuestionScore(question.name, score, possible, ordered, None, question.specs)


def score_reports(
    questions: Sequence[Question],
    plan: ProbePlan,
    reports: Mapping[str, Report],
    points: Mapping[str, float],
) -> dict[str, QuestionScore]:
    """Every question's verdict, for the points each is worth."""
    return {
        q.name: judge(q, plan.inputs[q.name], reports.get(q.name), float(points.get(q.name, 1.0)))
        for q in questions
    }


def run_in_process(
    questions: Sequence[Question],
    namespace: Mapping[str, Any],
    *,
    seed: int | None = None,
    points: Mapping[str, float] | None = None,
) -> dict[str, QuestionScore]:
    """Probe a namespace here, through the same JSON path as a kernel (for tests and reports)."""
    plan = plan_probes(questions, seed)
    # A plain dict is used as it is, like a kernel's globals: the namespace's own functions then
    # see what a probe swaps into it. Other mappings are copied.
    scope = namespace if isinstance(namespace, dict) else dict(namespace)
    buffer = io.StringIO()

    def to_buffer(*values: object, sep: str | None = " ", end: str | None = "\n", **_: Any) -> None:
        """The cells' `print`: into the buffer, even if something swaps `sys.stdout` meanwhile
        (pytest's live logging does, from another thread, while it writes a line)."""
        print(*values, sep=sep, end=end, file=buffer)

    had_print, own_print = "print" in scope, scope.get("print")
    scope["print"] = to_buffer
    try:
        with contextlib.redirect_stdout(buffer):
            for cell in plan.cells:
                exec(compile(cell, "<probe>", "exec"), scope)
    finally:
        if had_print:
            scope["print"] = own_print
        else:
            scope.pop("print", None)
    reports = find_reports([buffer.getvalue()], plan.nonce)
    return score_reports(questions, plan, reports, points or {})
