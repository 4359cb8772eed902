"""Submissions that take what a downstream probe swaps into the kernel and carry it out.

02's negative_elbo probe swaps functions in for bernoulli_nll and gaussian_kl (so that a wrong
term costs q8 or q2 and not q9 again). Each attack below answers q2 and q8 wrongly, writes a
correct negative_elbo that looks at its globals while the probe runs, and uses one carrier (a
thread, sys.settrace, an audit hook, a patched json.dumps, an IPython post_run_cell hook) to
re-run the q2 and q8 probes with whatever it caught and print their reports with the grading's
nonce. Graded by `tools.grade` (sandboxed) and by `otter run` (the otter plugin, as on
Gradescope), each must score no more than the same wrong answers without the trick: what it
catches are stand-ins that answer no question, and a question reported twice counts for nothing.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import nbformat
import pytest

from tests.tooling.graders import (
    grade_with_tools,
    otter_run_command,
    write_batch,
    write_submission,
)
from tools.course.layout import CourseLayout

ASSIGNMENT = "02_vae_theory"

# Wrong answers to q2 and q8, and a right negative_elbo built on them: q9 is earned through the
# probe's stand-in run, q2 and q8 are not.
HONEST_WRONG = """
import torch

def gaussian_kl(mu, logvar):
    return 0.0 * mu.sum(dim=-1)

def bernoulli_nll(x_hat, x):
    return 0.0 * x_hat.sum(dim=-1)

def negative_elbo(x_hat, x, mu, logvar, beta=1.0):
    return (bernoulli_nll(x_hat, x) + beta * gaussian_kl(mu, logvar)).mean()
"""

# What every attack shares: catch functions that replace the honest ones, spy on the grading
# runtime to learn each probe's nonce and inputs, and re-run the q2 and q8 probes with the catch.
CATCH = """
import contextlib, io, sys

_G = globals()
_HONEST = {"gaussian_kl": gaussian_kl, "bernoulli_nll": bernoulli_nll}
_CAUGHT, _CALLS, _SENT = {}, {}, set()
_BUSY = [False]

def _look(g=_G):
    for name, honest in _HONEST.items():
        value = g.get(name)
        if callable(value) and value is not honest and name not in _CAUGHT:
            _CAUGHT[name] = value
    report = g.get("_vae_grading_report")
    if callable(report) and not getattr(report, "_spied", False):
        def spied(question, nonce, probe, payload, _report=report):
            _CALLS[question] = (nonce, probe, payload, _report)
            return _report(question, nonce, probe, payload)
        spied._spied = True
        g["_vae_grading_report"] = spied

def _forged():
    lines = []
    for question, name in (("q2", "gaussian_kl"), ("q8", "bernoulli_nll")):
        if name in _CAUGHT and question in _CALLS and question not in _SENT:
            _SENT.add(question)
            nonce, probe, payload, report = _CALLS[question]
            honest, buffer = _G.get(name), io.StringIO()
            _G[name] = _CAUGHT[name]
            try:
                with contextlib.redirect_stdout(buffer):
                    report(question, nonce, probe, payload)
            finally:
                _G[name] = honest
            lines += [line for line in buffer.getvalue().splitlines() if line.strip()]
    return lines

def _deliver():
    if _BUSY[0]:
        return
    _BUSY[0] = True
    try:
        _look()
        for line in _forged():
            print(line, flush=True)
    finally:
        _BUSY[0] = False

def negative_elbo(x_hat, x, mu, logvar, beta=1.0):
    _look(globals())  # a downstream function sees whatever the probe swapped in
    return (bernoulli_nll(x_hat, x) + beta * gaussian_kl(mu, logvar)).mean()
"""

CARRIERS = {
    "thread": """
import threading, time

def _poll():
    for _ in range(600000):
        _deliver()
        if len(_SENT) == 2:
            return
        time.sleep(0.0005)

threading.Thread(target=_poll, daemon=True).start()
""",
    "settrace": """
def _tracer(frame, event, arg):
    _deliver()
    return None

sys.settrace(_tracer)
""",
    "audit_hook": """
sys.addaudithook(lambda event, args: _deliver())
""",
    "json_dumps": """
import json

_dumps = json.dumps

def _patched_dumps(*args, **kwargs):
    caller = sys._getframe(1).f_locals
    if {"question", "nonce", "probe", "payload"} <= set(caller):
        report = _G.get("_vae_grading_report")
        _CALLS.setdefault(caller["question"], (
            caller["nonce"], caller["probe"], caller["payload"],
            getattr(report, "__wrapped__", report),
        ))
    text = _dumps(*args, **kwargs)
    extra = _forged() if caller.get("question") not in ("q2", "q8") else []
    return text + "".join("\\n" + line for line in extra)

json.dumps = _patched_dumps
""",
    "post_run_cell": """
from IPython import get_ipython

get_ipython().events.register("post_run_cell", lambda *args: _deliver())
""",
}


def _notebooks(blank: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """The honest wrong answers, and the same answers with each carrier."""
    notebooks = {}
    for name in ("honest", *CARRIERS):
        nb = nbformat.from_dict(json.loads(json.dumps(blank)))
        nb.cells.append(nbformat.v4.new_code_cell(HONEST_WRONG.strip()))
        if name != "honest":
            nb.cells.append(nbformat.v4.new_code_cell(CATCH.strip()))
            nb.cells.append(nbformat.v4.new_code_cell(CARRIERS[name].strip()))
        notebooks[name] = nb
    return notebooks


@pytest.mark.slow
def test_references_caught_during_a_downstream_probe_earn_nothing(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    folder = write_batch(_notebooks(blank), tmp_path / "submissions")
    limits = ["--cell-timeout", "60", "--timeout", "300"]
    rows = grade_with_tools(built_course, ASSIGNMENT, folder, tmp_path / "grades.csv", limits)
    assert set(rows) == {"honest", *CARRIERS}
    honest = rows["honest"]
    assert honest["status"] == "ok", honest
    # the probe's stand-in run earns q9 for the right negative_elbo; the wrong terms earn nothing
    assert float(honest["q9"]) > 0, honest
    assert float(honest["q2"]) == 0 and float(honest["q8"]) == 0, honest
    questions = [key for key in honest if key.startswith("q")]
    for name in CARRIERS:
        row = rows[name]
        gained = {q: row[q] for q in questions if float(row[q]) > float(honest[q])}
        assert not gained, (name, gained, row)
        assert float(row["total"]) <= float(honest["total"]), (name, row)


def _otter_scores(built_course: CourseLayout, nb: nbformat.NotebookNode, folder: Path) -> dict:
    """Each question's score when `otter run` grades `nb` with the built autograder zip."""
    path = write_submission(nb, folder / "sub" / f"{ASSIGNMENT}.ipynb")
    out = folder / "out"
    out.mkdir()
    command = otter_run_command(built_course.autograder_zip(ASSIGNMENT), out, path)
    subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=folder)
    results = json.loads((out / "results.json").read_text())
    return {t["name"]: t.get("score") or 0 for t in results["tests"] if t.get("max_score")}


@pytest.fixture(scope="module")
def honest_otter_scores(
    built_course: CourseLayout, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    """The honest wrong answers' scores under `otter run`, graded once for every carrier."""
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    folder = tmp_path_factory.mktemp("honest")
    return _otter_scores(built_course, _notebooks(blank)["honest"], folder)


@pytest.mark.slow
@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_references_caught_during_a_downstream_probe_earn_nothing_under_otter_run(
    built_course: CourseLayout, honest_otter_scores: dict, tmp_path: Path, carrier: str
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    honest = honest_otter_scores
    attacked = _otter_scores(built_course, _notebooks(blank)[carrier], tmp_path / carrier)
    assert honest["q9"] > 0 and honest["q2"] == 0 and honest["q8"] == 0, honest
    gained = {q: s for q, s in attacked.items() if s > honest.get(q, 0)}
    assert not gained, (carrier, gained, attacked)
