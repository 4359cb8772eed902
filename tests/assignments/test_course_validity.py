"""Course-wide properties of the grade: choice answers spread and unguessable, no public points."""

from __future__ import annotations

import re
from collections import Counter

import nbformat
import pytest

from tests.otter_support import SOLUTIONS, hidden_questions
from tests.validity import public_share

ASSIGNMENTS = sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))
OPTION = re.compile(r"^- \*\*\(([a-d])\)\*\*\s*(.*)$")


def choice_options(assignment: str) -> dict[str, dict[str, str]]:
    """The options of each multiple-choice prompt (`### QN ·` cells), by question and letter."""
    nb = nbformat.read(SOLUTIONS / f"{assignment}.ipynb", as_version=4)
    options: dict[str, dict[str, str]] = {}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        heading = re.match(r"^###\s*Q(\d+)\b", cell.source)
        if not heading:
            continue
        letters: dict[str, str] = {}
        current = None
        for line in cell.source.splitlines():
            match = OPTION.match(line)
            if match:
                current = match.group(1)
                letters[current] = match.group(2)
            elif current and line.startswith("  "):
                letters[current] += " " + line.strip()
            else:
                current = None
        if letters:
            options[f"q{heading.group(1)}"] = letters
    return options


def all_choice_answers() -> list[tuple[str, str, str]]:
    """(assignment, question, right letter) for every multiple-choice question of the course."""
    return [
        (a, q.name, q.answer)
        for a in ASSIGNMENTS
        for q in hidden_questions(a)
        if q.answer is not None
    ]


def test_right_letters_are_spread_over_the_course() -> None:
    answers = all_choice_answers()
    assert len(answers) >= 8
    counts = Counter(letter for _, _, letter in answers)
    most, n = counts.most_common(1)[0]
    assert n <= 0.4 * len(answers), f"{most!r} is right in {n} of {len(answers)}: {counts}"


@pytest.mark.parametrize(("assignment", "question", "answer"), all_choice_answers())
def test_option_length_gives_nothing_away(assignment: str, question: str, answer: str) -> None:
    options = choice_options(assignment).get(question)
    assert options and set(options) == set("abcd"), f"{assignment} {question}: options a-d"
    right = len(options[answer])
    longest_other = max(len(text) for letter, text in options.items() if letter != answer)
    assert right <= 1.2 * longest_other, (
        f"{assignment} {question}: the right option ({right} chars) is much longer than every "
        f"other ({longest_other}): length gives the answer away"
    )


def test_the_right_option_is_rarely_the_longest() -> None:
    longest = 0
    answers = all_choice_answers()
    for assignment, question, answer in answers:
        options = choice_options(assignment)[question]
        longest += max(options, key=lambda letter: len(options[letter])) == answer
    assert longest <= 0.5 * len(answers), f"the right option is the longest in {longest}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_public_checks_carry_no_points(assignment: str) -> None:
    assert public_share(assignment) == 0.0
