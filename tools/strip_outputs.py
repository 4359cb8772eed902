"""Strip outputs, execution counts and run metadata from the course notebooks (or `--check`).

Usage: python -m tools.strip_outputs [--check] [PATH ...]

Default paths: solutions/ (sources; also sets the python3 kernel) and notebooks/ (generated).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.course.layout import CourseLayout
from tools.course.notebooks import normalise_source, notebook_text, read_notebook, strip_outputs


def notebooks_under(paths: list[Path]) -> list[Path]:
    """Every .ipynb file in `paths` (files or folders), checkpoints excluded."""
    found = []
    for path in paths:
        if path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        elif path.is_dir():
            found += [p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(set(found))


def cleaned_text(path: Path, layout: CourseLayout) -> str:
    """The text `path` should have: sources fully normalised, other notebooks outputs-free."""
    nb = read_notebook(path)
    is_source = path.resolve().parent == layout.solutions.resolve()
    return notebook_text(normalise_source(nb) if is_source else strip_outputs(nb))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.strip_outputs", description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks or folders")
    parser.add_argument("--check", action="store_true", help="change nothing, fail when unclean")
    args = parser.parse_args(argv)
    layout = CourseLayout()
    paths = args.paths or [layout.solutions, layout.notebooks]
    missing = [p for p in paths if not p.exists()]
    if args.paths and missing:
        print(f"error: not found: {', '.join(map(str, missing))}", file=sys.stderr)
        return 2
    unclean = []
    for path in notebooks_under(paths):
        try:
            text = cleaned_text(path, layout)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if path.read_text(encoding="utf-8") != text:
            unclean.append(path)
            if not args.check:
                path.write_text(text, encoding="utf-8")
    if args.check and unclean:
        print(
            "Notebooks with outputs or run metadata (run `python -m tools.strip_outputs`):",
            file=sys.stderr,
        )
        for path in unclean:
            print(f"  {path}", file=sys.stderr)
        return 1
    verb = "unclean" if args.check else "cleaned"
    print(f"strip_outputs: {len(notebooks_under(paths))} notebook(s), {len(unclean)} {verb}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
