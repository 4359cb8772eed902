"""What every command in tools/ shares: the course checkout (`--root`) and its settings."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.course.building import check_otter_version
from tools.course.config import CourseConfig, load_course_config
from tools.course.layout import CourseLayout


def command_parser(prog: str, doc: str | None) -> argparse.ArgumentParser:
    """A parser for `python -m tools.<prog>` with the module docstring and a hidden --root."""
    parser = argparse.ArgumentParser(
        prog=f"python -m tools.{prog}",
        description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=CourseLayout().root,
        help="course checkout to work on (default: this repository)",
    )
    return parser


def open_course(args: argparse.Namespace) -> tuple[CourseLayout, CourseConfig]:
    """The checkout named by --root and its own course.toml (CourseConfigError if invalid)."""
    layout = CourseLayout(Path(args.root).resolve())
    return layout, load_course_config(layout.course_toml)


def open_build(args: argparse.Namespace) -> tuple[CourseLayout, CourseConfig, list[str]]:
    """The checkout, its settings and the assignments named (default: all), once the pinned
    otter-grader is known to be installed; CourseConfigError, LayoutError or BuildError if not."""
    layout, course = open_course(args)
    names = layout.select(args.assignments)
    check_otter_version(course)
    return layout, course, names


def report_cleaning(changed: list[str], check: bool, prog: str, total: int) -> int:
    """Print what a cleaning command changed (or, with `check`, would change); the exit code."""
    if check and changed:
        print(f"Out of date (run `python -m tools.{prog}`):", file=sys.stderr)
        for path in changed:
            print(f"  {path}", file=sys.stderr)
        return 1
    verb = "would change" if check else "changed"
    print(f"{prog}: {total} file(s) checked, {verb} {len(changed)}")
    return 0
