"""Grade written answers by question: one HTML page and one score sheet per manual question.

Usage: python -m tools.review SUBMISSIONS_DIR --assignment NN_name [--output review/NN_name]
       [--anonymize [--key review/NN_name.key.json]]

For every manual question of `solutions/NN_name.ipynb` it writes `qN.html` (prompt, model answer
and rubric at the top, every submission's answer below, math and images included, no network
needed) and `qN-scores.csv` (one row per submission: rubric items, points, comment) for a TA to
fill in. Running it again (new or resubmitted work) adds rows for new submissions only: scores
already entered are never touched; an answer that changed since it was scored is flagged on the
page and refused by `tools.gradebook` until it is re-scored. `--anonymize` lists submissions
under stable pseudonyms (kept in the key file, which stays with the instructor).
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools.cli import command_parser
from tools.course.answers import Answer, find_answer
from tools.course.layout import CourseLayout
from tools.course.review_pages import ShownAnswer, question_page
from tools.course.rubrics import ManualQuestion, RubricError, load_manual_questions
from tools.course.scoresheets import (
    Pseudonyms,
    read_manifest,
    read_sheet,
    sheet_path,
    update_sheet,
    write_manifest,
)
from tools.course.submissions import (
    GradingSetupError,
    _natural_key,
    discover_submissions,
    read_submission_notebook,
)


def read_answers(
    folder: Path, assignment: str, questions: list[ManualQuestion]
) -> dict[str, dict[str, Answer]]:
    """submission → question → answer, for every submission in `folder` (unreadable: not found)."""
    found: dict[str, dict[str, Answer]] = {}
    for submission in discover_submissions(folder):
        nb = None
        if submission.path is not None:
            try:
                nb = read_submission_notebook(submission, assignment)
            except Exception:  # noqa: BLE001 - an unreadable submission shows as "not found"
                nb = None
        found[submission.identifier] = {
            q.name: find_answer(nb, q.name) if nb is not None else Answer(found=False)
            for q in questions
        }
    return found


def _stale_notes(path: Path, current: dict[str, str]) -> dict[str, str]:
    """Rows scored against another version of the answer than the current one."""
    if not path.is_file():
        return {}
    header, rows = read_sheet(path)
    notes = {}
    for row in rows:
        label, old = row.get("submission"), row.get("answer_hash")
        if label in current and old and old != current[label]:
            notes[label] = (
                f"This answer changed since its row was made (sheet: {old}). Re-score it, then "
                f"put {current[label]} in its answer_hash cell."
            )
    return notes


def write_review(
    folder: Path,
    assignment: str,
    questions: list[ManualQuestion],
    output: Path,
    pseudonyms: Pseudonyms | None = None,
) -> list[str]:
    """Write the pages, sheets and manifest; return one summary line per question."""
    answers = read_answers(folder, assignment, questions)
    if not answers:
        raise GradingSetupError(f"no submissions in {folder}")
    previous = read_manifest(output)
    if previous and previous.get("assignment") != assignment:
        raise GradingSetupError(
            f"{output} holds the review of {previous.get('assignment')}: pass another --output"
        )
    if previous and bool(previous.get("anonymized")) != (pseudonyms is not None):
        mode = "with" if previous.get("anonymized") else "without"
        raise GradingSetupError(
            f"{output} was made {mode} --anonymize: run it the same way, or use another --output"
        )
    output.mkdir(parents=True, exist_ok=True)
    hashes: dict[str, dict[str, str]] = {}
    summary = []
    for question in questions:
        labels = {s: (pseudonyms.of(s) if pseudonyms else s) for s in answers}
        current = {labels[s]: answers[s][question.name].digest() for s in answers}
        hashes[question.name] = current
        sheet = sheet_path(output, question.name)
        stale = _stale_notes(sheet, current)
        shown = sorted(
            (
                ShownAnswer(
                    labels[s],
                    answers[s][question.name],
                    current[labels[s]],
                    stale.get(labels[s], ""),
                )
                for s in answers
            ),
            key=lambda a: _natural_key(a.label),
        )
        page = output / f"{question.name}.html"
        page.write_text(question_page(question, shown, sheet.name), encoding="utf-8")
        added = update_sheet(sheet, question, [(a.label, a.digest) for a in shown])
        blank = sum(a.answer.blank or not a.answer.found for a in shown)
        summary.append(
            f"{question.name}: {page} ({len(shown)} answers, {blank} blank or missing); "
            f"{sheet.name}: {added} new row(s)"
            + (f"; {len(stale)} changed since scored" if stale else "")
        )
    write_manifest(output, assignment, hashes, anonymized=pseudonyms is not None)
    if pseudonyms:
        pseudonyms.save()
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("review", __doc__)
    parser.add_argument("submissions", type=Path, help="folder of submissions")
    parser.add_argument("--assignment", required=True, help="NN_name of the assignment")
    parser.add_argument("--output", type=Path, help="folder (default: review/NN_name)")
    parser.add_argument("--anonymize", action="store_true", help="list answers under pseudonyms")
    parser.add_argument(
        "--key", type=Path, help="pseudonym key file (default: review/NN_name.key.json)"
    )
    args = parser.parse_args(argv)
    layout = CourseLayout(args.root.resolve())
    try:
        if not str(args.submissions).strip() or not args.submissions.is_dir():
            raise GradingSetupError(
                f"submissions folder {args.submissions!s} does not exist "
                "(make review SUBMISSIONS=DIR ASSIGNMENT=NN_name)"
            )
        source = layout.source(args.assignment)
        if not source.is_file():
            known = ", ".join(layout.assignments())
            raise GradingSetupError(f"no source for {args.assignment!r} (known: {known})")
        questions = load_manual_questions(source)
        if not questions:
            raise GradingSetupError(f"{args.assignment} has no written (manual) questions")
        output = args.output or Path("review") / args.assignment
        pseudonyms = None
        if args.anonymize:
            pseudonyms = Pseudonyms(args.key or Path("review") / f"{args.assignment}.key.json")
        lines = write_review(args.submissions, args.assignment, questions, output, pseudonyms)
    except (GradingSetupError, RubricError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    print(f"fill in the *-scores.csv sheets in {output}, then run make gradebook")
    return 0


if __name__ == "__main__":
    sys.exit(main())
