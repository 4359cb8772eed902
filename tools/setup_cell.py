"""Write (or `--check`) the Colab badge and set-up cell of every source and grading requirements.

Both are generated from `course.toml`, so the course repository URL and release live in one place.
Usage: python -m tools.setup_cell [--check] [NN_name ...]
"""

from __future__ import annotations

import sys

from tools.cli import command_parser, open_course
from tools.course.config import CourseConfigError
from tools.course.layout import LayoutError
from tools.course.notebooks import notebook_text, read_notebook
from tools.course.setup_cells import grading_requirements_text, source_is_current, with_course_cells


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

    stale = []
    for name in names:
        path = layout.source(name)
        nb = read_notebook(path)
        if source_is_current(nb, course, name):
            continue
        stale.append(str(path.relative_to(layout.root)))
        if not args.check:
            path.write_text(notebook_text(with_course_cells(nb, course, name)), encoding="utf-8")
    requirements = layout.grading_requirements
    current = requirements.read_text(encoding="utf-8") if requirements.exists() else ""
    expected = grading_requirements_text(current, course)
    if current != expected:
        stale.append(str(requirements.relative_to(layout.root)))
        if not args.check:
            requirements.write_text(expected, encoding="utf-8")

    if args.check and stale:
        print("Out of date with course.toml (run `python -m tools.setup_cell`):", file=sys.stderr)
        for stale_path in stale:
            print(f"  {stale_path}", file=sys.stderr)
        return 1
    verb = "would update" if args.check else "updated"
    print(f"set-up cells: {len(names)} source(s) checked, {verb} {len(stale)} file(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
