"""Submissions that try to buy points or harm the batch, graded by both graders.

Each attack starts from the blank student notebook (or a wrong answer) and adds one trick; each
must earn exactly what its honest answers earn, and the batch must stay intact: every row
present, no row changed by another submission, no process left behind, nothing secret read.
`tools.grade` grades each attack on its own and all of them in one notebook; `otter run` and an
emulation of Gradescope's layout grade the all-in-one notebook (to keep the suite fast) and the
attacks that hang, each alone with a short whole-grading limit.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import psutil
import pytest

from tests.tooling.graders import (
    RUN_AUTOGRADER,
    grade_rows,
    grade_with_tools,
    otter_run_command,
    write_batch,
    write_submission,
)
from tools.course.layout import CourseLayout
from vae_grading.contract import HIDDEN_TESTS_MEMBER

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

# Second round (issue 22): attacks on the results file, the environment, the grader's disk, time
# and secrets. They are batched into one notebook where they can share a grading; the attacks that
# kill or hang come last or get their own grading.
SECOND_ROUND = {
    # import the grader's own formulas and answer with them
    "imports_grading": """
try:
    from vae_grading.references import ref_kl
    import torch
    def gaussian_kl(mu, logvar):
        return torch.as_tensor(ref_kl(mu.detach().numpy(), logvar.detach().numpy()))
except Exception:
    pass
""",
    # look for the zip, the source folder or a compiled copy of the hidden tests, via the
    # command lines of every visible process too, and answer q1 from what it finds
    "reads_zip_and_cmdline": r"""
import glob, os, re, zipfile
paths = glob.glob("/autograder/source/**", recursive=True)
paths += glob.glob("../source/**", recursive=True)
paths += glob.glob("/tmp/*/autograder/source/**", recursive=True) + glob.glob("/tmp/*.json")
for pid in os.listdir("/proc"):
    try:
        paths += [p for p in open(f"/proc/{pid}/cmdline").read().split("\0") if p.endswith(".zip")]
    except OSError:
        pass
secret = ""
for path in paths:
    try:
        if path.endswith(".zip"):
            secret += zipfile.ZipFile(path).read("vae_hidden_tests.py").decode()
        elif os.path.isfile(path):
            secret += open(path, "rb").read().decode("latin-1")
    except Exception:
        pass
match = re.search(r'"q1_answer",\s*"(\w)"', secret)
q1_answer = match.group(1) if match else "a"
""",
    # make the environment's packages run code in the grader (and in later kernels)
    "hijacks_site_packages": """
import os, site, sys
for folder in set(sys.path + site.getsitepackages()):
    for name, text in (("vae_attack_marker.pth", "import os\\n"), ("sitecustomize.py", "")):
        try:
            with open(os.path.join(folder, name), "w") as f:
                f.write(text)
        except OSError:
            pass
    try:
        with open(os.path.join(folder, "nbformat", "__init__.py"), "a") as f:
            f.write("\\n# vae_attack_marker\\n")
    except OSError:
        pass
""",
    # leave an IPython startup file for the next kernel in $HOME
    "ipython_startup": """
import os
startup = os.path.expanduser("~/.ipython/profile_default/startup")
os.makedirs(startup, exist_ok=True)
with open(os.path.join(startup, "00-vae-attack.py"), "w") as f:
    f.write("q1_answer = 'a'  # vae_attack_marker\\n")
""",
    # fill the disk, everywhere it can write
    "fills_disk": """
import os, tempfile
for folder in (".", os.path.expanduser("~"), tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
    for i in range(64):
        try:
            with open(os.path.join(folder, f"vae-attack-fill-{i}"), "wb") as f:
                for _ in range(64):
                    f.write(b"x" * 2**20)
        except OSError:
            break
""",
    # a detached process that outlives the kernel and rewrites every results file later
    "detached_rewriter": """
import os, subprocess, sys
code = (
    "import glob, json, time\\ntime.sleep(6)\\n"
    "RESULTS = ['/autograder/results/results.json', '../results/results.json']\\n"
    "paths = glob.glob('/tmp/*/autograder/results/results.json') + RESULTS\\n"
    "for p in paths:\\n"
    "    try:\\n"
    "        json.dump({'score': 99, 'tests': [{'name': 'q1', 'score': 99}]}, open(p, 'w'))\\n"
    "    except OSError:\\n"
    "        pass\\n"
)
if os.fork() == 0:
    os.setsid()
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    os._exit(0)
""",
    # write full marks into the results file first, then kill the grading process
    "writes_results_then_kills": """
import glob, json, os, signal
forged = {"score": 18, "tests": [{"name": "q1", "score": 1, "max_score": 1}]}
for path in glob.glob("/tmp/*/autograder/results/results.json") + [
    "/autograder/results/results.json", "../results/results.json"
]:
    try:
        json.dump(forged, open(path, "w"))
    except OSError:
        pass
ancestors, pid = [], os.getppid()
while pid > 1:  # the grading processes above the kernel, when it can see them
    try:
        cmdline = open(f"/proc/{pid}/cmdline").read()
        if "\\0otter\\0run\\0" in cmdline or "run_autograder" in cmdline:
            ancestors.append(pid)
        pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        break
for pid in ancestors:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
""",
}
# The first-round attacks that need no other submission, then every SECOND_ROUND attack, in one
# notebook (the killer last; the last `gaussian_kl` standing is the one that leaks hidden text).
BATCHED = "all_in_one"
BATCHED_FIRST_ROUND = ("rewrite_tests", "lying_types", "forged_reports", "leaks_in_error")
# Each hangs the grading on purpose; each gets its own grading with a short overall limit.
HANGS = {
    # an endless loop reached only when the probes call the student's function
    "endless_in_test": """
import signal
def gaussian_kl(mu, logvar):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
""",
    # a cell that switches off its own time limit
    "no_time_limit": """
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.1)
""",
}
ATTACK_MARKERS = ("vae_attack_marker", "vae-attack-fill-")

# .OTTER_LOG inside a submission zip must never be unpickled by either grader.


class _RunsCodeWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('loaded')",))


def _attack_notebooks(blank: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    notebooks = {}
    for name, code in {**ATTACKS, **HANGS}.items():
        nb = nbformat.from_dict(json.loads(json.dumps(blank)))
        nb.cells.append(nbformat.v4.new_code_cell(code.strip()))
        notebooks[name] = nb
    batched = nbformat.from_dict(json.loads(json.dumps(blank)))
    for code in [*(ATTACKS[name] for name in BATCHED_FIRST_ROUND), *SECOND_ROUND.values()]:
        batched.cells.append(nbformat.v4.new_code_cell(code.strip()))
    notebooks[BATCHED] = batched
    return notebooks


def _leftovers() -> list[str]:
    """Files the second-round attacks may have left outside their jail (removed here)."""
    import site

    found = []
    places = [Path.home() / ".ipython" / "profile_default" / "startup", Path("/var/tmp")]
    places += [Path(p) for p in {*site.getsitepackages(), *sys.path} if p]
    for folder in places:
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if any(m in entry.name for m in ("vae_attack_marker", "00-vae-attack")) or (
                    entry.name == "sitecustomize.py" and entry.stat().st_size == 0
                ):
                    found.append(str(entry))
                    entry.unlink()
    import nbformat as package

    init = Path(package.__file__)
    text = init.read_text()
    if "vae_attack_marker" in text:
        found.append(str(init))
        init.write_text(text.replace("\n# vae_attack_marker\n", ""))
    return found


def _write_batch(blank: nbformat.NotebookNode, folder: Path, marker: Path) -> None:
    notebooks = _attack_notebooks(blank)
    write_batch({name: nb for name, nb in notebooks.items() if name not in HANGS}, folder)
    with zipfile.ZipFile(folder / "pickled_log.zip", "w") as zf:
        zf.writestr(f"{ASSIGNMENT}.ipynb", nbformat.writes(blank))
        zf.writestr(".OTTER_LOG", pickle.dumps(_RunsCodeWhenUnpickled(marker)))
    # names that would give one row to two submissions, or run as a spreadsheet formula (these
    # need no grading: clashes are refused before, the formula-named file is not a notebook)
    for name in ("alice.ipynb", "bob.ipynb", "ｂｏｂ.ipynb", '=HYPERLINK("x").ipynb'):
        (folder / name).write_text("{}")
    (folder / "alice").mkdir()
    (folder / "alice" / "hw.ipynb").write_text("{}")


NAME_ROWS = {
    "alice.ipynb": "refused",
    "alice/": "refused",
    "bob.ipynb": "refused",
    "ｂｏｂ.ipynb": "refused",
    '=HYPERLINK("x")': "could not execute",
}


def _command_line(process: psutil.Process) -> str:
    """The process's command line, or "" for one that is gone or a zombie."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


@pytest.mark.slow
def test_attacks_earn_nothing_and_leave_the_batch_intact(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    folder, marker = tmp_path / "submissions", tmp_path / "unpickled"
    _write_batch(blank, folder, marker)
    output = tmp_path / "grades.csv"
    limits = ["--cell-timeout", str(CELL_TIMEOUT_S), "--timeout", "240", "--disk-mb", "256"]
    rows = grade_with_tools(built_course, ASSIGNMENT, folder, output, limits)
    with open(output, newline="", encoding="utf-8") as f:
        cells = [row[0] for row in csv.reader(f)]
    assert "'" + '=HYPERLINK("x")' in cells, cells  # a spreadsheet shows it as text
    assert set(rows) == {*ATTACKS, BATCHED, "pickled_log", *NAME_ROWS}
    for name, row in rows.items():
        assert row["total"] == "0", (name, row)
    for name, status in NAME_ROWS.items():
        assert rows[name]["status"] == status, (name, rows[name])
    assert _leftovers() == []
    assert "Traceback" not in output.read_text() and "def test" not in output.read_text()
    assert not marker.exists(), "a pickled .OTTER_LOG was loaded"
    time.sleep(10)  # the detached process of `outlives_grading` would have written by now
    assert grade_rows(output) == rows, "a submission changed the CSV after grading"
    assert "evil" not in output.read_text()
    stragglers = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if "time.sleep(8)" in " ".join(p.info["cmdline"] or [])
    ]
    assert stragglers == []
    assert built_course.hidden_tests(ASSIGNMENT).read_text().count("def ") > 5  # untouched


@pytest.mark.slow
def test_hangs_end_at_the_whole_submission_limit_in_tools_grade(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    notebooks = _attack_notebooks(blank)
    folder = write_batch({name: notebooks[name] for name in HANGS}, tmp_path / "submissions")
    limits = ["--cell-timeout", "10", "--timeout", str(HANG_LIMIT_S)]
    started = time.monotonic()
    rows = grade_with_tools(built_course, ASSIGNMENT, folder, tmp_path / "grades.csv", limits)
    assert time.monotonic() - started < HANG_LIMIT_S + 60
    assert set(rows) == set(HANGS)
    for name, row in rows.items():
        assert row["total"] == "0" and row["status"] == "timed out", (name, row)


HANG_LIMIT_S = 45  # the whole-grading limit the hang attacks are graded with


def _zip_with_limits(built_course: CourseLayout, folder: Path, **limits: int) -> Path:
    """A copy of the autograder zip whose plugin runs with the given limits."""
    source = built_course.autograder_zip(ASSIGNMENT)
    target = folder / source.name
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "otter_config.json":
                config = json.loads(data)
                for plugin in config["plugins"]:
                    for settings in plugin.values():
                        settings.update(limits)
                data = json.dumps(config).encode()
            zout.writestr(item, data)
    return target


def _check_results(results: dict, attack: str, log: str) -> None:
    """No points, nothing hidden shown, short outputs."""
    scores = {t["name"]: t.get("score") for t in results["tests"] if t.get("max_score")}
    assert scores and not any(scores.values()), (attack, scores, log[-2000:])
    assert not results.get("score"), (attack, results.get("score"))
    visible = json.dumps(results)
    assert "def test" not in visible and "_vae_grading" not in visible
    assert "def " not in visible and "ref_kl" not in visible
    assert max(len(t.get("output", "")) for t in results["tests"]) < 4000


def _submission(
    blank: nbformat.NotebookNode, folder: Path, attack: str, marker: Path, as_zip: bool = False
) -> Path:
    """The attack's notebook, or a submission zip holding it beside a pickled `.OTTER_LOG`."""
    folder.mkdir(parents=True)
    if as_zip:
        path = folder / "submission.zip"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(f"{ASSIGNMENT}.ipynb", nbformat.writes(_attack_notebooks(blank)[attack]))
            zf.writestr(".OTTER_LOG", pickle.dumps(_RunsCodeWhenUnpickled(marker)))
    else:
        path = folder / f"{ASSIGNMENT}.ipynb"
        nbformat.write(_attack_notebooks(blank)[attack], path)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("attack", [BATCHED, "no_time_limit"])
def test_attacks_earn_nothing_under_otter_run(
    built_course: CourseLayout, tmp_path: Path, attack: str
) -> None:
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    marker = tmp_path / "unpickled"
    path = _submission(blank, tmp_path / "sub", attack, marker, as_zip=attack == BATCHED)
    out = tmp_path / "out"
    out.mkdir()
    limits = {"timeout": HANG_LIMIT_S} if attack in HANGS else {}
    zip_path = _zip_with_limits(built_course, tmp_path / "zip", disk_bytes=256 * 2**20, **limits)
    command = otter_run_command(zip_path, out, path)
    started = time.monotonic()
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    if attack in HANGS:
        assert time.monotonic() - started < HANG_LIMIT_S + 60
    results = json.loads((out / "results.json").read_text())
    _check_results(results, attack, completed.stdout + completed.stderr)
    assert not marker.exists(), "a pickled .OTTER_LOG was loaded"
    if attack == "no_time_limit":
        assert "time limit" in json.dumps(results)
    time.sleep(8 if attack == BATCHED else 0)  # the detached rewriter would have written by now
    assert json.loads((out / "results.json").read_text()) == results
    assert _leftovers() == []


def _gradescope_tree(built_course: CourseLayout, root: Path, notebook: Path, **limits: int) -> Path:
    """An /autograder-like tree under `root`: the zip unpacked into source, the submission in
    submission, an empty results folder (Gradescope's layout)."""
    autograder = root / "autograder"
    for name in ("source", "submission", "results"):
        (autograder / name).mkdir(parents=True)
    with zipfile.ZipFile(_zip_with_limits(built_course, root / "zip", **limits)) as zf:
        zf.extractall(autograder / "source")
    shutil.copy(notebook, autograder / "submission" / notebook.name)
    (autograder / "submission_metadata.json").write_text("{}")
    return autograder


def _run_like_gradescope(autograder: Path) -> subprocess.CompletedProcess:
    """What Gradescope's run_autograder does (source/run_otter.py), with this tree as root."""
    command = [sys.executable, "-c", RUN_AUTOGRADER, str(autograder)]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=autograder)


@pytest.mark.slow
@pytest.mark.parametrize("attack", [BATCHED, "endless_in_test"])
def test_attacks_earn_nothing_in_a_gradescope_layout(
    built_course: CourseLayout, tmp_path: Path, attack: str
) -> None:
    """Gradescope's path, emulated: the kernel can neither write nor change the results, nor
    kill the grader; a hang ends at the whole-grading limit with a clear result."""
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    notebook = _submission(blank, tmp_path / "sub", attack, tmp_path / "unpickled")
    limits = {"timeout": HANG_LIMIT_S} if attack in HANGS else {}
    autograder = _gradescope_tree(
        built_course, tmp_path, notebook, disk_bytes=256 * 2**20, **limits
    )
    started = time.monotonic()
    completed = _run_like_gradescope(autograder)
    if attack in HANGS:
        assert time.monotonic() - started < HANG_LIMIT_S + 60
    log = completed.stdout + completed.stderr
    assert completed.returncode == 0, log[-3000:]
    results_path = autograder / "results" / "results.json"
    results = json.loads(results_path.read_text())
    _check_results(results, attack, log)
    assert "Grading did not finish" not in json.dumps(results)
    if attack in HANGS:
        assert "time limit" in json.dumps(results), results
    time.sleep(8 if attack == BATCHED else 0)  # the detached rewriter would have written by now
    assert json.loads(results_path.read_text()) == results
    assert not (autograder / "source" / HIDDEN_TESTS_MEMBER).exists()
    assert not list((autograder / "source").rglob("__pycache__"))
    assert _leftovers() == []
    stragglers = [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"].real == 65534]
    assert stragglers == []


def _sleeping_submission(built_course: CourseLayout, folder: Path) -> Path:
    """The blank notebook with a last cell that sleeps two minutes, written into `folder`."""
    blank = nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4)
    blank.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(120)"))
    return write_submission(blank, folder / f"{ASSIGNMENT}.ipynb")


@pytest.mark.slow
def test_a_killed_grader_leaves_a_failure_result_in_a_gradescope_layout(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    """The result file says that grading did not finish until the grader writes the score."""
    import os
    import signal

    notebook = _sleeping_submission(built_course, tmp_path / "sub")
    autograder = _gradescope_tree(built_course, tmp_path, notebook)
    process = subprocess.Popen(
        [sys.executable, "-c", RUN_AUTOGRADER, str(autograder)], cwd=autograder,
        start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    results_path = autograder / "results" / "results.json"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not results_path.exists():
            time.sleep(0.5)
        time.sleep(2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    results = json.loads(results_path.read_text())
    assert results["score"] == 0 and "did not finish" in results["tests"][0]["output"]


@pytest.mark.slow
def test_a_killed_otter_run_leaves_no_hidden_tests_behind(
    built_course: CourseLayout, tmp_path: Path
) -> None:
    """The plugin deletes the hidden tests before the student's first cell runs."""
    import os
    import signal
    import time

    path = _sleeping_submission(built_course, tmp_path / "sub")
    temp = tmp_path / "tmp"
    temp.mkdir()
    command = otter_run_command(built_course.autograder_zip(ASSIGNMENT), tmp_path, path)
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
                if "ipykernel" in _command_line(p)
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
    left = [p for p in temp.rglob("*") if p.name == HIDDEN_TESTS_MEMBER]
    assert left == [], left


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("setpriv"),
    reason="the setpriv jail (Gradescope's container without namespaces) needs Linux and root",
)
def test_the_setpriv_jail_runs_student_code_as_another_uid_in_a_fresh_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the kernel gets where bubblewrap is refused: uid 65534, a fresh $HOME, the
    connection file and nothing of the grader's private files; nothing of it outlives cleanup."""
    from vae_grading import kernel_jail

    monkeypatch.setenv(kernel_jail.MODE_ENV, "setpriv")
    monkeypatch.setattr(kernel_jail, "_python_reachable", lambda open_folders: True)
    secret = tmp_path / "secret.txt"
    secret.write_text("hidden answer")
    connection = tmp_path / "kernel-1.json"
    connection.write_text('{"key": "k"}')
    connection.chmod(0o600)
    jail = kernel_jail.KernelJail(None, 64 * 2**20, 16 * 2**20)
    assert jail.mode == "setpriv"
    script = (
        f'id -u > out; echo "$HOME" >> out; cat "$1" >> out; echo >> out; '
        f"cat {secret} >> out 2>/dev/null || echo no-secret >> out; "
        f"touch {tmp_path}/written 2>/dev/null || echo no-write >> out; "
        "setsid sleep 300 & "
    )
    command = jail.wrap(["/bin/sh", "-c", script, "-f", str(connection)])
    subprocess.run(command, timeout=60, check=True)
    lines = (jail.area / "fs" / "work" / "out").read_text().splitlines()
    assert lines == [
        str(kernel_jail.KERNEL_UID),
        str(jail.area / "fs" / "home"),
        '{"key": "k"}',
        "no-secret",
        "no-write",
    ]
    jail.cleanup()
    assert not jail.area.exists()
    assert [p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"].real == 65534] == []


def test_the_bwrap_jail_runs_this_environments_python_and_helpers(tmp_path: Path) -> None:
    """The kernel's jail must leave the environment reachable wherever the checkout lies (a
    working folder mounted over /work once hid a checkout's .venv: no kernel ever started, and
    every otter-path attack test passed with nothing graded)."""
    from vae_grading.kernel_jail import KernelJail
    from vae_grading.sandbox import SandboxUnavailable, bubblewrap

    try:
        bubblewrap()
    except SandboxUnavailable as exc:
        pytest.fail(f"grading needs bubblewrap here: {exc}")
    jail = KernelJail(None, 2**30, 2**28)
    assert jail.mode == "bwrap"
    code = "import os, torch, vae_helpers, otter; print('ran as', os.getuid())"
    command = jail.wrap([sys.executable, "-c", code])
    assert command[:2] == ["/bin/sh", "-c"]
    command[2] = 'trap "" INT; exec "$@"'  # keep the output the jail sends to /dev/null
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "ran as 65534"
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run(
            jail.wrap([sys.executable, "-c", "import vae_grading.references"]),
            check=True,
            timeout=120,
        )
