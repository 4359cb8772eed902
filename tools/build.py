"""Build the student notebooks and autograders from the Otter Assign sources in solutions/.

Usage: python -m tools.build [NN_name ...] [--check] [--verify] [--jobs N]

For each `solutions/NN_name.ipynb` this runs `otter assign` in a temporary folder and writes
  notebooks/NN_name/NN_name.ipynb           the student notebook (public tests in its metadata)
  autograder/NN_name/NN_name-autograder.zip the Gradescope / `otter run` zip (deterministic)
  autograder/NN_name/tests/qN.py            every test, public and hidden, as in the zip
It also cleans the sources (no outputs, current set-up cell). `--check` writes nothing and fails
when a source is unclean or a generated file stale, missing or extra; `--verify` then runs
`tools.verify`.
"""

from __future__ import annotations

import os
import shutil
import sys

from tools.cli import command_parser, open_build
from tools.course.building import (
    BuildError,
    build_all,
    clean_sources,
    orphan_folders,
    stale_files,
    temporary_folder,
    write_built,
)
from tools.course.config import CourseConfigError
from tools.course.layout import LayoutError
from tools.course.otter_format import AssignmentConfigError
from tools.course.verification import verify_built


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("build", __doc__)
    parser.add_argument("assignments", nargs="*", help="NN_name of the sources (default: all)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail listing stale, missing or extra generated files",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="after building, grade key and student copy and scan for leaks",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="otter assign runs in parallel (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        layout, course, names = open_build(args)
    except (CourseConfigError, LayoutError, BuildError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "your-org" in course.repo_url:
        print(
            f"WARNING: course.toml still names the placeholder repository {course.repo_url}: "
            "set repo_url before handing out notebooks (the Colab set-up cell installs from it)",
            file=sys.stderr,
        )

    with temporary_folder("vae-build-") as work:
        try:
            if not args.check:
                for path in clean_sources(layout, names, course):
                    print(f"cleaned {path}")
            built = build_all(layout, names, course, work, args.jobs, progress=True)
        except (BuildError, AssignmentConfigError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

        if args.check:
            problems = stale_files(layout, built, course, all_selected=not args.assignments)
            if problems:
                print(
                    "Generated files are out of date; run `make build` (python -m tools.build) "
                    "and commit:",
                    file=sys.stderr,
                )
                for line in problems:
                    print(f"  {line}", file=sys.stderr)
                return 1
            print(f"up to date: {', '.join(names)}")
        else:
            if not args.assignments:
                for folder in orphan_folders(layout, names):
                    shutil.rmtree(folder)
                    print(f"removed {folder.relative_to(layout.root)} (its source is gone)")
            for item in built:
                changes = write_built(layout, item)
                summary = f"{len(changes)} file(s) changed" if changes else "unchanged"
                print(f"built {item.name} in {item.seconds:.0f} s: {summary}")
                for line in changes:
                    print(f"  {line}")

        if args.verify:
            return verify_built(layout, built, course)
    return 0


if __name__ == "__main__":
    sys.exit(main())
