"""Write the student edition of the course: what students get, and nothing else.

Usage: python -m tools.release [--output release/] [--allow-placeholder]      (make release)

The edition is made from an allow-list (the student notebooks, the helper package, the student
requirements, a licence and a README written for students), never by deleting secrets from a
copy. It refuses while `course.toml` names the placeholder repository, scans every file of the
edition for solution code and hidden-test text, and prints the commands that publish it. It also
refuses a build that does not match `course.toml` and `solutions/` (set-up cells, Colab badges,
any generated file), and a release that the package versions or CHANGELOG.md do not name.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools.cli import command_parser, open_course
from tools.course.config import CourseConfigError
from tools.course.edition import (
    ReleaseError,
    check_build_is_current,
    check_release_notes,
    check_repository,
    write_edition,
)
from tools.course.layout import LayoutError


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("release", __doc__)
    parser.add_argument("--output", type=Path, default=Path("release"), help="edition folder")
    parser.add_argument(
        "--allow-placeholder", action="store_true", help="for tests: accept the placeholder URL"
    )
    args = parser.parse_args(argv)
    try:
        layout, course = open_course(args)
        check_repository(course, args.allow_placeholder)
        check_release_notes(layout, course)
        print(f"checking that the build matches course.toml and solutions/ ({course.release})…")
        check_build_is_current(layout, course)
        files = write_edition(layout, course, args.output.resolve(), args.allow_placeholder)
    except (CourseConfigError, LayoutError, ReleaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the student edition ({len(files)} files) to {args.output}; no leaks found.")
    print("Publish it:")
    print(f"  cd {args.output} && git init -b main && git add -A")
    print(f'  git commit -m "Student edition {course.release}"')
    print(f"  git remote add origin {course.repo_url}.git && git push -u origin main")
    print(f"  git tag {course.release} && git push origin {course.release}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
