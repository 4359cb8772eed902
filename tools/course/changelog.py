"""CHANGELOG.md (Keep a Changelog format): is the release about to be published described?

`check_changelog(release, path)` lists what is wrong, for `make release` and the tests: no
section for the release, a section without a date or without entries, headings out of order.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from tools.course.versions import release_version

UNRELEASED = "Unreleased"
#: The kinds of change Keep a Changelog names (https://keepachangelog.com/en/1.1.0/).
CHANGE_KINDS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\S+))?\s*$")
_VERSION = re.compile(r"^\d+(?:\.\d+){2}$")


@dataclass
class Section:
    """One `## [version] - date` section: where it starts, its date, its entries."""

    name: str
    date: str | None
    line: int
    entries: int = 0
    kinds: list[str] = field(default_factory=list)


def read_sections(text: str) -> tuple[list[Section], list[str]]:
    """The release sections of a changelog, in file order, and the problems met reading them."""
    sections: list[Section] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("## "):
            match = _SECTION.match(line)
            if match is None:
                problems.append(
                    f"line {number}: a section heading reads '## [1.2.0] - YYYY-MM-DD' or "
                    f"'## [{UNRELEASED}]', not {line.strip()!r}"
                )
                continue
            sections.append(Section(match["name"], match["date"], number))
        elif line.startswith("### ") and sections:
            kind = line[4:].strip()
            if kind not in CHANGE_KINDS:
                problems.append(
                    f"line {number}: {kind!r} is not a kind of change; use one of "
                    + ", ".join(CHANGE_KINDS)
                )
            sections[-1].kinds.append(kind)
        elif line.lstrip().startswith(("- ", "* ")) and sections:
            sections[-1].entries += 1
    return sections, problems


def _order_problems(sections: list[Section]) -> list[str]:
    """Unreleased first, each section once, versions newest first, each with a valid date."""
    problems = []
    if any(s.name == UNRELEASED for s in sections[1:]):
        problems.append(f"the [{UNRELEASED}] section must come first")
    seen: set[str] = set()
    numbered: list[tuple[int, ...]] = []
    for section in sections:
        if section.name in seen:
            problems.append(f"line {section.line}: a second section for {section.name}")
        seen.add(section.name)
        if section.name == UNRELEASED:
            continue
        if not _VERSION.match(section.name):
            problems.append(f"line {section.line}: {section.name!r} is not a version like 1.2.0")
            continue
        numbered.append(tuple(int(part) for part in section.name.split(".")))
        try:
            datetime.date.fromisoformat(section.date or "")
        except ValueError:
            problems.append(
                f"line {section.line}: the section for {section.name} needs its release date "
                "as '- YYYY-MM-DD'"
            )
    if numbered != sorted(numbered, reverse=True):
        problems.append("the version sections must run from the newest to the oldest")
    return problems


def check_changelog(release: str, path: Path) -> list[str]:
    """What keeps `path` from describing `release` (e.g. "v1.2.0"); an empty list when nothing."""
    try:
        version = release_version(release)
    except ValueError as exc:
        return [str(exc)]
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [
            f"{path} cannot be read ({type(exc).__name__}): add a CHANGELOG.md in Keep a "
            f"Changelog format with a section '## [{version}] - YYYY-MM-DD'"
        ]
    sections, problems = read_sections(text)
    problems += _order_problems(sections)
    section = next((s for s in sections if s.name == version), None)
    if section is None:
        problems.append(
            f"no section for {version} (the release in course.toml): rename '## [{UNRELEASED}]' "
            f"to '## [{version}] - {datetime.date.today().isoformat()}' and open a new, empty "
            f"[{UNRELEASED}] above it"
        )
    elif section.entries == 0:
        problems.append(f"line {section.line}: the section for {version} lists no changes")
    return [f"{path.name}: {problem}" for problem in problems]
