"""Nothing the probes ship into a student's kernel holds a reference answer.

Every probe cell that `plan_probes` generates, for every assignment, is scanned: no import of the
grading package (`vae_grading.references` stays in the grader), no library call that computes a
graded quantity (binary cross-entropy, a KL, a log-likelihood). The functions a probe swaps into
the notebook's namespace for a downstream question are caught the way a student's function could
catch them (by looking at its globals while the probe runs) and graded as answers themselves, on
every question that calls a function of the same name or shape: each must earn no more than a
stub that returns 0.0, so taking them earns nothing.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from tests.otter_support import HIDDEN_TESTS, hidden_questions, key_namespace, with_answers
from vae_grading.evidence import Question
from vae_grading.scoring import plan_probes, run_in_process

ASSIGNMENTS = sorted(path.stem for path in HIDDEN_TESTS.glob("[0-9][0-9]_*.py"))

# Library routes to a graded quantity: none may appear in a probe (the verdicts compute them).
REFERENCE_CALLS = re.compile(
    r"binary_cross_entropy|kl_divergence|\bBernoulli\b|\blog_prob\b|logaddexp|softplus|"
    r"logsigmoid|\bclamp\(kpd|torch\.clamp\(\s*kl"
)
IMPORTS_GRADER = re.compile(r"^\s*(from|import)\s+vae_grading\b", re.MULTILINE)


def _probe_tree(question: Question) -> ast.FunctionDef:
    tree = ast.parse(textwrap.dedent(inspect.getsource(question.probe)))
    node = tree.body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def _writes_namespace(question: Question) -> bool:
    """Whether the probe, or a prelude piece it uses, puts anything into the notebook's namespace
    (ns[...] = / ns.update)."""
    pieces = [ast.parse(textwrap.dedent(inspect.getsource(p))) for p in question.prelude]
    for node in (n for tree in (_probe_tree(question), *pieces) for n in ast.walk(tree)):
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if isinstance(element, ast.Subscript):
                        return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "update"
        ):
            return True
    return False


def _names_read(question: Question) -> set[str]:
    """The notebook names the probe reads with ns["name"] or ns.get("name")."""
    names = set()
    for node in ast.walk(_probe_tree(question)):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Name)
            and node.value.id == "ns"
            and isinstance(node.slice, ast.Constant)
            and isinstance(node.slice.value, str)
        ):
            names.add(node.slice.value)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "ns"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(str(node.args[0].value))
    return {name for name in names if not name.startswith("_vae_grading")}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_probe_cells_import_no_grader_code_and_compute_no_graded_quantity(assignment: str) -> None:
    plan = plan_probes(hidden_questions(assignment), seed=0)
    assert len(plan.cells) > 1
    for cell in plan.cells:
        assert not IMPORTS_GRADER.search(cell), cell[:300]
        assert "references" not in cell, cell[:300]
        found = REFERENCE_CALLS.search(cell)
        assert found is None, (assignment, found and found.group(0), cell[:300])


def test_the_scan_would_see_a_reference_formula() -> None:
    """The patterns catch the formulas that earlier probes swapped into the kernel."""
    earlier = [
        "F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction='sum')",
        "-Bernoulli(probs=p, validate_args=False).log_prob(target).sum(-1)",
        "kl_divergence(Normal(m, (0.5 * lv).exp()), prior).sum(-1)",
        "torch.clamp(kpd, min=lam).sum()",
        "from vae_grading.references import ref_kl",
    ]
    for text in earlier:
        assert REFERENCE_CALLS.search(text) or IMPORTS_GRADER.search(text), text


# ------------------------------------------------------------------ swapped-in functions


def _swapping_questions(assignment: str) -> list[Question]:
    return [q for q in hidden_questions(assignment) if _writes_namespace(q)]


@cache
def _graded_names() -> dict[str, list[tuple[str, Question]]]:
    """Every notebook function a probe calls, with the (assignment, question) that probe it."""
    graded: dict[str, list[tuple[str, Question]]] = {}
    for assignment in ASSIGNMENTS:
        for question in hidden_questions(assignment):
            for name in _names_read(question):
                graded.setdefault(name, []).append((assignment, question))
    return graded


def _harvest(assignment: str) -> dict[str, list[Callable[..., Any]]]:
    """Run the probes that swap functions in, on the key, and catch every function that appears
    in the namespace under a notebook name while a key function runs (as a student's could)."""
    namespace = with_answers(assignment, {})
    originals = {name: value for name, value in namespace.items() if callable(value)}
    caught: dict[str, list[Callable[..., Any]]] = {}

    def look() -> None:
        for name, value in list(namespace.items()):
            known = [originals.get(name), *wrappers, *caught.get(name, [])]
            if name in originals and all(value is not seen for seen in known):
                caught.setdefault(name, []).append(value)

    def spy(function: types.FunctionType) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            look()
            return function(*args, **kwargs)

        return wrapper

    wrappers: list[Callable[..., Any]] = []
    for name, value in originals.items():
        if isinstance(value, types.FunctionType) and not name.startswith("_"):
            wrapper = spy(value)
            wrappers.append(wrapper)
            namespace[name] = wrapper
            originals[name] = wrapper
    run_in_process(_swapping_questions(assignment), namespace, seed=3)
    return caught


def _arity(function: Callable[..., Any]) -> int | None:
    try:
        return len(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None


def _zero(*args: Any, **kwargs: Any) -> float:
    return 0.0


@pytest.mark.parametrize(
    "assignment", ["01_autoencoder_recap", "02_vae_theory", "03_vae_implementation"]
)
def test_functions_swapped_into_the_kernel_answer_no_question(assignment: str) -> None:
    caught = _harvest(assignment)
    assert caught, f"no probe of {assignment} swapped a function in: update this test"
    for name, functions in caught.items():
        for function in functions:
            targets = {name} | {
                other
                for other, uses in _graded_names().items()
                if callable(key_namespace(uses[0][0]).get(other))
                and _arity(key_namespace(uses[0][0])[other]) == _arity(function)
            }
            for target in sorted(targets):
                for owner, question in _graded_names().get(target, []):
                    seed = 11
                    taken = run_in_process([question], {target: function}, seed=seed)
                    stub = run_in_process([question], {target: _zero}, seed=seed)
                    earned, floor = taken[question.name].score, stub[question.name].score
                    assert earned <= floor, (
                        f"{assignment}: the {name} swapped in by a probe earns {earned} on "
                        f"{owner} {question.name} as {target} (a 0.0 stub earns {floor})"
                    )


def test_models_handed_to_student_functions_do_not_sample_like_a_vae() -> None:
    """03's probe model (given to evaluate, train_vae, reconstruct) draws z with a grader-drawn
    scale below 1: a copy of its reparameterize fails the variance checks of Q1 and Q11."""
    import torch

    caught: list[Any] = []

    def spy(model: Any, *args: Any, **kwargs: Any) -> float:
        caught.append(model)
        return 0.0

    names = {"q4": "evaluate", "q5": "train_vae", "q7": "reconstruct"}
    questions = [q for q in hidden_questions("03_vae_implementation") if q.name in names]
    run_in_process(questions, dict.fromkeys(names.values(), spy), seed=5)
    assert len(caught) >= len(names)
    mu, logvar = torch.zeros(20000, 3), torch.zeros(20000, 3)
    for model in caught:
        variance = model.reparameterize(mu, logvar).var(dim=0)
        assert bool((variance < 0.7).all()), variance  # a VAE's sampler: exp(logvar) = 1


def test_a_question_reported_twice_gets_neither_report() -> None:
    """A hook that re-prints a report (earlier or later than the probe) cannot replace it."""
    from vae_grading.probes import DUPLICATE_REPORT, find_reports

    nonce = "@vae-grading-abc"
    genuine = f'{nonce} q2 {{"ok": true, "outputs": {{"values": 1.0}}}}'
    forged = f'{nonce} q2 {{"ok": true, "outputs": {{"values": 2.0}}}}'
    other = f'{nonce} q3 {{"ok": true, "outputs": {{"value": 3.0}}}}'
    for texts in (
        [genuine, forged + "\n" + other],
        [forged, genuine, other],
        [genuine + "\n" + forged, other],
    ):
        reports = find_reports(texts, nonce)
        assert reports["q2"].outputs is None and reports["q2"].error == DUPLICATE_REPORT
        assert reports["q3"].outputs == {"value": 3.0}
    assert find_reports([genuine, other], nonce)["q2"].outputs == {"values": 1.0}
