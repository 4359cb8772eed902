"""The assignment harness and the validity report: registries, markers, one module per source."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import REPO, SOLUTIONS
from tests.validity import PROPERTY, ValidityCollector, classify

ASSIGNMENTS = sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
MUTANT = ("q1", "f", 1)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_assignment_registers_its_cases_with_the_harness(assignment: str) -> None:
    """Adding a notebook means adding its registry module: a source without one fails here."""
    path = REPO / "tests" / "assignments" / f"test_{assignment}.py"
    assert path.is_file(), f"{assignment} has no {path.relative_to(REPO)}"
    text = path.read_text(encoding="utf-8")
    assert f'ASSIGNMENT = "{assignment}"' in text
    assert "(AssignmentChecks):" in text and "CASES = Cases(ASSIGNMENT" in text


def test_cases_refuse_registries_that_test_nothing() -> None:
    with pytest.raises(ValueError, match="register mutants, variants"):
        Cases("01_x", {"q1"}, {}, {"v": MUTANT})
    with pytest.raises(ValueError, match="register mutants, variants"):
        Cases("01_x", {"q1"}, {"m": MUTANT}, {})
    with pytest.raises(ValueError, match="register mutants, variants"):
        Cases("01_x", {"q1"}, {"m": MUTANT}, {"v": MUTANT}, key_seeds=())
    with pytest.raises(ValueError, match="named like a mutant"):
        Cases("01_x", {"q1"}, {"m": MUTANT}, {"v": MUTANT}, cascades={"m": ("q1", {"f": 2})})


def test_mistakes_are_mutants_and_cascades_as_replacements() -> None:
    cases = Cases(
        "01_x", {"q1", "q2"}, {"m": MUTANT}, {"v": MUTANT}, cascades={"c": ("q1", {"f": 2, "g": 3})}
    )
    assert cases.mistakes() == {"m": ("q1", {"f": 1}), "c": ("q1", {"f": 2, "g": 3})}


def _item(kind: str | None, cases: Cases | None, nodeid: str = "t.py::T::test_x[a]") -> Any:
    """A stand-in for a collected pytest item."""
    marker = None if kind is None else SimpleNamespace(args=(kind,))
    cls = None if cases is None else type("TestX", (AssignmentChecks,), {"CASES": cases})
    return SimpleNamespace(nodeid=nodeid, cls=cls, get_closest_marker=lambda name: marker)


def test_tests_are_classified_by_marker_not_by_name() -> None:
    cases = Cases("01_x", {"q1"}, {"m": MUTANT}, {"v": MUTANT})
    assert classify(_item("variants", cases, "t.py::T::test_mutant_named_like_this")) == (
        "01_x",
        "variants",
    )
    assert classify(_item(None, cases, "t.py::test_mutant_costs_only_its_question[m]")) is None
    with pytest.raises(ValueError, match="not one of"):
        classify(_item("cascades", cases))
    with pytest.raises(ValueError, match="outside an assignment harness"):
        classify(_item("mutants", None))


def test_the_collector_counts_by_property() -> None:
    collector = ValidityCollector()
    collector.record("a::test_mutant_x", True, [])  # a name alone counts for nothing
    collector.record("a::t[m1]", True, [(PROPERTY, ("01_x", "mutants"))])
    collector.record("a::t[m2]", False, [(PROPERTY, ("01_x", "mutants"))])
    collector.record("a::t[v]", True, [("other", 1), (PROPERTY, ("01_x", "variants"))])
    assert collector.counts["01_x"]["mutants"] == [1, 2]
    assert collector.counts["01_x"]["variants"] == [1, 1]
    assert collector.failures == ["a::t[m2]"]
