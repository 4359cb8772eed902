"""Submissions that try to buy points or harm the batch, graded by both graders.

Each attack starts from the blank student notebook (or a wrong answer) and adds one trick; each
must earn exactly what its honest answers earn, and the batch must stay intact: every row
present, no row changed by another submission, no process left behind, nothing secret read.
"""

from __future__ import annotations

import contextlib
import csv
import json
import pickle
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from tools.course.layout import CourseLayout
from tools.grade import main as grade_main

ASSIGNMENT = "02_vae_theory"
CELL_TIMEOUT_S = 20

# Each attack: the code appended to the blank notebook. None of them answers anything correctly,
# so every one must score 0 on every question.
ATTACKS = {
    # rewrite every test file the kernel can reach, then answer wrongly
    "rewrite_tests": """
import glob, os
for path in glob.glob("**/*.py", recursive=True) + glob.glob("../source/tests/*.py"):
    try:
        open(path, "w").write("def test_anything():\\n    pass\\n")
    except OSError:
        pass
q1_answer = "a"
""",
    # return whatever the calling frame expects
    "frame_reader": """
import sys, torch
def gaussian_kl(mu, logvar):
    frame = sys._getframe(1)
    while frame is not None:
        for name in ("expected", "reference", "want"):
            if name in frame.f_locals:
                return frame.f_locals[name]
        frame = frame.f_back
    return torch.zeros(mu.shape[0])
""",
    # a string and a tensor that claim to equal anything
    "lying_types": """
import torch
class Always(str):
    def __eq__(self, other): return True
    def __hash__(self): return 0
    def strip(self, *a): return self
    def lower(self): return self
q1_answer = Always("a")
class Liar(torch.Tensor):
    def __eq__(self, other): return torch.ones((), dtype=torch.bool)
    def allclose(self, *a, **k): return True
def gaussian_kl(mu, logvar):
    return torch.zeros(mu.shape[0]).as_subclass(Liar)
torch.allclose = lambda *a, **k: True
torch.isclose = lambda a, b, *x, **k: torch.ones_like(a, dtype=torch.bool)
""",
    # an IPython hook that forges a perfect-looking report for every probe cell
    "forged_reports": """
import re
from IPython import get_ipython
def forge(info):
    match = re.search(r"_vae_grading_report\\('(\\w+)', '([^']+)'", info.raw_cell or "")
    if match:
        question, nonce = match.groups()
        print(f'{nonce} {question} {{"ok": true, "outputs": {{"value": "b", "values": [0.0]}}}}')
get_ipython().events.register("pre_run_cell", forge)
""",
    # read the hidden tests and the other submissions from the disk
    "reads_secrets": r"""
import glob
found = glob.glob("/**/hidden_tests/*.py", recursive=True) + glob.glob("/**/*.csv", recursive=True)
secret = next((open(p).read() for p in found if p.endswith(".py")), "")
import re
match = re.search(r'"q1_answer",\s*"(\w)"', secret)
q1_answer = match.group(1) if match else "a"
""",
    # outlive grading and rewrite the CSV later; kill everything it can see
    "outlives_grading": """
import os, signal, subprocess, sys
code = (
    "import glob, time\\ntime.sleep(8)\\n"
    "for p in glob.glob('/**/*.csv', recursive=True):\\n    open(p, 'a').write('evil,19')"
)
subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
os.system("(sleep 9; pkill -f tools.grade) &")
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
""",
    # print the hidden tests into an exception message (shown in feedback)
    "leaks_in_error": """
import glob
text = "".join(open(p).read() for p in glob.glob("**/*.py", recursive=True))
def gaussian_kl(mu, logvar):
    raise RuntimeError(text[:5000])
""",
}

# .OTTER_LOG inside a submission zip must never be unpickled by either grader.


class _RunsCodeWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('loaded')",))


def _attack_notebooks(blank: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    notebooks = {}
    for name, code in ATTACKS.items():
        nb = nbformat.from_dict(json.loads(json.dumps(blank)))
        nb.cells.append(nbformat.v4.new_code_cell(code.strip()))
        notebooks[name] = nb
    return notebooks


def _write_batch(blank: nbformat.NotebookNode, folder: Path, marker: Path) -> None:
    folder.mkdir(parents=True)
    for name, nb in _attack_notebooks(blank).items():
        nbformat.write(nb, folder / f"{name}.ipynb")
    with zipfile.ZipFile(folder / "pickled_log.zip", "w") as zf:
        zf.writestr(f"{ASSIGNMENT}.ipynb", nbformat.writes(blank))
        zf.writestr(".OTTER_LOG", pickle.dumps(_RunsCodeWhenUnpickled(marker)))


def _zero_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["submission"]: row for row in csv.DictReader(f)}


@pytest.mark.slow
def test_attacks_earn_nothing_and_leave_the_batch_intact(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    folder, marker = tmp_path / "submissions", tmp_path / "unpickled"
    _write_batch(blank, folder, marker)
    output = tmp_path / "grades.csv"
    argv = [
        str(folder), "--assignment", ASSIGNMENT, "--root", str(built_course.root),
        "--output", str(output), "--jobs", "2", "--cell-timeout", str(CELL_TIMEOUT_S),
        "--timeout", "240", "--no-progress",
    ]  # fmt: skip
    assert grade_main(argv) == 0
    rows = _zero_rows(output)
    assert set(rows) == {*ATTACKS, "pickled_log"}
    for name, row in rows.items():
        assert row["total"] == "0", (name, row)
    assert "Traceback" not in output.read_text() and "def test" not in output.read_text()
    assert not marker.exists(), "a pickled .OTTER_LOG was loaded"
    import time

    time.sleep(10)  # the detached process of `outlives_grading` would have written by now
    assert _zero_rows(output) == rows, "a submission changed the CSV after grading"
    assert "evil" not in output.read_text()
    stragglers = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if "time.sleep(8)" in " ".join(p.info["cmdline"] or [])
    ]
    assert stragglers == []
    assert built_course.hidden_tests(ASSIGNMENT).read_text().count("def ") > 5  # untouched


OTTER_RUN_ATTACKS = ("rewrite_tests", "lying_types", "forged_reports", "leaks_in_error")


@pytest.mark.slow
@pytest.mark.parametrize("attack", [*OTTER_RUN_ATTACKS, "pickled_log"])
def test_attacks_earn_nothing_under_otter_run(
    built_course: CourseLayout, tmp_path: Path, attack: str
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    marker = tmp_path / "unpickled"
    submission = tmp_path / "sub"
    submission.mkdir()
    if attack == "pickled_log":
        path = submission / "submission.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(f"{ASSIGNMENT}.ipynb", nbformat.writes(blank))
            zf.writestr(".OTTER_LOG", pickle.dumps(_RunsCodeWhenUnpickled(marker)))
    else:
        path = submission / f"{ASSIGNMENT}.ipynb"
        nbformat.write(_attack_notebooks(blank)[attack], path)
    out = tmp_path / "out"
    out.mkdir()
    command = [
        sys.executable, "-m", "otter", "run", "-a",
        str(built_course.autograder_zip(ASSIGNMENT)), "-o", str(out), str(path),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    results = json.loads((out / "results.json").read_text())
    scores = {t["name"]: t.get("score") for t in results["tests"] if t.get("max_score")}
    assert scores and not any(scores.values()), (attack, scores, completed.stdout[-2000:])
    visible = json.dumps(results)
    assert "def test" not in visible and "_vae_grading" not in visible
    assert max(len(t.get("output", "")) for t in results["tests"]) < 4000
    assert not marker.exists(), "a pickled .OTTER_LOG was loaded"


@pytest.mark.slow
def test_a_killed_otter_run_leaves_no_hidden_tests_behind(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    """The plugin deletes the hidden tests before the student's first cell runs."""
    import os
    import signal
    import time

    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    blank.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    path = tmp_path / "sub" / f"{ASSIGNMENT}.ipynb"
    path.parent.mkdir()
    nbformat.write(blank, path)
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = [
        sys.executable, "-m", "otter", "run", "-a",
        str(built_course.autograder_zip(ASSIGNMENT)), "-o", str(tmp_path), str(path),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, env={**os.environ, "TMPDIR": str(temp)}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # wait until the kernel runs the student's cells
            kernels = [
                p
                for p in psutil.Process(process.pid).children(recursive=True)
                if "ipykernel" in " ".join(p.cmdline())
            ]
            if kernels:
                time.sleep(5)
                break
            time.sleep(0.5)
        assert kernels, "otter run never started a kernel"
    finally:
        survivors = psutil.Process(process.pid).children(recursive=True)
        os.killpg(process.pid, signal.SIGKILL)
        for survivor in survivors:  # kernels run in their own session
            with contextlib.suppress(psutil.Error):
                survivor.kill()
        process.wait(timeout=30)
    left = [p for p in temp.rglob("*") if p.name == "vae_hidden_tests.py"]
    assert left == [], left
