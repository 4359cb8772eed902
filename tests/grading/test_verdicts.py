"""Verdicts and scores from hostile outputs: checks, strict readers, questions and scoring.

The verdict runs in the trusted process on decoded outputs. A wrong type, a NaN, a bool where a
number belongs or a probe part that raised must cost the check it concerns, never more, never
crash the grading, and never earn points.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from vae_grading.evidence import (
    GOAL_FAILED_CAP,
    Checks,
    Inputs,
    MalformedOutput,
    Outputs,
    Question,
    as_array,
    as_float,
    choice_question,
    close,
    goal,
    guard,
    number_question,
    part,
    questions_by_name,
    share_earned,
)
from vae_grading.probes import Report
from vae_grading.scoring import judge, plan_probes, run_in_process, score_reports

# ------------------------------------------------------------------ Checks


def test_only_declared_checks_can_be_recorded() -> None:
    checks = Checks(("shape", "values"))
    with pytest.raises(KeyError, match="not declared"):
        checks.add("bonus", True)


def test_the_first_verdict_on_a_check_stands() -> None:
    """A later pass cannot overwrite a failure, nor a later failure a pass."""
    checks = Checks(("shape", "values"))
    assert checks.add("shape", False, "wrong shape") is False
    checks.add("shape", True)
    checks.add("values", True)
    checks.add("values", False, "late failure")
    checks.fail_rest("stopped")
    results = {r.name: r for r in checks.ordered()}
    assert not results["shape"].passed and results["shape"].message == "wrong shape"
    assert results["values"].passed and results["values"].message == ""


def test_unrecorded_checks_fail_in_declaration_order() -> None:
    checks = Checks(("a", "b", "c"))
    checks.add("b", True)
    ordered = checks.ordered()
    assert [r.name for r in ordered] == ["a", "b", "c"]
    assert [r.passed for r in ordered] == [False, True, False]
    assert all(r.message for r in ordered if not r.passed)


def test_truthy_values_are_recorded_as_bools() -> None:
    checks = Checks(("a", "b"))
    checks.add("a", np.bool_(True))
    checks.add("b", 0)
    assert [type(r.passed) for r in checks.ordered()] == [bool, bool]
    assert [r.passed for r in checks.ordered()] == [True, False]


@pytest.mark.parametrize(
    "error",
    [
        MalformedOutput("the codes must be a tensor"),
        KeyError("mu"),
        TypeError("unsupported operand"),
        IndexError("list index out of range"),
        ValueError("could not broadcast"),
        ZeroDivisionError("division by zero"),
        OverflowError("int too large"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_judge_turns_a_bad_output_into_this_checks_failure(error: Exception) -> None:
    checks = Checks(("first", "second"))

    def decide() -> tuple[bool, str]:
        raise error

    assert checks.judge("first", decide) is False
    checks.judge("second", lambda: (True, ""))
    first, second = checks.ordered()
    assert not first.passed and first.message
    assert second.passed
    if isinstance(error, MalformedOutput):
        assert first.message == str(error)


# ------------------------------------------------------------------ strict readers


def test_as_float_takes_numbers_and_one_element_arrays_only() -> None:
    assert as_float(3, "x") == 3.0 and type(as_float(3, "x")) is float
    assert as_float(2.5, "x") == 2.5
    assert as_float(np.array([[4.0]]), "x") == 4.0
    for value in (True, False, "3", None, [3], {"v": 3}, np.array([1.0, 2.0]), np.array([True])):
        with pytest.raises(MalformedOutput, match="x must be a number"):
            as_float(value, "x")


def test_as_float_passes_nan_and_inf_through_for_the_verdict() -> None:
    assert math.isnan(as_float(float("nan"), "x"))
    assert as_float(float("-inf"), "x") == -math.inf


def test_as_array_checks_the_type_and_exact_shape() -> None:
    got = as_array(np.ones((2, 3)), "codes", (2, 3))
    assert got.dtype == np.float64 and got.shape == (2, 3)
    assert as_array(np.array([True, False]), "mask").tolist() == [1.0, 0.0]
    with pytest.raises(MalformedOutput, match=r"codes must have shape \(3, 2\)"):
        as_array(np.ones((2, 3)), "codes", (3, 2))
    for value in (1.0, [1.0, 2.0], None, "tensor", {"data": [1]}):
        with pytest.raises(MalformedOutput, match="codes must be a tensor"):
            as_array(value, "codes")


@pytest.mark.parametrize("reader", [as_float, as_array])
def test_a_probe_part_that_raised_fails_with_its_error(reader: Any) -> None:
    with pytest.raises(MalformedOutput, match="encode raised RuntimeError: boom"):
        reader({"error": "RuntimeError: boom"}, "encode")
    long = "E" * 5000
    with pytest.raises(MalformedOutput) as raised:
        reader({"error": long}, "encode")
    assert len(str(raised.value)) < 300
    with pytest.raises(MalformedOutput, match="must be a"):  # an error that is not a string
        reader({"error": 3}, "encode")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_close_never_matches_nan_inf_or_another_shape() -> None:
    assert close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), atol=1e-6)
    assert not close(np.array([1.0, 2.0]), np.array([1.0, 2.1]), atol=1e-6)
    assert close(100.0, 101.0, atol=0.0, rtol=0.02)
    assert not close(float("nan"), float("nan"), atol=1.0)
    assert not close(np.array([np.nan, 1.0]), np.array([0.0, 1.0]), atol=np.inf)
    assert not close(float("inf"), float("inf"), atol=1.0)
    assert not close(np.ones(3), np.ones((3, 1)), atol=1.0)
    assert not close(np.ones(3), np.ones(4), atol=1.0)
    assert close(np.ones((0, 2)), np.ones((0, 2)), atol=0.0)


# ------------------------------------------------------------------ common questions


def _single(question: Question, outputs: Outputs) -> bool:
    """Whether every check of `question` passes on `outputs`."""
    score = judge(question, {}, Report(outputs, None), 1.0)
    return score.score == 1.0


def test_choice_question_accepts_only_the_answer_as_a_plain_string() -> None:
    question = choice_question("q1", "answer_q1", "b", "because")
    for value in ("b", " B ", "(b)", "b "):
        assert _single(question, {"defined": True, "value": value}), value
    for value in ("a", "", "bb", None, 1, True, ["b"], {"b": 1}, np.array([1.0])):
        assert not _single(question, {"defined": True, "value": value}), value
    assert not _single(question, {})


def test_choice_question_rejects_an_answer_not_among_its_letters() -> None:
    with pytest.raises(ValueError, match="not one of"):
        choice_question("q1", "answer_q1", "e", "because")


@pytest.mark.parametrize(
    ("value", "passes"),
    [
        (0.5, True),
        (0.5004, True),
        (np.array([0.5]), True),
        (0.6, False),
        (True, False),  # a bool is not the number 1
        (False, False),
        ("0.5", False),
        (None, False),
        (float("nan"), False),
        (float("inf"), False),
        (np.array([0.5, 0.5]), False),
        ({"error": "ValueError: no"}, False),
        (10**400, False),  # too large for a float
    ],
    ids=repr,
)
def test_number_question(value: Any, passes: bool) -> None:
    question = number_question("q2", "rate", 0.5, 1e-3, "half of it")
    assert _single(question, {"defined": True, "value": value}) is passes


def test_number_question_bool_vs_int() -> None:
    """True is not 1 even where 1 is the answer."""
    question = number_question("q2", "count", 1.0, 0.0, "one")
    assert _single(question, {"value": 1})
    assert not _single(question, {"value": True})


def test_duplicate_question_names_are_an_authoring_error() -> None:
    first = choice_question("q1", "a1", "a", "x")
    second = number_question("q1", "v", 1.0, 0.1, "x")
    assert list(questions_by_name([first])) == ["q1"]
    with pytest.raises(ValueError, match="q1"):
        questions_by_name([first, second])


# ------------------------------------------------------------------ scoring


def _two_checks(inputs: Inputs, out: Outputs, checks: Checks) -> None:
    """Check "shape" and "values" of out["codes"] independently."""
    codes = out["codes"]
    checks.judge("shape", lambda: (as_array(codes, "codes").shape == (2,), "wrong shape"))
    checks.judge("values", lambda: (close(as_array(codes, "codes"), [1.0, 2.0], atol=0), "bad"))


def _unused_probe(ns: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    return {}


QUESTION = Question("q3", ("shape", "values"), lambda rng: {}, _unused_probe, _two_checks)


def test_partial_credit_is_per_check() -> None:
    full = judge(QUESTION, {}, Report({"codes": np.array([1.0, 2.0])}, None), 4.0)
    half = judge(QUESTION, {}, Report({"codes": np.array([1.0, 3.0])}, None), 4.0)
    none = judge(QUESTION, {}, Report({"codes": "not a tensor"}, None), 4.0)
    assert (full.score, half.score, none.score) == (4.0, 2.0, 0.0)
    assert full.feedback() == "all hidden checks passed"
    assert half.feedback() == "bad"
    assert "codes must be a tensor" in none.feedback()


@pytest.mark.parametrize(
    ("report", "hint"),
    [
        (None, "stopped"),
        (Report(None, "KeyError: 'encode'"), "encode is not defined"),
        (Report(None, "RuntimeError: boom"), "RuntimeError: boom"),
        (Report(None, None), ""),
        (Report({}, None), ""),  # no outputs at all: the verdict's KeyError
        (Report({"codes": None}, None), ""),
    ],
)
def test_missing_or_failed_reports_score_zero_with_a_message(
    report: Report | None, hint: str
) -> None:
    score = judge(QUESTION, {}, report, 2.0)
    assert score.score == 0.0 and score.possible == 2.0
    assert [c.name for c in score.checks] == ["shape", "values"]
    feedback = score.feedback()
    assert feedback and hint in feedback and len(feedback) <= 300


def test_a_verdict_that_trips_over_the_outputs_fails_every_remaining_check() -> None:
    def verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
        checks.add("shape", True)
        checks.add("values", out["codes"] + 1 > 0)  # "codes" is a string: TypeError

    question = Question("q4", ("shape", "values"), lambda rng: {}, _unused_probe, verdict)
    score = judge(question, {}, Report({"codes": "x"}, None), 2.0)
    assert score.score == 1.0
    assert "unexpected form" in score.feedback()


def test_score_reports_ignores_unknown_and_forged_questions() -> None:
    plan = plan_probes([QUESTION], seed=1)
    reports = {
        "q3": Report({"codes": np.array([1.0, 2.0])}, None),
        "q999": Report({"codes": np.array([1.0, 2.0])}, None),
        "": Report({}, None),
    }
    scores = score_reports([QUESTION], plan, reports, {"q3": 3, "q999": 100})
    assert set(scores) == {"q3"} and scores["q3"].score == 3.0
    assert score_reports([QUESTION], plan, {}, {})["q3"].score == 0.0


def test_each_plan_has_a_fresh_nonce_and_seeded_inputs() -> None:
    def inputs(rng: np.random.Generator) -> dict[str, Any]:
        return {"x": rng.normal(size=3)}

    question = Question("q5", ("a",), inputs, _unused_probe, _two_checks)
    first, second = plan_probes([question], seed=7), plan_probes([question], seed=7)
    assert first.nonce != second.nonce and len(first.nonce) >= 24
    assert np.array_equal(first.inputs["q5"]["x"], second.inputs["q5"]["x"])
    unseeded = [plan_probes([question]).inputs["q5"]["x"] for _ in range(2)]
    assert not np.array_equal(*unseeded)  # a fresh secret seed each time


# ------------------------------------------------------------------ a lying namespace, end to end


class _AlwaysEqualStr(str):
    """A string that claims to equal anything and to be "b" once stripped."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__

    def strip(self, chars: str | None = None) -> str:
        return "b"

    def lower(self) -> str:
        return "b"


class _SneakyFloat(float):
    """A float that claims to equal anything and converts to 0.5."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__

    def __float__(self) -> float:
        return 0.5


class _LyingTensor(torch.Tensor):
    """A tensor subclass (defined outside torch) that could lie in comparisons."""


def test_lying_subclasses_are_reported_by_their_true_value() -> None:
    """The kernel runtime encodes subclasses by their real content; lies change nothing."""
    questions = [
        choice_question("q1", "answer_q1", "b", "x"),
        number_question("q2", "rate", 0.5, 1e-3, "x"),
    ]
    namespace: dict[str, Any] = {"answer_q1": _AlwaysEqualStr("a"), "rate": _SneakyFloat(0.9)}
    scores = run_in_process(questions, namespace, seed=0)
    assert scores["q1"].score == 0.0 and scores["q2"].score == 0.0
    honest = run_in_process(questions, {"answer_q1": "b", "rate": 0.5}, seed=0)
    assert honest["q1"].score == 1.0 and honest["q2"].score == 1.0


def test_foreign_tensor_subclasses_and_objects_are_unsupported() -> None:
    question = number_question("q2", "rate", 0.5, 1e-3, "x")
    lying = torch.tensor([0.5]).as_subclass(_LyingTensor)
    for value in (lying, object(), {0.5}, b"0.5"):
        score = run_in_process([question], {"rate": value}, seed=0)["q2"]
        assert score.score == 0.0 and score.feedback(), type(value)
    plain = run_in_process([question], {"rate": torch.tensor([0.5])}, seed=0)["q2"]
    assert plain.score == 1.0


def _call_rate(ns: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """Probe: call the notebook's rate() (runs in the kernel)."""
    return {"value": ns["rate"]()}


def _rate_is_half(inputs: Inputs, out: Outputs, checks: Checks) -> None:
    checks.judge("value", lambda: (close(as_float(out["value"], "rate()"), 0.5, atol=1e-3), "no"))


def test_printed_forgeries_without_the_nonce_earn_nothing() -> None:
    """Student code that prints fake report lines while the probe runs gains no points."""

    def rate() -> float:
        fake = '{"ok": true, "outputs": {"value": 0.5}}'
        print(f"@vae-grading-guess q6 {fake}")
        print(f"q6 {fake}")
        print(f" q6 {fake}")
        return 0.9

    question = Question("q6", ("value",), lambda rng: {}, _call_rate, _rate_is_half)
    assert run_in_process([question], {"rate": rate}, seed=0)["q6"].score == 0.0
    assert run_in_process([question], {"rate": lambda: 0.5}, seed=0)["q6"].score == 1.0


def test_outputs_nested_too_deeply_fail_cleanly() -> None:
    value: Any = 0.5
    for _ in range(50):
        value = [value]
    question = number_question("q2", "rate", 0.5, 1e-3, "x")
    score = run_in_process([question], {"rate": value}, seed=0)["q2"]
    assert score.score == 0.0 and "deep" in score.feedback()


def test_first_passing_needs_one_run_and_reports_the_first_failure() -> None:
    from vae_grading.evidence import first_passing

    def decide(run: str) -> tuple[bool, str]:
        if run == "broken":
            raise MalformedOutput("the report could not be read")
        return run == "good", f"{run} failed"

    assert first_passing(("bad", "good"), decide) == (True, "")
    assert first_passing(("bad", "worse"), decide) == (False, "bad failed")
    assert first_passing(("broken", "bad"), decide) == (False, "the report could not be read")


# ------------------------------------------------------------------ weights and the goal rule


def _question(*checks: Any) -> Question:
    return Question("qx", checks, lambda rng: {}, lambda ns, i: {}, lambda i, o, c: None)


def test_plain_names_are_parts_of_weight_one() -> None:
    specs = _question("shape", "values").specs
    assert [(c.name, c.role, c.weight) for c in specs] == [
        ("shape", "part", 1.0),
        ("values", "part", 1.0),
    ]
    assert share_earned(specs, {"values"}) == 0.5


def test_an_unweighted_goal_weighs_as_much_as_everything_else() -> None:
    specs = _question(goal("values", "v"), part("grad", "g"), guard("shape", "s")).specs
    assert {c.name: c.weight for c in specs} == {"values": 2.0, "grad": 1.0, "shape": 1.0}
    assert share_earned(specs, {"values", "grad", "shape"}) == 1.0
    assert share_earned(specs, {"values", "shape"}) == 0.75


def test_a_failed_goal_keeps_at_most_a_quarter_and_no_guard() -> None:
    specs = _question(
        goal("values", "v"), part("grad", "g"), part("fresh", "f"), guard("shape", "s")
    ).specs
    assert share_earned(specs, {"grad", "fresh", "shape"}) == GOAL_FAILED_CAP
    assert share_earned(specs, {"shape"}) == 0.0  # a stub passes only guards: nothing
    assert share_earned(specs, {"grad"}) == pytest.approx(1 / 6)


def test_duplicate_checks_and_zero_weights_are_refused() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        _question("values", goal("values", "v"))
    with pytest.raises(ValueError, match="positive weight"):
        _question(part("values", "v", weight=0.0))


def test_judge_applies_the_goal_rule() -> None:
    def verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
        checks.add("values", False, "wrong values")
        checks.add("shape", True)

    question = Question(
        "qx", (goal("values", "v"), guard("shape", "s")), lambda rng: {}, lambda n, i: {}, verdict
    )
    score = judge(question, {}, Report({"x": 1}, None), 4.0)
    assert score.score == 0.0


def test_duplicate_question_names_are_refused_when_loading_and_planning(tmp_path: Any) -> None:
    from vae_grading.scoring import HiddenTestsError, load_questions, plan_probes

    twice = [choice_question("q1", "a", "b", "x"), choice_question("q1", "b", "c", "y")]
    with pytest.raises(ValueError, match="two hidden-test entries for q1"):
        plan_probes(twice, seed=0)
    path = tmp_path / "hidden.py"
    path.write_text(
        "from vae_grading.evidence import choice_question\n"
        "QUESTIONS = [choice_question('q1', 'a', 'b', 'x'), choice_question('q1', 'b', 'c', 'y')]\n"
    )
    with pytest.raises(HiddenTestsError, match="two hidden-test entries for q1"):
        load_questions(path)


def test_raised_and_reported_read_a_probe_part() -> None:
    from vae_grading.evidence import raised, reported

    assert raised({"error": "ValueError: bad" + "!" * 300}) == ("ValueError: bad" + "!" * 300)[:200]
    assert raised({"error": 3}) is None and raised([1]) is None and raised(None) is None
    assert reported({"mu": 1}, "encode") == {"mu": 1}
    with pytest.raises(MalformedOutput, match="encode raised ValueError: bad"):
        reported({"error": "ValueError: bad"}, "encode")
    with pytest.raises(MalformedOutput, match="encode reported no outputs"):
        reported(None, "encode")


def test_verdicts_declare_each_check_once_beside_its_decision() -> None:
    from vae_grading.evidence import Verdicts
    from vae_grading.probes import Report
    from vae_grading.scoring import judge

    verdicts = Verdicts()

    @verdicts.check(goal("value", "the value"))
    def value(inputs: Inputs, out: Outputs) -> tuple[bool, str]:
        return as_float(out["value"], "the value") == inputs["want"], "the value is off"

    @verdicts.check(guard("shape", "a number"))
    def shape(inputs: Inputs, out: Outputs) -> tuple[bool, str]:
        return isinstance(out["value"], float), "not a number"

    question = verdicts.question("q1", lambda rng: {"want": 2.0}, lambda ns, i: {})
    assert question.check_names == ("value", "shape")
    assert judge(question, {"want": 2.0}, Report({"value": 2.0}, None), 4.0).score == 4.0
    wrong = judge(question, {"want": 2.0}, Report({"value": 3.0}, None), 4.0)
    assert wrong.score == 0.0 and wrong.feedback() == "the value is off"
    broken = judge(question, {"want": 2.0}, Report({"value": "x"}, None), 4.0)
    assert broken.score == 0.0 and "must be a number" in broken.feedback()


def test_holds_decides_as_judge_records() -> None:
    from vae_grading.evidence import holds

    def malformed() -> tuple[bool, str]:
        raise MalformedOutput("missing")

    def ill_typed() -> tuple[bool, str]:
        return {}["x"]

    assert holds(lambda: (True, "")) and not holds(lambda: (False, "no"))
    assert not holds(malformed) and not holds(ill_typed)
    checks = Checks(("a", "b"))
    assert checks.judge("a", malformed) is holds(malformed)
    assert checks.judge("b", lambda: (True, "")) is holds(lambda: (True, ""))
