"""Verify the built assignments: key scores 100 %, student copy scores 0, nothing leaks.

Usage: python -m tools.verify [NN_name ...] [--jobs N]

For each assignment (built afresh into a temporary folder, and compared with the committed files):
  * the answer key, graded as `make grade` grades (sandboxed, with its own autograder zip),
    scores full marks;
  * the untouched student notebook is graded without crashing and scores 0 on every
    auto-graded question;
  * no solution block and no hidden test appears in any file under notebooks/;
  * the autograder's environment pins the course's Python, otter-grader and CPU-only torch.
Grading seconds are printed (the benchmark in bench/grading_time.py reports them properly).
"""

from __future__ import annotations

import os
import sys

from tools.cli import command_parser, open_build
from tools.course.building import (
    BuildError,
    build_all,
    stale_files,
    temporary_folder,
    write_built,
)
from tools.course.config import CourseConfigError
from tools.course.layout import CourseLayout, LayoutError
from tools.course.verification import print_reports, verify_files


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("verify", __doc__)
    parser.add_argument("assignments", nargs="*", help="NN_name of the sources (default: all)")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="parallel gradings (default: CPUs)"
    )
    args = parser.parse_args(argv)
    try:
        layout, course, names = open_build(args)
    except (CourseConfigError, LayoutError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with temporary_folder("vae-verify-") as work:
        try:
            built = build_all(layout, names, course, work / "build", min(args.jobs, 2))
        except (BuildError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        stale = stale_files(layout, built, course, all_selected=not args.assignments)
        files_root = work / "files"
        for item in built:
            write_built(CourseLayout(files_root), item)
        reports = verify_files(layout, built, files_root, course, args.jobs)
        if stale:
            print("Committed generated files differ from a fresh build (run `make build`):")
            for line in stale:
                print(f"  {line}")
        code = print_reports(reports)
        return code or (1 if stale else 0)


if __name__ == "__main__":
    sys.exit(main())
