"""One gradebook: auto-graded scores and filled score sheets, per assignment and course-wide.

Usage: python -m tools.gradebook [NN_name ...] [--grades grades] [--review review]
       [--scores NN_name=export.csv] [--output grades/gradebook] [--allow-pending]

For each assignment (default: every one with a `grades/NN_name.csv`) it reads the auto-graded CSV
of `make grade` (or, with `--scores NN_name=FILE`, Gradescope's score export), the score sheets
in `review/NN_name/` and the rubrics in `solutions/`, and writes `grades/gradebook/NN_name.csv`
(one row per student: every question, auto and written totals), `grades/gradebook/course.csv`
(one row per student, one column per assignment) and the feedback files with the written
answers' rubric items and comments. Any problem in the inputs (a student missing from or twice in
a sheet, a score above the rubric's points, a sheet of another assignment, a sheet scored against
an answer that has changed since) is listed and nothing is written; inputs are never changed,
and a gradebook edited by hand since it was written is never overwritten.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

from tools.cli import command_parser
from tools.course.feedback import (
    QuestionFeedback,
    SubmissionFeedback,
    auto_feedback,
    feedback_folder,
    messages_path,
    read_messages,
    write_feedback_files,
)
from tools.course.gradetables import GradeEntry, GradeTableError, read_grade_table
from tools.course.layout import CourseLayout
from tools.course.merging import MergedAssignment, MergeError, merge_assignment
from tools.course.rubrics import RubricError, load_manual_questions
from tools.course.submissions import _natural_key
from vae_grading.autograder import possible_points, read_points

STATE_FILE = ".gradebook-state.json"


class GradebookError(ValueError):
    """A gradebook run that cannot go on; the message says what to do."""


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def assignment_rows(merged: MergedAssignment) -> tuple[list[str], list[list[str]]]:
    """The header and rows of one assignment's gradebook sheet."""
    table = merged.table
    written_names = [q.name for q in merged.questions]
    auto_names = [q for q in table.questions if q not in written_names]
    header = [
        "student", "name", "email", "status", "reason",
        *auto_names, *written_names,
        "auto_total", "written_total", "total", "max_total", "pending",
    ]  # fmt: skip
    max_total = sum(table.possible.get(q, 0.0) for q in auto_names) + sum(
        q.points for q in merged.questions
    )
    rows = []
    for sub in sorted(table.entries, key=_natural_key):
        entry = table.entries[sub]
        auto = [entry.scores.get(q) for q in auto_names]
        written = [
            merged.written[sub][q].points if q in merged.written[sub] else None
            for q in written_names
        ]
        pending = [q for q, v in zip(written_names, written, strict=True) if v is None]
        if entry.status == NO_SUBMISSION:
            pending = []
        auto_total = sum(v or 0.0 for v in auto)
        written_total = sum(v or 0.0 for v in written)
        rows.append(
            [
                sub,
                entry.name,
                entry.email,
                entry.status,
                entry.reason,
                *map(_fmt, auto),
                *map(_fmt, written),
                _fmt(auto_total),
                _fmt(written_total),
                _fmt(auto_total + written_total),
                _fmt(max_total),
                " ".join(pending),
            ]  # fmt: skip
        )
    return header, rows


def course_rows(
    sheets: dict[str, tuple[list[str], list[list[str]]]],
) -> tuple[list[str], list[list[str]]]:
    """One row per student across assignments: each assignment's total, the course total."""
    totals: dict[str, dict[str, str]] = {}
    maxima: dict[str, float] = {}
    for assignment, (header, rows) in sheets.items():
        at_total, at_max = header.index("total"), header.index("max_total")
        for row in rows:
            totals.setdefault(row[0], {})[assignment] = row[at_total]
            maxima[assignment] = float(row[at_max] or 0)
    names = sorted(sheets)
    out = []
    for student in sorted(totals, key=_natural_key):
        values = [totals[student].get(a, "") for a in names]
        missing = [a for a, v in zip(names, values, strict=True) if v == ""]
        total = sum(float(v) for v in values if v)
        out.append([student, *values, _fmt(total), _fmt(sum(maxima.values())), " ".join(missing)])
    return ["student", *names, "total", "max_total", "missing"], out


def _csv_text(header: list[str], rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_outputs(output: Path, files: dict[str, str]) -> None:
    """Write the gradebook files, refusing when one was edited by hand since the last run."""
    state_path = output / STATE_FILE
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.is_file() else {}
    edited = [
        name
        for name in files
        if (output / name).is_file()
        and _digest((output / name).read_text(encoding="utf-8")) != state.get(name)
    ]
    if edited:
        raise GradebookError(
            f"{', '.join(str(output / n) for n in edited)} changed since the gradebook wrote "
            "it (edited by hand?). Scores belong in the score sheets; move the file away "
            "(nothing is overwritten) and run again"
        )
    output.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        partial = output / f".{name}.partial"
        partial.write_text(text, encoding="utf-8")
        partial.replace(output / name)
        state[name] = _digest(text)
    state_path.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def merged_feedback(merged: MergedAssignment, grade_csv: Path) -> list[SubmissionFeedback]:
    """Feedback for every student: auto-graded messages plus written rubric items and comments."""
    records = read_messages(messages_path(grade_csv))
    written_names = {q.name for q in merged.questions}
    auto_possible = {q: p for q, p in merged.table.possible.items() if q not in written_names}
    items = []
    for sub, entry in merged.table.entries.items():
        if entry.status == NO_SUBMISSION:
            continue
        feedback = auto_feedback(merged.assignment, entry, auto_possible, records.get(sub))
        for question in merged.questions:
            score = merged.written[sub].get(question.name)
            feedback.questions.append(
                QuestionFeedback(
                    question.name,
                    score.points if score else None,
                    question.points,
                    items=[
                        (i.label, score.items.get(i.key) if score else None, i.points)
                        for i in question.rubric.items
                    ]
                    if score is None or score.items
                    else [],
                    comment=score.comment if score else "",
                    written=True,
                )
            )
        items.append(feedback)
    return items


NO_SUBMISSION = "no submission"


def read_roster(path: Path) -> tuple[dict[str, GradeEntry], list[str]]:
    """Students of a roster CSV (column student, SID or submission; optional name, email)."""
    if not path.is_file():
        raise GradebookError(f"roster {path} does not exist")
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    column = next((c for c in ("student", "SID", "submission") if rows and c in rows[0]), None)
    if column is None:
        raise GradebookError(f"roster {path} needs a column student (or SID, or submission)")
    students: dict[str, GradeEntry] = {}
    problems = []
    for number, row in enumerate(rows, start=2):
        student = (row.get(column) or "").strip()
        if not student:
            continue
        if student in students:
            problems.append(f"roster {path} line {number}: {student!r} appears twice")
        name = (row.get("name") or row.get("Name") or "").strip()
        email = (row.get("email") or row.get("Email") or "").strip()
        students[student] = GradeEntry(student, {}, NO_SUBMISSION, "", name, email)
    return students, problems


def apply_roster(merged: MergedAssignment, roster: dict[str, GradeEntry]) -> list[str]:
    """Add a row for every roster student without a submission; problems for unknown students."""
    problems = [
        f"{merged.table.source}: {sub!r} is not on the roster (a misnamed submission?)"
        for sub in sorted(merged.table.entries)
        if sub not in roster
    ]
    for student, entry in roster.items():
        if student not in merged.table.entries:
            merged.table.entries[student] = GradeEntry(
                student, {}, NO_SUBMISSION, "", entry.name, entry.email
            )
            merged.written[student] = {}
        elif entry.name or entry.email:
            known = merged.table.entries[student]
            known.name, known.email = known.name or entry.name, known.email or entry.email
    return problems


def _scores_overrides(values: list[str]) -> dict[str, Path]:
    overrides = {}
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not name or not path:
            raise GradebookError(f"--scores takes NN_name=FILE, got {value!r}")
        overrides[name] = Path(path)
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("gradebook", __doc__)
    parser.add_argument("assignments", nargs="*", help="NN_name (default: all with a grade CSV)")
    parser.add_argument("--grades", type=Path, default=Path("grades"), help="make grade's folder")
    parser.add_argument("--review", type=Path, default=Path("review"), help="make review's folder")
    parser.add_argument(
        "--scores", action="append", default=[], metavar="NN_name=FILE",
        help="use this CSV (e.g. Gradescope's score export) instead of grades/NN_name.csv",
    )  # fmt: skip
    parser.add_argument("--output", type=Path, help="folder (default: GRADES/gradebook)")
    parser.add_argument(
        "--allow-pending", action="store_true", help="write rows whose written answers are unscored"
    )
    parser.add_argument(
        "--roster", type=Path, help="CSV of the class (column student or SID; name, email)"
    )
    args = parser.parse_args(argv)
    layout = CourseLayout(args.root.resolve())
    output = args.output or args.grades / "gradebook"
    try:
        overrides = _scores_overrides(args.scores)
        names = args.assignments or sorted(
            {p.stem for p in args.grades.glob("*.csv") if p.stem in layout.assignments()}
            | set(overrides)
        )
        if not names:
            raise GradebookError(f"no grade CSVs in {args.grades}: run make grade first")
        sheets, files, feedback = {}, {}, {}
        problems: list[str] = []
        roster: dict[str, GradeEntry] | None = None
        if args.roster:
            roster, roster_problems = read_roster(args.roster)
            problems += roster_problems
        for name in names:
            if not layout.source(name).is_file():
                raise GradebookError(f"unknown assignment {name!r}")
            grade_csv = overrides.get(name, args.grades / f"{name}.csv")
            zip_path = layout.autograder_zip(name)
            possible = possible_points(read_points(zip_path)) if zip_path.is_file() else {}
            try:
                table = read_grade_table(grade_csv, possible)
                questions = load_manual_questions(layout.source(name))
                merged = merge_assignment(
                    name, table, questions, args.review / name, args.allow_pending
                )
            except MergeError as exc:
                problems += [f"{name}: {p}" for p in exc.problems]
                continue
            if roster is not None:
                problems += [f"{name}: {p}" for p in apply_roster(merged, roster)]
                absent = [s for s, e in merged.table.entries.items() if e.status == NO_SUBMISSION]
                if absent:
                    merged.notes.append(f"no submission from {len(absent)}: {', '.join(absent)}")
            for note in merged.notes:
                print(f"{name}: {note}")
            sheets[name] = assignment_rows(merged)
            files[f"{name}.csv"] = _csv_text(*sheets[name])
            feedback[name] = (merged_feedback(merged, grade_csv), feedback_folder(grade_csv, name))
        if problems:
            raise MergeError(problems)
        files["course.csv"] = _csv_text(*course_rows(sheets))
        write_outputs(output, files)
        for items, folder in feedback.values():
            write_feedback_files(folder, items)
    except MergeError as exc:
        print(
            f"error: the gradebook was not written; {len(exc.problems)} problem(s):",
            file=sys.stderr,
        )
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    except (GradebookError, GradeTableError, RubricError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(str(output / n) for n in files)} and the feedback files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
