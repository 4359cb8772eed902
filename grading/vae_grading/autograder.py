"""A built autograder as the grader reads it: each question's points and the hidden tests.

`question_points` is the one reader of the questions and points of a built autograder (otter's
own test files, `tests/qN.py`): the local grader, the otter plugin, the instructor tooling and
the tests all ask it.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from vae_grading.contract import HIDDEN_TESTS_MEMBER
from vae_grading.evidence import Question
from vae_grading.scoring import load_questions


class AutograderZipError(ValueError):
    """The autograder zip lacks what trusted grading needs (rebuild it with `make build`)."""


@dataclass(frozen=True)
class QuestionPoints:
    """An auto-graded question of a built autograder: its points, and those public cases carry."""

    name: str
    possible: float
    public: float = 0.0


@dataclass(frozen=True)
class Autograder:
    """What the grader takes from an autograder zip: points, hidden tests, public tests."""

    graded: list[QuestionPoints]
    questions: list[Question]
    public_tests: dict[str, bytes]

    @property
    def points(self) -> dict[str, float]:
        """Each question's points by name."""
        return possible_points(self.graded)


def _natural_key(name: str) -> list[int | str]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def question_points(test_files: Mapping[str, bytes]) -> list[QuestionPoints]:
    """Each question's points from otter's test files (file name → text), in natural order."""
    from otter.nbmeta_config import NBMetadataConfig
    from otter.test_files import create_test_file

    found = []
    with tempfile.TemporaryDirectory(prefix="vae-grading-tests-") as tmp:
        for name, data in test_files.items():
            path = Path(tmp) / Path(name).name
            path.write_bytes(data)
            test_file = create_test_file(str(path), NBMetadataConfig())
            public = sum(float(c.points or 0) for c in test_file.test_cases if not c.hidden)
            found.append(QuestionPoints(path.stem, float(test_file.possible), public))
    return sorted(found, key=lambda q: _natural_key(q.name))


def possible_points(graded: list[QuestionPoints]) -> dict[str, float]:
    """Each question's points by name."""
    return {q.name: q.possible for q in graded}


def read_points(zip_path: Path) -> list[QuestionPoints]:
    """The questions and points of an autograder zip, without loading its hidden tests."""
    with zipfile.ZipFile(zip_path) as zf:
        return question_points({n: zf.read(n) for n in zf.namelist() if _is_test_file(n)})


def _is_test_file(member: str) -> bool:
    return member.startswith("tests/") and member.endswith(".py")


def tests_in_folder(folder: Path) -> dict[str, bytes]:
    """otter's test files in an unpacked autograder's tests folder (file name → text)."""
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.py"))}


def read_autograder(zip_path: Path) -> Autograder:
    """Load the points, questions (in memory only) and public tests of an autograder zip."""
    with zipfile.ZipFile(zip_path) as zf:
        members = {name: zf.read(name) for name in zf.namelist() if not name.endswith("/")}
    if HIDDEN_TESTS_MEMBER not in members:
        raise AutograderZipError(
            f"{zip_path} has no {HIDDEN_TESTS_MEMBER}: rebuild with make build"
        )
    tests = {Path(name).name: data for name, data in members.items() if _is_test_file(name)}
    with tempfile.TemporaryDirectory(prefix="vae-grading-key-") as tmp:
        hidden = Path(tmp) / HIDDEN_TESTS_MEMBER
        hidden.write_bytes(members[HIDDEN_TESTS_MEMBER])
        questions = load_questions(hidden)
    return Autograder(question_points(tests), questions, tests)
