"""Where the course's sources and generated files live, and how assignments are named."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
GRADING_REQUIREMENTS = "grading-requirements.txt"


class LayoutError(ValueError):
    """A requested assignment or folder does not exist."""


@dataclass(frozen=True)
class CourseLayout:
    """The folders of one course checkout (the repository, or a copy used by the tests)."""

    root: Path = REPO_ROOT

    @property
    def course_toml(self) -> Path:
        """The course settings of this checkout."""
        return self.root / "course.toml"

    @property
    def solutions(self) -> Path:
        """Folder of the Otter Assign sources `NN_name.ipynb`."""
        return self.root / "solutions"

    @property
    def notebooks(self) -> Path:
        """Folder of the generated student notebooks."""
        return self.root / "notebooks"

    @property
    def autograder(self) -> Path:
        """Folder of the generated autograder zips and tests."""
        return self.root / "autograder"

    @property
    def grading_requirements(self) -> Path:
        """The requirements file appended to every autograder's environment."""
        return self.solutions / GRADING_REQUIREMENTS

    def assignments(self) -> list[str]:
        """Names of every assignment that has a source, in order."""
        return sorted(
            p.stem for p in self.solutions.glob("*.ipynb") if ASSIGNMENT_NAME.match(p.stem)
        )

    def hidden_tests(self, assignment: str) -> Path:
        """The trusted hidden tests of `assignment` (never published, never in a kernel)."""
        return self.root / "hidden_tests" / f"{assignment}.py"

    def source(self, assignment: str) -> Path:
        """Path of an assignment's source notebook."""
        return self.solutions / f"{assignment}.ipynb"

    def student_dir(self, assignment: str) -> Path:
        """Folder of an assignment's generated student files."""
        return self.notebooks / assignment

    def autograder_dir(self, assignment: str) -> Path:
        """Folder of an assignment's generated autograder files."""
        return self.autograder / assignment

    def autograder_zip(self, assignment: str) -> Path:
        """Path of an assignment's Gradescope / `otter run` zip."""
        return self.autograder_dir(assignment) / f"{assignment}-autograder.zip"

    def student_notebook(self, assignment: str) -> Path:
        """Path of an assignment's generated student notebook."""
        return self.student_dir(assignment) / f"{assignment}.ipynb"

    def select(self, names: list[str] | None) -> list[str]:
        """The assignments named (all when none are), with one clear error for unknown names."""
        available = self.assignments()
        if not names:
            if not available:
                raise LayoutError(f"no sources found: expected {self.solutions}/NN_name.ipynb")
            return available
        unknown = [n for n in names if n.removesuffix(".ipynb") not in available]
        if unknown:
            listed = ", ".join(available) or "none"
            raise LayoutError(
                f"unknown assignment(s) {', '.join(unknown)}: sources in {self.solutions} are "
                f"{listed}"
            )
        return [n.removesuffix(".ipynb") for n in names]
