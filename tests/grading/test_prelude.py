"""A question's prelude: kernel helpers declared once, shipped as source, safe from the notebook.

A hidden-test module declares a helper several probes share (a stand-in model, a probing step)
as a module-level function and names it in each Question that needs it. The source travels in
that question's probe cell (no import of grading code in the kernel); the runtime defines it
after every student cell, in a namespace of its own, and hands it to the probe as
`ns[PRELUDE_PREFIX + name]` for the length of the probe only. A notebook global of the same
name, defined before or by student code while a probe runs, never replaces the piece a probe uses.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from typing import Any

import numpy as np
import pytest

from tests.otter_support import HIDDEN_TESTS, hidden_questions
from vae_grading.evidence import (
    PRELUDE_PREFIX,
    Checks,
    Inputs,
    Outputs,
    Question,
    Verdicts,
    goal,
)
from vae_grading.probes import KERNEL_RUNTIME, probe_cell
from vae_grading.scoring import plan_probes, run_in_process

# ------------------------------------------------------------------ pieces and probes


def scaled(inputs: dict) -> Any:
    """(prelude) A callable object built from the inputs, as a stand-in model would be."""

    class Scaled:
        def __call__(self, x):
            return inputs["k"] * x + offset()

    return Scaled()


def offset() -> float:
    """(prelude) A second piece, called by the first through the prelude's own namespace."""
    return 0.5


def whose_globals() -> list[str]:
    """(prelude) The global names this piece can see (the notebook's must not be among them)."""
    return sorted(name for name in globals() if not name.startswith("__"))


def uses_scaled(ns: dict, inputs: dict) -> dict:
    """Take the piece on the first line, then call the notebook's `student` with what it made."""
    make = ns["_vae_grading_prelude_scaled"]
    model = make(inputs)
    student = ns.get("student")
    if student is not None:
        student(model)  # student code runs while the probe holds its piece
    return {"value": make(inputs)(inputs["x"])}


UNDEFINED_IN_KERNEL = 1.0


def needs_the_module(x: float = UNDEFINED_IN_KERNEL) -> float:
    """(prelude, wrongly written) Its default is a name of this module, missing in the kernel."""
    return x


def reads_undeclared(ns: dict, inputs: dict) -> dict:
    """A probe that takes a piece its question does not declare."""
    return {"value": ns["_vae_grading_prelude_scaled"](inputs)(inputs["x"])}


def reports_globals(ns: dict, inputs: dict) -> dict:
    """What the piece `whose_globals` sees, and whether the notebook still holds the piece."""
    seen = ns["_vae_grading_prelude_whose_globals"]()
    return {"seen": seen}


def _inputs(rng: np.random.Generator) -> Inputs:
    return {"k": 3.0, "x": 2.0}


def _value_verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
    checks.add("value", out.get("value") == 6.5, "wrong")


def _question(name: str, probe: Any, prelude: tuple = (scaled, offset)) -> Question:
    return Question(name, (goal("value", "v"),), _inputs, probe, _value_verdict, prelude=prelude)


# ------------------------------------------------------------------ shipping


def test_the_cell_ships_the_pieces_source_and_no_import() -> None:
    cell = probe_cell("q1", "@n", uses_scaled, {"k": 1.0}, (scaled, offset))
    assert "def scaled(inputs: dict)" in cell and "def offset()" in cell
    assert "import vae_grading" not in cell and "hidden_tests" not in cell
    tree = ast.parse(cell)  # the pieces travel as a literal, the probe as code
    call = tree.body[-2].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call) and len(call.args) == 5
    shipped = ast.literal_eval(call.args[4])
    assert list(shipped) == ["scaled", "offset"]
    assert shipped["offset"] == "from __future__ import annotations\n\n" + textwrap.dedent(
        inspect.getsource(offset)
    )


def test_a_question_without_prelude_calls_the_runtime_as_before() -> None:
    cell = probe_cell("q1", "@n", uses_scaled, {"k": 1.0})
    call = ast.parse(cell).body[-2].value  # type: ignore[attr-defined]
    assert isinstance(call, ast.Call) and len(call.args) == 4


def test_plan_probes_ships_each_questions_own_pieces() -> None:
    plan = plan_probes([_question("q1", uses_scaled), _question("q2", reads_undeclared, ())])
    assert plan.cells[0] == KERNEL_RUNTIME
    assert "def scaled(" in plan.cells[1] and "def scaled(" not in plan.cells[2]


def test_the_otter_plugin_appends_the_cells_plan_probes_makes() -> None:
    """Gradescope/otter and local grading run the same cells: the plugin takes plan_probes'."""
    from vae_grading.otter_plugin import GRADING_CELL_KEY, TrustedVerdicts

    plugin = TrustedVerdicts.__new__(TrustedVerdicts)
    plugin.questions = [_question("q1", uses_scaled)]
    plugin.watchdog = types.SimpleNamespace(start=lambda: None)
    submission = types.SimpleNamespace(cells=[])
    plugin.before_execution(submission)
    sources = [cell.source for cell in submission.cells]
    assert sources == plugin.plan.cells and "def scaled(" in sources[1]
    assert all(cell.metadata[GRADING_CELL_KEY] for cell in submission.cells)


# ------------------------------------------------------------------ running


def test_a_probe_gets_its_pieces_and_they_call_each_other() -> None:
    namespace: dict[str, Any] = {}
    scores = run_in_process([_question("q1", uses_scaled)], namespace, seed=0)
    assert scores["q1"].score == 1.0, scores["q1"].feedback()
    assert not [name for name in namespace if name.startswith(PRELUDE_PREFIX)]  # taken out again


def test_a_notebook_global_of_the_same_name_is_overwritten() -> None:
    def evil(inputs: dict) -> Any:
        return lambda x: 6.5 + 100.0  # a student's "piece" defined before the probes

    namespace: dict[str, Any] = {"_vae_grading_prelude_scaled": evil, "offset": lambda: 99.0}
    scores = run_in_process([_question("q1", uses_scaled)], namespace, seed=0)
    assert scores["q1"].score == 1.0, scores["q1"].feedback()


def test_student_code_that_replaces_a_piece_reaches_neither_this_probe_nor_the_next() -> None:
    replaced: list[str] = []

    def student(model: Any) -> None:
        globals_ = namespace
        globals_["_vae_grading_prelude_scaled"] = lambda inputs: lambda x: 0.0
        globals_["_vae_grading_prelude_offset"] = lambda: 0.0
        replaced.append("done")

    namespace: dict[str, Any] = {"student": student}
    questions = [_question("q1", uses_scaled), _question("q2", uses_scaled)]
    scores = run_in_process(questions, namespace, seed=0)
    assert replaced == ["done", "done"]
    assert scores["q1"].score == 1.0 and scores["q2"].score == 1.0


def test_a_piece_the_question_did_not_declare_is_missing() -> None:
    """Even when an earlier question declared it: the runtime takes pieces out after a probe."""
    questions = [_question("q1", uses_scaled), _question("q2", reads_undeclared, ())]
    scores = run_in_process(questions, {}, seed=0)
    assert scores["q1"].score == 1.0
    assert scores["q2"].score == 0.0 and "_vae_grading_prelude_scaled" in (scores["q2"].error or "")


def test_pieces_do_not_see_the_notebooks_globals() -> None:
    seen: dict[str, Any] = {}

    def verdict(inputs: Inputs, out: Outputs, checks: Checks) -> None:
        seen.update(out)
        checks.add("value", True)

    question = Question(
        "q1", (goal("value", "v"),), _inputs, reports_globals, verdict, prelude=(whose_globals,)
    )
    run_in_process([question], {"student_secret": 1}, seed=0)
    assert seen["seen"] == ["annotations", "whose_globals"]  # its own name, its future import


def test_a_piece_that_fails_in_the_kernel_fails_its_question_not_the_grading() -> None:
    """A piece that is not self-contained raises when defined: its question reports the error,
    the next question is graded as usual."""
    questions = [
        _question("q1", uses_scaled, (scaled, offset, needs_the_module)),
        _question("q2", uses_scaled),
    ]
    scores = run_in_process(questions, {"UNDEFINED_IN_KERNEL": 1.0}, seed=0)
    assert scores["q1"].score == 0.0 and "UNDEFINED_IN_KERNEL" in (scores["q1"].error or "")
    assert scores["q2"].score == 1.0


def test_questions_refuse_unnamed_or_twice_named_pieces() -> None:
    with pytest.raises(ValueError, match="named function"):
        _question("q1", uses_scaled, (lambda inputs: inputs,))
    with pytest.raises(ValueError, match="named twice"):
        _question("q1", uses_scaled, (scaled, scaled))
    with pytest.raises(ValueError, match="named function"):
        _question("q1", uses_scaled, (print,))


def test_verdicts_question_passes_the_prelude_on() -> None:
    checks = Verdicts()

    @checks.check(goal("value", "v"))
    def value(inputs: Inputs, out: Outputs) -> tuple[bool, str]:
        return out.get("value") == 6.5, "wrong"

    question = checks.question("q1", _inputs, uses_scaled, prelude=(scaled, offset))
    assert question.prelude == (scaled, offset)
    assert run_in_process([question], {}, seed=0)["q1"].score == 1.0


# ------------------------------------------------------------------ the hidden tests


def _prelude_reads(probe: Any) -> set[str]:
    """The prelude names a probe takes from ns (ns["_vae_grading_prelude_NAME"])."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(probe)))
    return {
        node.slice.value[len(PRELUDE_PREFIX) :]
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
        and node.slice.value.startswith(PRELUDE_PREFIX)
    }


@pytest.mark.parametrize(
    "assignment", sorted(path.stem for path in HIDDEN_TESTS.glob("[0-9][0-9]_*.py"))
)
def test_every_probe_declares_the_pieces_it_takes_and_takes_what_it_declares(
    assignment: str,
) -> None:
    for question in hidden_questions(assignment):
        declared = {piece.__name__ for piece in question.prelude}
        assert _prelude_reads(question.probe) == declared, (assignment, question.name)
        for piece in question.prelude:
            source = inspect.getsource(piece)
            assert "vae_grading" not in source and "hidden_tests" not in source, piece.__name__
