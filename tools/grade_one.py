"""Grade one prepared notebook with `otter run`, with a per-cell time limit (internal command).

Usage: python -m tools.grade_one AUTOGRADER_ZIP NOTEBOOK RESULTS_JSON [--cell-timeout S]

`tools.grade` runs this in a fresh process (own session, own TMPDIR) per submission and kills the
whole process tree when the submission runs past its limit. Here every cell of the submission gets
nbclient's `timeout` with `interrupt_on_timeout`, so an endless loop costs only that cell; the
tests run one question per cell so that a question whose test hangs loses only its own points.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import traceback
from pathlib import Path
from typing import Any

DEFAULT_CELL_TIMEOUT_S = 60


INFRASTRUCTURE_KEY = "vae_course_grading_infrastructure"

DEFAULT_PRELOAD = (
    "numpy",
    "torch",
    "torchvision",
    "matplotlib.pyplot",
    "vae_helpers.device",
    "vae_helpers.data",
    "vae_helpers.models",
    "vae_helpers.training",
    "vae_helpers.plots",
)

_PRELOAD_CELL = """\
for _vae_course_module in {modules}:
    try:
        __import__(_vae_course_module)
    except Exception:
        pass
del _vae_course_module
"""

_QUESTION_CELL = """\
try:
    __import__("otter.execute", fromlist=["Checker"]).Checker.check_if_not_already_checked(
        {path}
    )
except KeyboardInterrupt:
    print({message})
"""


def _limit_cell_time(cell_timeout: int) -> None:
    """Make otter's notebook execution interrupt any submission cell after `cell_timeout` s.

    otter 7 builds a fresh ExecutePreprocessor (nbclient) without a timeout, so this replaces the
    class that `otter.execute.grade_notebook` imports at call time by a subclass whose cells time
    out and interrupt the kernel. otter's own set-up and results cells carry a metadata key and
    get no per-cell limit (the per-submission limit of tools.grade still bounds them).
    """
    import nbconvert.preprocessors
    from traitlets import Bool, Integer

    base = nbconvert.preprocessors.ExecutePreprocessor

    class TimeLimitedExecutePreprocessor(base):  # type: ignore[misc, valid-type]
        """ExecutePreprocessor with a per-cell timeout that interrupts the kernel."""

        timeout = Integer(cell_timeout, allow_none=True).tag(config=True)
        interrupt_on_timeout = Bool(True).tag(config=True)

        def _get_timeout(self, cell: Any) -> int | None:
            if cell is not None and cell.get("metadata", {}).get(INFRASTRUCTURE_KEY):
                return None
            return cell_timeout

    nbconvert.preprocessors.ExecutePreprocessor = TimeLimitedExecutePreprocessor


def _check_each_question_in_its_own_cell(preload_modules: tuple[str, ...]) -> None:
    """Replace otter's single final test cell by one time-limited cell per question.

    otter 7 runs every question not yet checked in one last cell; an endless loop in one test would
    then lose every score. Here each question gets its own cell (a hung test is interrupted and that
    question scores nothing), and the results cell only collects what was checked. A first cell
    without a time limit imports `preload_modules`, so that the per-cell limit measures the
    submission's own work and not how long `import torch` takes on a busy machine.
    """
    import nbformat
    from otter.execute import preprocessor as otter_preprocessor
    from otter.utils import id_generator

    infrastructure = {INFRASTRUCTURE_KEY: True}

    def add_init_and_export_cells(self: Any, nb: nbformat.NotebookNode) -> None:
        for cell in nb.cells:
            cell.get("metadata", {}).pop(INFRASTRUCTURE_KEY, None)
        init = otter_preprocessor.INIT_CELL_SOURCE.format(
            notebook_name=self._notebook_name,
            test_dir=self.test_dir,
            logging_server_host=self.logging_server_host,
            logging_server_port=self.logging_server_port,
        )
        preload = _PRELOAD_CELL.format(modules=json.dumps(list(preload_modules)))
        nb.cells.insert(0, nbformat.v4.new_code_cell(preload, metadata=dict(infrastructure)))
        nb.cells.insert(0, nbformat.v4.new_code_cell(init, metadata=dict(infrastructure)))
        for path in self.tests_glob:
            question = Path(path).stem
            message = f"{question}: its tests ran past the time limit and were stopped"
            source = _QUESTION_CELL.format(path=json.dumps(path), message=json.dumps(message))
            nb.cells.append(nbformat.v4.new_code_cell(source))
        results = otter_preprocessor.EXPORT_CELL_SOURCE.format(
            tests_loop_var=f"t_{id_generator()}",
            tests_glob_json="[]",
            results_path=self.results_path.replace("\\", "\\\\"),
        )
        nb.cells.append(nbformat.v4.new_code_cell(results, metadata=dict(infrastructure)))

    otter_preprocessor.GradingPreprocessor.add_init_and_export_cells = add_init_and_export_cells


def _first_line(cell: Any) -> str:
    """The first line of a cell's own code (otter prepends `seed = N` to every cell)."""
    lines = [line.strip() for line in str(cell.get("source", "")).splitlines() if line.strip()]
    if len(lines) > 1 and re.fullmatch(r"\w+ = -?\d+", lines[0]):
        lines = lines[1:]
    return lines[0][:60] if lines else ""


def summarise(results: Any) -> dict[str, Any]:
    """Scores per question and what went wrong in the executed notebook, as plain JSON."""
    questions = {}
    for name in results.test_files:
        test_file = results.get_result(name)
        failures = [
            {"hidden": r.test_case.hidden, "message": (r.message or "").strip()[:500]}
            for r in test_file.test_case_results
            if not r.passed
        ]
        questions[name] = {
            "score": float(test_file.score),
            "possible": float(test_file.possible),
            "failures": failures,
        }
    cell_errors = []
    notebook = getattr(results, "notebook", None)
    for index, cell in enumerate(notebook.cells if notebook is not None else []):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                cell_errors.append(
                    {
                        "cell": index,
                        "error": output.get("ename", "Error"),
                        "line": _first_line(cell),
                    }
                )
    catastrophic = results.catastrophic_error
    return {
        "questions": questions,
        "total": float(results.total),
        "possible": float(results.possible),
        "cell_errors": cell_errors,
        "catastrophic_error": None if catastrophic is None else repr(catastrophic)[:500],
    }


def main(argv: list[str] | None = None) -> int:
    """Grade the notebook and write the summary JSON; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.grade_one", description=__doc__)
    parser.add_argument("autograder", type=Path)
    parser.add_argument("notebook", type=Path)
    parser.add_argument("results", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=DEFAULT_CELL_TIMEOUT_S)
    args = parser.parse_args(argv)

    _limit_cell_time(args.cell_timeout)
    _check_each_question_in_its_own_cell(DEFAULT_PRELOAD)
    import otter.run

    try:
        results = otter.run.main(
            str(args.notebook), autograder=str(args.autograder), output_dir=None, no_logo=True
        )
        summary = summarise(results)
    except Exception as exc:  # noqa: BLE001 - any failure of otter is reported, not raised
        traceback.print_exc()
        summary = {"error": f"{type(exc).__name__}: {exc}"[:500]}
    args.results.write_text(json.dumps(summary, indent=1), encoding="utf-8")
    return 0 if "error" not in summary else 1


if __name__ == "__main__":
    sys.exit(main())
