"""One version for the course: course.toml's release tag; each package's version must equal it.

The packages ship on their own (Colab installs `helpers/` from the release tag, the autograder zip
carries both folders), so each keeps its version in its own files; `check_versions` lists every
copy that differs from the release, for a test and for `make release`.
"""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

#: Files that state a package version, relative to the course root, and how to read each.
PYPROJECTS = ("helpers/pyproject.toml", "grading/pyproject.toml")
MODULE_VERSIONS = ("helpers/vae_helpers/__init__.py",)
_DUNDER_VERSION = re.compile(r'^__version__ = "(?P<version>[^"]+)"$', re.MULTILINE)
_RELEASE = re.compile(r"^v?(?P<version>\d+\.\d+\.\d+(?:[-+.][\w.+-]*)?)$")


def release_version(release: str) -> str:
    """The package version a release tag names: "v1.1.0" → "1.1.0"; ValueError if it names none."""
    match = _RELEASE.match(release)
    if match is None:
        raise ValueError(f"release {release!r} is not a version tag such as v1.2.0")
    return match["version"]


def _pyproject_version(path: Path) -> str | None:
    """[project].version of a pyproject.toml, or None when it has none."""
    version = tomllib.loads(path.read_text(encoding="utf-8")).get("project", {}).get("version")
    return version if isinstance(version, str) else None


def _module_version(path: Path) -> str | None:
    """The `__version__ = "…"` literal of a module, or None when it has none."""
    match = _DUNDER_VERSION.search(path.read_text(encoding="utf-8"))
    return match["version"] if match else None


def stated_versions(root: Path) -> dict[str, str | None]:
    """Every version copy under `root`, by relative path (None: missing or without a version)."""
    found: dict[str, str | None] = {}
    for rel, read in [(p, _pyproject_version) for p in PYPROJECTS] + [
        (p, _module_version) for p in MODULE_VERSIONS
    ]:
        path = root / rel
        try:
            found[rel] = read(path) if path.is_file() else None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            found[rel] = None
    return found


def check_versions(release: str, root: Path) -> list[str]:
    """One line per version copy under `root` that does not state `release`'s version."""
    try:
        expected = release_version(release)
    except ValueError as exc:
        return [f"course.toml: {exc}"]
    problems = []
    for rel, version in stated_versions(root).items():
        if version is None:
            problems.append(f"{rel}: no version found (expected {expected}, from course.toml)")
        elif version != expected:
            problems.append(
                f"{rel}: version {version} but course.toml's release is {release}: "
                f"set it to {expected}"
            )
    return problems
