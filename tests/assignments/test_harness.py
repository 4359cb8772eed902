"""The assignment harness and the validity report: registries, markers, one module per source."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import REPO, SOLUTIONS, make_stub, reference_code
from tests.validity import PROPERTY, SCORE_PROPERTY, ValidityCollector, classify

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


def test_the_collector_reports_what_mutants_and_stubs_kept_per_question() -> None:
    collector = ValidityCollector()
    mutants, stubs = (PROPERTY, ("01_x", "mutants")), (PROPERTY, ("01_x", "stubs"))
    collector.record("a::t[m1]", True, [mutants, (SCORE_PROPERTY, ("q2", 0.8, False))])
    collector.record("a::t[m2]", True, [mutants, (SCORE_PROPERTY, ("q2", 0.25, True))])
    collector.record("a::t[s1]", True, [stubs, (SCORE_PROPERTY, ("q2", 0.0, True))])
    collector.record("a::t[m3]", True, [mutants, (SCORE_PROPERTY, ("q10", 0.1, True))])
    lines = collector.kept_lines()
    assert [line.split() for line in lines[2:]] == [
        ["01_x", "q2", "80%", "25%", "0%"],
        ["01_x", "q10", "10%", "10%", "-"],
    ]


def test_stubs_of_each_kind_keep_the_structure_but_not_the_content() -> None:
    import torch

    def key(x: torch.Tensor, n: int) -> tuple[torch.Tensor, list[float]]:
        return 2 * x, [1.5] * n

    x = torch.ones(3, 2)
    assert make_stub("identity", key)(x, 4) is x
    zeros, history = make_stub("zeros", key)(x, 4)
    assert torch.equal(zeros, torch.zeros(3, 2)) and history == [0.0] * 4
    constant, _ = make_stub("constant", key)(x, 4)
    assert constant.shape == () and float(constant) == 1.0
    nan, _ = make_stub("nan", key)(x, 4)
    assert torch.isnan(nan).all()
    noise, _ = make_stub("noise", key)(x, 4)
    assert noise.shape == (3, 2) and not torch.equal(noise, 2 * x)
    shaped = make_stub("zeros", key, shape=lambda x, n: [7.0] * n)
    assert shaped(x, 2) == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown stub kind"):
        make_stub("empty", key)


@pytest.mark.parametrize(
    ("message", "found"),
    [
        ("use torch.logsumexp to stay finite", ["torch.l"]),
        ("the label must reach both: self.decode(z, y)", ["self.d"]),
        ("no .detach() on the way", [".detach("]),
        ("z = mu + std * eps; x = model.decode(z)", ["; x = model.decode("]),
        ("fix: z = reparameterize(mu, logvar)", [": z = reparameterize("]),
        ("the KL is never negative: sigma^2 = exp(logvar)", []),
        ("dz/dlogvar must be sigma * eps / 2 = (z - mu) / 2", []),
        ("decode(z) raised RuntimeError: torch.Size([3]) mismatch", []),
    ],
)
def test_the_message_scan_finds_reference_code(message: str, found: list[str]) -> None:
    assert reference_code(message) == found
