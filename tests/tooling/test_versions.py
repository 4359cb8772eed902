"""One version: course.toml's release, the packages' version copies and CHANGELOG.md agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.course.changelog import check_changelog
from tools.course.config import load_course_config
from tools.course.layout import CourseLayout
from tools.course.versions import (
    MODULE_VERSIONS,
    PYPROJECTS,
    check_versions,
    release_version,
)

REPO = CourseLayout()


def test_every_version_copy_states_the_release_in_course_toml() -> None:
    release = load_course_config(REPO.course_toml).release
    assert check_versions(release, REPO.root) == []


def test_the_changelog_describes_the_release_in_course_toml() -> None:
    release = load_course_config(REPO.course_toml).release
    assert check_changelog(release, REPO.root / "CHANGELOG.md") == []


@pytest.mark.parametrize(
    ("release", "version"), [("v1.1.0", "1.1.0"), ("2.0.0", "2.0.0"), ("v1.2.0-rc.1", "1.2.0-rc.1")]
)
def test_release_version(release: str, version: str) -> None:
    assert release_version(release) == version


@pytest.mark.parametrize("release", ["", "latest", "v1.1", "version-1.1.0", "v1.1.0 "])
def test_a_release_that_names_no_version_is_refused(release: str) -> None:
    with pytest.raises(ValueError, match="not a version tag"):
        release_version(release)
    assert check_versions(release, REPO.root)[0].startswith("course.toml:")


def _copy_version_files(root: Path) -> None:
    for rel in PYPROJECTS + MODULE_VERSIONS:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO.root / rel, root / rel)


def test_a_copy_that_disagrees_is_named_with_the_fix(tmp_path: Path) -> None:
    _copy_version_files(tmp_path)
    release = load_course_config(REPO.course_toml).release
    grading = tmp_path / "grading/pyproject.toml"
    grading.write_text(
        grading.read_text().replace(f'version = "{release_version(release)}"', 'version = "0.9"')
    )
    (tmp_path / MODULE_VERSIONS[0]).write_text('"""No version here."""\n')
    problems = check_versions(release, tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("grading/pyproject.toml: version 0.9")
    assert f"set it to {release_version(release)}" in problems[0]
    assert problems[1].startswith(f"{MODULE_VERSIONS[0]}: no version found")
    assert len(check_versions("v9.9.9", tmp_path)) == 3


def test_missing_or_broken_copies_are_reported(tmp_path: Path) -> None:
    _copy_version_files(tmp_path)
    (tmp_path / PYPROJECTS[0]).unlink()
    (tmp_path / PYPROJECTS[1]).write_text("[project\nversion = 1")
    release = load_course_config(REPO.course_toml).release
    problems = check_versions(release, tmp_path)
    assert [p.split(":")[0] for p in problems] == list(PYPROJECTS)


GOOD = """# Changelog

## [Unreleased]

## [1.2.0] - 2027-01-15

### Added

- Notebook 06.

## [1.1.0] - 2026-11-30

### Fixed

- A tolerance.
"""


def _check(tmp_path: Path, text: str, release: str = "v1.2.0") -> list[str]:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(text, encoding="utf-8")
    return check_changelog(release, path)


def test_a_good_changelog_has_no_problems(tmp_path: Path) -> None:
    assert _check(tmp_path, GOOD) == []
    assert _check(tmp_path, GOOD, "v1.1.0") == []
    assert _check(tmp_path, GOOD.replace("## [Unreleased]\n", "")) == []


@pytest.mark.parametrize(
    ("text", "release", "problem"),
    [
        (GOOD, "v1.3.0", "no section for 1.3.0"),
        (GOOD.replace("- Notebook 06.", ""), "v1.2.0", "lists no changes"),
        (GOOD.replace("[1.2.0] - 2027-01-15", "[1.2.0]"), "v1.2.0", "needs its release date"),
        (GOOD.replace("2027-01-15", "15/01/2027"), "v1.2.0", "needs its release date"),
        (GOOD.replace("2027-01-15", "2027-02-30"), "v1.2.0", "needs its release date"),
        (GOOD.replace("## [1.2.0]", "## 1.2.0"), "v1.2.0", "a section heading reads"),
        (GOOD.replace("### Added", "### New"), "v1.2.0", "'New' is not a kind of change"),
        (GOOD.replace("[1.1.0]", "[1.3.0]"), "v1.2.0", "from the newest to the oldest"),
        (GOOD.replace("[1.1.0]", "[1.2.0]"), "v1.2.0", "a second section for 1.2.0"),
        (GOOD.replace("[1.1.0]", "[one]"), "v1.2.0", "'one' is not a version"),
        (GOOD + "\n## [Unreleased]\n", "v1.2.0", "[Unreleased] section must come first"),
        (GOOD, "latest", "not a version tag"),
    ],
)
def test_changelog_problems(tmp_path: Path, text: str, release: str, problem: str) -> None:
    problems = _check(tmp_path, text, release)
    assert any(problem in p for p in problems), problems


def test_a_missing_changelog_says_what_to_add(tmp_path: Path) -> None:
    problems = check_changelog("v1.2.0", tmp_path / "CHANGELOG.md")
    assert len(problems) == 1 and "## [1.2.0] - YYYY-MM-DD" in problems[0]


def test_unreleased_entries_do_not_count_for_the_release(tmp_path: Path) -> None:
    text = "# Changelog\n\n## [Unreleased]\n\n### Added\n\n- Something.\n"
    problems = _check(tmp_path, text)
    assert len(problems) == 1 and "no section for 1.2.0" in problems[0]
    assert "rename '## [Unreleased]'" in problems[0]
