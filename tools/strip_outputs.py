"""Clean the course notebooks without building (or `--check` them).

Usage: python -m tools.strip_outputs [--check] [PATH ...] [--root DIR]

Sources (`solutions/NN_name.ipynb`) get the text `make build` gives them: no outputs, the python3
kernel, the Colab badge and set-up cell from `course.toml`; `solutions/grading-requirements.txt`
gets its pinned lines (both through `building.clean_sources`, the one writer of solutions/).
Every other notebook (notebooks/, by default) loses its outputs, counts and run metadata.
Default paths: solutions/ and notebooks/ of the checkout.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tools.cli import command_parser, open_course, report_cleaning
from tools.course.building import clean_sources
from tools.course.config import CourseConfigError
from tools.course.layout import ASSIGNMENT_NAME, CourseLayout
from tools.course.notebooks import notebook_text, read_notebook, strip_outputs


def notebooks_under(paths: list[Path]) -> list[Path]:
    """Every .ipynb file in `paths` (files or folders), checkpoints excluded."""
    found = []
    for path in paths:
        if path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        elif path.is_dir():
            found += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted({p.resolve() for p in found})


def is_source(path: Path, layout: CourseLayout) -> bool:
    """Whether `path` is an assignment's source in solutions/."""
    return path.parent == layout.solutions.resolve() and bool(ASSIGNMENT_NAME.match(path.stem))


def strip_generated(paths: list[Path], write: bool) -> list[Path]:
    """Strip the outputs of notebooks that are not sources; return those that had any."""
    unclean = []
    for path in paths:
        text = notebook_text(strip_outputs(read_notebook(path)))
        if path.read_text(encoding="utf-8") != text:
            unclean.append(path)
            if write:
                path.write_text(text, encoding="utf-8")
    return unclean


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("strip_outputs", __doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders")
    parser.add_argument("--check", action="store_true", help="change nothing, fail when unclean")
    args = parser.parse_args(argv)
    try:
        layout, course = open_course(args)
    except CourseConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    paths = args.paths or [layout.solutions, layout.notebooks]
    missing = [p for p in paths if not p.exists()]
    if args.paths and missing:
        print(f"error: not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    found = notebooks_under(paths)
    sources = [p.stem for p in found if is_source(p, layout)]
    try:
        unclean = clean_sources(layout, sources, course, write=not args.check)
        others = strip_generated([p for p in found if not is_source(p, layout)], not args.check)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    unclean += [str(p) for p in others]
    return report_cleaning(unclean, args.check, "strip_outputs", len(found))


if __name__ == "__main__":
    sys.exit(main())
