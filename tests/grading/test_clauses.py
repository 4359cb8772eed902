"""Every clause of a graded prompt has a check: the table beside each hidden-test QUESTIONS list.

Each code question of hidden_tests/NN_*.py lists its prompt's clauses in CLAUSES[question]; each
clause must be the `clause` of one of its checks, each check must cite a listed clause, and each
question must have a goal. Choice and number questions (one check, no clauses) are exempt.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from vae_grading.evidence import Question, goal, guard, part, unenforced_clauses

HIDDEN_TESTS = sorted((Path(__file__).resolve().parents[2] / "hidden_tests").glob("0*.py"))


def _module(path: Path) -> ModuleType:
    """The hidden-test module at `path`, loaded by file."""
    name = f"_clauses_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def _is_code_question(question: Question) -> bool:
    """Not a choice or number question (those have one check and no prompt clauses)."""
    return question.answer is None and question.check_names not in (("answer",), ("value",))


@pytest.mark.parametrize("path", HIDDEN_TESTS, ids=lambda p: p.stem)
def test_every_prompt_clause_has_a_check_and_every_question_a_goal(path: Path) -> None:
    module = _module(path)
    clauses: dict[str, tuple[str, ...]] = module.CLAUSES
    code = [q for q in module.QUESTIONS if _is_code_question(q)]
    assert {q.name for q in code} == set(clauses), "CLAUSES must list every code question"
    for question in code:
        assert not unenforced_clauses(clauses[question.name], question), question.name
        assert any(c.role == "goal" for c in question.specs), f"{question.name} has no goal"


def test_a_clause_without_a_check_is_reported() -> None:
    def verdict(inputs: object, out: object, checks: object) -> None:
        """Never called."""

    checks = (goal("value", "the value"), part("grad", "the gradient"), guard("shape", "a shape"))
    question = Question("q", checks, lambda rng: {}, lambda ns, i: {}, verdict)
    assert unenforced_clauses(("the value", "the gradient", "a shape"), question) == []
    listed = ("the value", "the gradient", "a shape", "detached")
    assert unenforced_clauses(listed, question) == ["detached"]
    assert unenforced_clauses(("the value", "the gradient"), question) == ["shape: 'a shape'"]
