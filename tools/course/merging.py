"""Merge an assignment's auto-graded scores and its filled score sheets into one row per student.

Every problem in the inputs is collected, and the merge is refused as a whole when there is any:
the gradebook is written only from inputs that are complete and consistent, and the inputs are
never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tools.course.gradetables import GradeTable
from tools.course.rubrics import ManualQuestion
from tools.course.scoresheets import (
    SHEET_SUFFIX,
    Pseudonyms,
    SheetRow,
    is_scored,
    item_column,
    item_key,
    read_manifest,
    read_sheet,
    sheet_path,
)

TOLERANCE = 1e-9


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)


@dataclass
class WrittenScore:
    """A TA's score of one written answer: per rubric item, total and comment."""

    points: float | None
    items: dict[str, float | None] = field(default_factory=dict)
    comment: str = ""


@dataclass
class MergedAssignment:
    """One assignment's merged result: written scores per student and question, and notes."""

    assignment: str
    table: GradeTable
    questions: list[ManualQuestion]
    written: dict[str, dict[str, WrittenScore]]
    notes: list[str]


class MergeError(ValueError):
    """The inputs of a merge have problems (all listed); nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _number(text: str) -> float:
    return float(text.replace(",", ".").replace("½", "0.5"))


def _score_row(
    row: SheetRow, header: list[str], question: ManualQuestion, where: str, problems: list[str]
) -> WrittenScore | None:
    """Read one scored row; append any problem; None when the row cannot be used."""
    items: dict[str, float | None] = {}
    ok = True
    maxima = {i.key: i.points for i in question.rubric.items}
    for column in header:
        key = item_key(column)
        if key is None or not row.get(column):
            continue
        try:
            value = _number(row.get(column))
        except ValueError:
            problems.append(f"{where}: {column!r} holds {row.get(column)!r}, not a number")
            ok = False
            continue
        if value < 0 or value > maxima[key] + TOLERANCE:
            problems.append(
                f"{where}: {value:g} points for {key} is outside 0…{maxima[key]:g} "
                "(the rubric's points for that item)"
            )
            ok = False
        items[key] = value
    points_text = row.get("points")
    points: float | None = None
    if points_text:
        try:
            points = _number(points_text)
        except ValueError:
            problems.append(f"{where}: points holds {points_text!r}, not a number")
            return None
    if items:
        missing = [k for k in maxima if k not in items]
        if missing:
            problems.append(
                f"{where}: rubric item(s) {', '.join(missing)} left empty while others are "
                "filled: enter 0 where nothing was earned"
            )
            ok = False
        total = sum(v for v in items.values() if v is not None)
        if points is not None and abs(points - total) > TOLERANCE:
            problems.append(
                f"{where}: points {points:g} differs from the sum of the rubric items {total:g}: "
                "clear one of them"
            )
            ok = False
        points = total
    if points is not None and (points < 0 or points > question.points + TOLERANCE):
        problems.append(
            f"{where}: {points:g} points is outside 0…{question.points:g} (the question's points)"
        )
        ok = False
    return WrittenScore(points, items, row.get("comment")) if ok else None


def read_scores(
    review: Path,
    question: ManualQuestion,
    submissions: set[str],
    pseudonyms: Pseudonyms | None,
    current_hashes: dict[str, str],
    problems: list[str],
) -> dict[str, WrittenScore | None]:
    """submission → its written score (None: row present but not scored) from one sheet."""
    path = sheet_path(review, question.name)
    if not path.is_file():
        problems.append(
            f"{path} is missing: run make review for {question.assignment} and fill it in"
        )
        return {}
    header, rows = read_sheet(path)
    expected = {
        item_column(i.key, i.label, i.points).split(":", 1)[0] for i in question.rubric.items
    }
    found_items = {item_key(c) for c in header if item_key(c)}
    if found_items != expected or "submission" not in header:
        problems.append(
            f"{path}: its columns ({', '.join(sorted(c for c in found_items if c)) or 'none'}) "
            f"are not the rubric items of {question.assignment} {question.name} "
            f"({', '.join(sorted(expected))}): is it a sheet of another assignment or rubric?"
        )
        return {}
    reverse = pseudonyms.reverse() if pseudonyms else {}
    scores: dict[str, WrittenScore | None] = {}
    lines: dict[str, int] = {}
    for row in rows:
        where = f"{path.name} line {row.line}"
        label = row.get("submission")
        assignment, name = row.get("assignment"), row.get("question")
        if assignment != question.assignment or name != question.name:
            problems.append(
                f"{where}: the row is for {assignment or '?'} {name or '?'}, this sheet is "
                f"{question.assignment} {question.name}: a sheet of another assignment?"
            )
            continue
        submission = reverse.get(label, label) if pseudonyms else label
        if submission not in submissions:
            problems.append(
                f"{where}: submission {label!r} has no auto-graded row: "
                "a typo, or a submission that was never graded"
            )
            continue
        if submission in lines:
            problems.append(
                f"{where}: submission {label!r} appears twice (also line {lines[submission]}): "
                "keep one row"
            )
            continue
        lines[submission] = row.line
        scored = is_scored(row, header)
        current = current_hashes.get(label)
        if scored and current and row.get("answer_hash") != current:
            problems.append(
                f"{where}: {label!r} was scored against another version of the answer "
                f"(answer_hash {row.get('answer_hash') or 'empty'}, now {current}): the "
                f"submission changed (a regrade or resubmission). Re-score it from "
                f"{question.name}.html, then set answer_hash to {current}"
            )
            continue
        scores[submission] = _score_row(row, header, question, where, problems) if scored else None
    return scores


def merge_assignment(
    assignment: str,
    table: GradeTable,
    questions: list[ManualQuestion],
    review: Path,
    allow_pending: bool = False,
) -> MergedAssignment:
    """Check and merge; MergeError lists every problem found."""
    problems = [
        f"{table.source}: {sub!r} has more than one row: keep one (grade it once)"
        for sub in sorted(set(table.duplicates))
    ]
    notes: list[str] = []
    manifest = read_manifest(review)
    if manifest and manifest.get("assignment") != assignment:
        problems.append(
            f"{review} holds the review of {manifest.get('assignment')}, not of {assignment}"
        )
    pseudonyms = None
    if manifest.get("anonymized"):
        key = review.parent / f"{assignment}.key.json"
        if not key.is_file():
            problems.append(f"{review} is anonymized but its key file {key} is missing")
        pseudonyms = Pseudonyms(key)
    hashes = manifest.get("answer_hashes", {}) if manifest else {}
    names = {q.name for q in questions}
    for stray in sorted(review.glob(f"*{SHEET_SUFFIX}")):
        if stray.name.removesuffix(SHEET_SUFFIX) not in names:
            _, rows = read_sheet(stray)
            owner = {r.get("assignment") for r in rows if r.get("assignment")}
            problems.append(
                f"{stray}: not a score sheet of a written question of {assignment} "
                f"(those are {', '.join(sorted(names, key=_natural))})"
                + (f"; its rows are for {', '.join(sorted(owner))}" if owner else "")
                + ": move it to its own assignment's review folder"
            )
    submissions = set(table.entries)
    written: dict[str, dict[str, WrittenScore]] = {s: {} for s in submissions}
    for question in questions:
        if question.name in table.questions and not sheet_path(review, question.name).is_file():
            notes.append(f"{question.name}: written scores taken from {table.source}")
            for sub, entry in table.entries.items():
                value = entry.scores.get(question.name)
                written[sub][question.name] = WrittenScore(value)
            continue
        scores = read_scores(
            review, question, submissions, pseudonyms, hashes.get(question.name, {}), problems
        )
        if not scores and not sheet_path(review, question.name).is_file():
            continue
        unscored = sorted(s for s in submissions if scores.get(s) is None)
        no_row = [s for s in unscored if s not in scores]
        if no_row:
            problems.append(
                f"{sheet_path(review, question.name).name}: no row for {', '.join(no_row[:8])}"
                + (f" and {len(no_row) - 8} more" if len(no_row) > 8 else "")
                + ": run make review again to add their rows, then score them"
            )
        pending = [s for s in unscored if s in scores]
        if pending and not allow_pending:
            problems.append(
                f"{sheet_path(review, question.name).name}: {len(pending)} row(s) not scored yet "
                f"({', '.join(pending[:5])}{', …' if len(pending) > 5 else ''}): score them, or "
                "pass --allow-pending to leave them pending"
            )
        for sub, score in scores.items():
            if score is not None:
                written[sub][question.name] = score
    if problems:
        raise MergeError(problems)
    return MergedAssignment(assignment, table, questions, written, notes)
