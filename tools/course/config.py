"""The course settings from `course.toml`: repository URL, release tag, grading versions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import tomllib

from tools.course.layout import REPO_ROOT

COURSE_TOML = REPO_ROOT / "course.toml"
#: Folder of the autograder zip holding the course's own packages, installed from there.
PACKAGES_DIR = "packages"
#: Package name -> its source folder in the repository, shipped inside every autograder zip.
ZIPPED_PACKAGES = {"vae-helpers": "helpers", "vae-grading": "grading"}
_GITHUB_URL = re.compile(r"^https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")


class CourseConfigError(ValueError):
    """`course.toml` is missing a setting or holds an invalid one."""


@dataclass(frozen=True)
class CourseConfig:
    """Settings shared by the set-up cells, the grading requirements and the autograders."""

    repo_url: str
    release: str
    python_version: str
    otter_version: str
    download_base_override: str = ""
    #: False: the questions each notebook marks as extensions are worth 0 points in the
    #: autograder (their hidden tests still run and give feedback): the core path alone is graded.
    grade_extensions: bool = True

    @property
    def download_base(self) -> str:
        """Where the Colab set-up cell downloads the published notebooks (the release's files)."""
        if self.download_base_override:
            return self.download_base_override.rstrip("/")
        owner, repo = self.github_owner_and_repo
        return f"https://raw.githubusercontent.com/{owner}/{repo}/{self.release}"

    @property
    def github_owner_and_repo(self) -> tuple[str, str]:
        """The (owner, repository) pair parsed from `repo_url`."""
        match = _GITHUB_URL.match(self.repo_url)
        assert match is not None  # checked in load_course_config
        return match["owner"], match["repo"]

    @property
    def helpers_requirement(self) -> str:
        """The pip requirement that installs the helper package at the pinned release."""
        url = self.repo_url.removesuffix("/").removesuffix(".git")
        return f"vae-helpers @ git+{url}@{self.release}#subdirectory=helpers"

    @property
    def grading_package_requirements(self) -> dict[str, str]:
        """The course packages as the grading environment installs them: from the zip itself."""
        return {name: f"./{PACKAGES_DIR}/{name}" for name in ZIPPED_PACKAGES}

    @property
    def otter_requirement(self) -> str:
        """The pip requirement for the otter-grader a student needs."""
        return f"otter-grader=={self.otter_version}"

    @property
    def otter_grading_requirement(self) -> str:
        """The pip requirement for otter-grader inside the grading environment."""
        return f"otter-grader[grading,plugins]=={self.otter_version}"

    def student_notebook_url(self, assignment: str) -> str:
        """Raw download URL of a published student notebook at the pinned release."""
        owner, repo = self.github_owner_and_repo
        return (
            f"https://raw.githubusercontent.com/{owner}/{repo}/{self.release}"
            f"/notebooks/{assignment}/{assignment}.ipynb"
        )


def load_course_config(path: Path = COURSE_TOML) -> CourseConfig:
    """Read and validate `course.toml`."""
    if not path.is_file():
        raise CourseConfigError(f"{path} is missing: it holds the course settings (repo_url, …)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CourseConfigError(f"{path} is not valid TOML: {exc}") from exc
    values = {}
    for table, key in [
        ("course", "repo_url"),
        ("course", "release"),
        ("grading", "python_version"),
        ("grading", "otter_version"),
    ]:
        value = data.get(table, {}).get(key)
        if not isinstance(value, str) or not value.strip():
            raise CourseConfigError(f"{path}: set `{key}` (a string) in the [{table}] table")
        values[key] = value.strip()
    if not _GITHUB_URL.match(values["repo_url"]):
        raise CourseConfigError(
            f"{path}: repo_url {values['repo_url']!r} must look like "
            "https://github.com/OWNER/REPO (Colab fetches the notebooks from GitHub)"
        )
    if not re.fullmatch(r"[\w.+-]+", values["release"]):
        raise CourseConfigError(f"{path}: release {values['release']!r} is not a valid git tag")
    base = data.get("course", {}).get("download_base", "")
    if not isinstance(base, str):
        raise CourseConfigError(f"{path}: download_base must be a URL string")
    grade_extensions = data.get("grading", {}).get("grade_extensions", True)
    if not isinstance(grade_extensions, bool):
        raise CourseConfigError(f"{path}: grade_extensions must be true or false")
    return CourseConfig(
        **values, download_base_override=base.strip(), grade_extensions=grade_extensions
    )
