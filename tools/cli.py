"""What every command in tools/ shares: the course checkout (`--root`) and its settings."""

from __future__ import annotations

import argparse
from pathlib import Path

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
