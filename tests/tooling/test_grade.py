"""`python -m tools.grade` on a batch of deliberately broken submissions, graded to a known CSV."""

from __future__ import annotations

import copy
import csv
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import psutil
import pytest

from tests.tooling.graders import grade_with_tools
from tools.course.layout import CourseLayout
from tools.course.submissions import (
    FORMULA_STARTS,
    CsvSink,
    GradeRow,
    GradingLimits,
    canonical_notebook,
    discover_submissions,
    run_isolated,
)
from tools.grade import main as grade_main
from vae_grading.autograder import QuestionPoints

ASSIGNMENT = "02_vae_theory"  # built in a temporary checkout by conftest.course_build
EXPECTED_CSV = Path(__file__).resolve().parent / "expected_batch.csv"
CELL_TIMEOUT_S = 10  # small, so that the endless loops cost little; imports are not timed

# What each submission's `reason` must mention; every other submission's reason must be empty.
EXPECTED_REASONS = {
    "syntax_error": "SyntaxError",
    "exception": "RuntimeError",
    "infinite_loop": f"stopped at the {CELL_TIMEOUT_S} s limit",
    "endless_function": f"stopped at the {CELL_TIMEOUT_S} s limit",
    "not_a_notebook": "not a readable notebook",
}


class _RunsCodeWhenUnpickled:
    """A crafted `.OTTER_LOG` entry: unpickling it creates `marker` (it must never happen)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (exec, (f"open({str(self.marker)!r}, 'w').write('loaded')",))


def _cell_index(nb: nbformat.NotebookNode, starts_with: str) -> int:
    """The index of the one code cell whose source starts with `starts_with`."""
    found = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and cell.source.startswith(starts_with)
    ]
    assert len(found) == 1, f"{ASSIGNMENT}: expected one code cell starting {starts_with!r}"
    return found[0]


def _edited(
    key: nbformat.NotebookNode, starts_with: str, edit: Callable[[str], str]
) -> nbformat.NotebookNode:
    """A copy of the key whose cell starting with `starts_with` has its source edited."""
    nb = copy.deepcopy(key)
    cell = nb.cells[_cell_index(nb, starts_with)]
    cell.source = edit(cell.source)
    return nb


def _write(path: Path, nb: nbformat.NotebookNode) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


def make_broken_batch(key: nbformat.NotebookNode, folder: Path, marker: Path) -> None:
    """The submissions named in expected_batch.csv, each the answer key with one thing broken.

    In the key, `negative_elbo` (q9) calls `gaussian_kl` (q2), but q9 is judged with reference
    terms swapped in, so losing `gaussian_kl` costs q2 only: one mistake, one question.
    """
    with zipfile.ZipFile(folder / "correct_zip.zip", "w") as zf:
        zf.writestr("submission/renamed.ipynb", nbformat.writes(key))
        zf.writestr(".OTTER_LOG", pickle.dumps(_RunsCodeWhenUnpickled(marker)))
        zf.writestr("../escaped.txt", "outside")
    _write(  # the cell does not compile: monte_carlo_kl (q5) is never defined
        folder / "syntax_error.ipynb",
        _edited(key, "def monte_carlo_kl", lambda s: s + "\n    return (mu +\n"),
    )
    _write(  # raises before defining gaussian_kl: q2 is lost, q9 is judged with reference terms
        folder / "exception.ipynb",
        _edited(key, "def gaussian_kl", lambda s: 'raise RuntimeError("not finished")\n' + s),
    )
    _write(  # the cell is interrupted before q7_answer is set
        folder / "infinite_loop.ipynb",
        _edited(key, "q7_answer =", lambda s: "while True:\n    pass\n" + s),
    )
    _write(  # reparameterize never returns, so q6's tests hang (in its check cell and at the end)
        folder / "endless_function.ipynb",
        _edited(
            key,
            "def reparameterize",
            lambda s: s.replace('"""\n', '"""\n    while True:\n        pass\n', 1),
        ),
    )
    deleted = copy.deepcopy(key)  # q3's answer cell is gone; q7's check cell too (still graded)
    for index in sorted(
        [_cell_index(deleted, "q3_answer ="), _cell_index(deleted, 'grader.check("q7")')],
        reverse=True,
    ):
        del deleted.cells[index]
    _write(folder / "deleted_cells.ipynb", deleted)
    _write(folder / "my copy (2).ipynb", key)  # saved under another name
    foreign = copy.deepcopy(key)
    foreign.metadata.kernelspec = {
        "name": "conda-env-vae-py",
        "display_name": "vae",
        "language": "python",
    }
    _write(folder / "foreign_kernel.ipynb", foreign)
    (folder / "not_a_notebook.ipynb").write_text("this is not JSON")
    # A wrong q10 answer (its public check passes, worth nothing) and a late attempt to make
    # every tensor comparison pass, which changes nothing: verdicts are computed outside.
    tampered = _edited(key, "q10_answer =", lambda s: 'q10_answer = "b"')
    tampered.cells.append(nbformat.v4.new_code_cell("torch.allclose = lambda *a, **k: True"))
    _write(folder / "tampered.ipynb", tampered)
    (folder / "README.txt").write_text("not a submission: skipped")


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_broken_batch_is_graded_to_the_expected_csv(
    built_course: CourseLayout, answer_key: Path, tmp_path: Path
) -> None:
    folder, marker = tmp_path / "submissions", tmp_path / "otter_log_was_loaded"
    folder.mkdir()
    make_broken_batch(nbformat.read(answer_key, as_version=4), folder, marker)
    output = tmp_path / "grades.csv"
    limits = ["--cell-timeout", str(CELL_TIMEOUT_S), "--timeout", "300"]
    grade_with_tools(built_course, ASSIGNMENT, folder, output, limits)

    rows, expected = _read_csv(output), _read_csv(EXPECTED_CSV)
    assert list(rows[0]) == [*expected[0], "reason"]
    assert [r["submission"] for r in rows] == [e["submission"] for e in expected]
    for row, want in zip(rows, expected, strict=True):
        got = {column: row[column] for column in want}
        assert got == want, (
            f"{row['submission']} ({row['reason']}): if {ASSIGNMENT}'s questions or points "
            f"changed, update {EXPECTED_CSV.name}"
        )
        assert EXPECTED_REASONS.get(row["submission"], "") in row["reason"], row
        if row["submission"] not in EXPECTED_REASONS:
            assert row["reason"] == "", row
    assert not marker.exists(), "the .OTTER_LOG inside a submission zip was loaded"
    assert not (tmp_path / "escaped.txt").exists()


def test_a_submission_past_its_limit_is_killed_and_cleaned_up(
    built_course: CourseLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    nb = canonical_notebook(
        nbformat.read(built_course.student_notebook(ASSIGNMENT), as_version=4), ASSIGNMENT
    )
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    limits = GradingLimits(cell_timeout_s=60, submission_timeout_s=20)
    run = run_isolated(nb, ASSIGNMENT, built_course.autograder_zip(ASSIGNMENT), limits)
    assert run.timed_out
    assert list(tmp_path.iterdir()) == []  # the work folder is removed
    leftovers = [
        p
        for p in psutil.process_iter(["cmdline"])
        if "execute.py" in " ".join(p.info["cmdline"] or [])
        or "time.sleep(600)" in " ".join(p.info["cmdline"] or [])
    ]
    assert leftovers == []


def test_submissions_are_found_in_files_zips_and_folders(tmp_path: Path) -> None:
    (tmp_path / "a.ipynb").write_text("{}")
    (tmp_path / "a.zip").write_bytes(b"")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "hw.ipynb").write_text("{}")
    (tmp_path / "c").mkdir()
    (tmp_path / ".hidden.ipynb").write_text("{}")
    (tmp_path / "notes.pdf").write_text("")
    found = {
        s.identifier: (s.path.name if s.path else None, s.problem)
        for s in discover_submissions(tmp_path)
    }
    assert {k: v if v[1] is None else (v[0], v[1][:40]) for k, v in found.items()} == {
        "a.ipynb": (None, "refused: its name clashes with 'a.zip' ("),
        "a.zip": (None, "refused: its name clashes with 'a.ipynb'"),
        "b": ("hw.ipynb", None),
        "c": (None, "folder holds no .ipynb or .zip"),
    }


def test_clashing_and_look_alike_names_are_refused_each_on_its_own_row(tmp_path: Path) -> None:
    """A folder named like a classmate's notebook, a case twin and a Unicode twin take no row."""
    for name in ("alice.ipynb", "Bob.ipynb", "ｂｏｂ.ipynb", "carol.ipynb", "carol.ipynb.zip"):
        (tmp_path / name).write_text("{}")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "hw.ipynb").write_text("{}")
    found = {s.identifier: s for s in discover_submissions(tmp_path)}
    assert set(found) == {
        "alice.ipynb",
        "alice/",
        "Bob.ipynb",
        "ｂｏｂ.ipynb",
        "carol",
        "carol.ipynb",
    }
    for name in ("alice.ipynb", "alice/", "Bob.ipynb", "ｂｏｂ.ipynb"):
        assert found[name].path is None and "refused: its name clashes" in str(found[name].problem)
    assert found["carol"].path == tmp_path / "carol.ipynb"
    assert found["carol.ipynb"].path == tmp_path / "carol.ipynb.zip"


FORMULA_NAMES = ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", "'quoted", "plain")


def test_formula_cells_are_written_as_text_and_read_back_on_resume(tmp_path: Path) -> None:
    questions = [QuestionPoints("q1", 1.0)]
    path = tmp_path / "g.csv"
    sink = CsvSink(path, questions)
    for name in FORMULA_NAMES:
        sink.add(GradeRow(name, {"q1": 1.0}, 1.0, 1.0, reason="=cmd|' /C calc'!A0"))
    sink.close()
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    assert len(rows) == len(FORMULA_NAMES)
    for row in rows:
        for cell in (row[0], row[-1]):
            assert not cell.startswith(FORMULA_STARTS), row
    resumed = CsvSink(path, questions, resume=True)
    assert resumed.done == set(FORMULA_NAMES)
    resumed.close()


def test_canonical_notebook_fixes_kernel_and_assignment_name() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nb.metadata.kernelspec = {"name": "weird", "display_name": "w", "language": "python"}
    fixed = canonical_notebook(nb, "01_x")
    assert fixed.metadata.kernelspec["name"] == "python3"
    assert fixed.metadata.otter["assignment_name"] == "01_x"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["/nonexistent/folder", "--assignment", ASSIGNMENT], "does not exist"),
        (["{empty}", "--assignment", "99_nope"], "no autograder for assignment '99_nope'"),
        (["{empty}", "--assignment", ASSIGNMENT], "no submissions in"),
        (["", "--assignment", ASSIGNMENT], "give the submissions folder"),
    ],
)
def test_grade_explains_bad_input(
    built_course: CourseLayout,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    argv = [a.replace("{empty}", str(tmp_path)) for a in argv]
    argv += ["--root", str(built_course.root), "--output", str(tmp_path / "g.csv")]
    assert grade_main(argv) == 2
    assert message in capsys.readouterr().err
