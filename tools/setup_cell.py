"""Refresh (or `--check`) the Colab badge and set-up cell of the sources and the grading
requirements from `course.toml`, without building.

Usage: python -m tools.setup_cell [--check] [NN_name ...]

The sources are cleaned as `make build` cleans them (`building.clean_sources`, the one writer of
solutions/): outputs stripped too.
"""

from __future__ import annotations

import sys

from tools.cli import command_parser, open_course, report_cleaning
from tools.course.building import clean_sources
from tools.course.config import CourseConfigError
from tools.course.layout import LayoutError


def main(argv: list[str] | None = None) -> int:
    """Rewrite (or check) the set-up cells and the grading requirements; return the exit code."""
    parser = command_parser("setup_cell", __doc__)
    parser.add_argument("assignments", nargs="*", help="NN_name of the sources (default: all)")
    parser.add_argument("--check", action="store_true", help="change nothing, fail when stale")
    args = parser.parse_args(argv)
    try:
        layout, course = open_course(args)
        names = layout.select(args.assignments)
    except (CourseConfigError, LayoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    changed = clean_sources(layout, names, course, write=not args.check)
    return report_cleaning(changed, args.check, "setup_cell", len(names) + 1)


if __name__ == "__main__":
    sys.exit(main())
