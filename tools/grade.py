"""Grade a folder of submissions with an assignment's autograder; write one CSV row each.

Usage: python -m tools.grade SUBMISSIONS_DIR --assignment NN_name [--output grades/NN_name.csv]
       [--jobs N] [--cell-timeout S] [--timeout S] [--disk-mb M] [--resume | --overwrite]
       [--no-sandbox]

A submission is a `.ipynb` file, a `.zip` (only the notebook inside is read; nothing is extracted,
any `.OTTER_LOG` is ignored), or a folder holding one of those. Each runs in a bubblewrap sandbox
(`vae_grading.sandbox`) with per-cell and per-submission limits; the verdicts are computed here,
outside the sandbox (`vae_grading.local_grading`). One bad submission never stops the batch or
touches another row. Columns: submission, q1..qN, total, max_total, status, reason.
Submissions whose names clash (also once case and Unicode look-alikes are ignored) are refused,
each on its own row; cells that a spreadsheet would run as a formula start with a quote.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tools.cli import command_parser
from tools.course.feedback import MessageLog, messages_path, write_grade_feedback
from tools.course.layout import CourseLayout
from tools.course.submissions import (
    DEFAULT_CELL_TIMEOUT_S,
    DEFAULT_SUBMISSION_TIMEOUT_S,
    STATUS_DISK_FULL,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_REFUSED,
    STATUS_TIMED_OUT,
    GradingLimits,
    GradingSetupError,
    grade_folder,
)
from vae_grading.autograder import AutograderZipError
from vae_grading.sandbox import SandboxUnavailable, bubblewrap


def _validate(args: argparse.Namespace, layout: CourseLayout) -> Path:
    """Check the command line; return the autograder zip."""
    if not str(args.submissions).strip() or str(args.submissions) == ".":
        raise GradingSetupError(
            "give the submissions folder: python -m tools.grade DIR --assignment NN_name "
            "(make grade SUBMISSIONS=DIR ASSIGNMENT=NN_name)"
        )
    if not args.submissions.is_dir():
        raise GradingSetupError(f"submissions folder {args.submissions} does not exist")
    built = sorted(p.parent.name for p in layout.autograder.glob("*/*-autograder.zip"))
    if not args.assignment:
        raise GradingSetupError(f"give --assignment, one of: {', '.join(built) or 'none built'}")
    zip_path = layout.autograder_zip(args.assignment)
    if not zip_path.is_file():
        hint = (
            f"built ones: {', '.join(built)}"
            if built
            else "none is built yet: run `make build` first"
        )
        raise GradingSetupError(f"no autograder for assignment {args.assignment!r} ({hint})")
    if args.cell_timeout < 1 or args.timeout < 1 or args.jobs < 1 or args.disk_mb < 1:
        raise GradingSetupError("--cell-timeout, --timeout, --jobs and --disk-mb must be positive")
    return zip_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("grade", __doc__)
    parser.add_argument("submissions", type=Path, help="folder of submissions")
    parser.add_argument("--assignment", required=True, help="NN_name of the assignment")
    parser.add_argument("--output", type=Path, help="CSV path (default: grades/NN_name.csv)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="submissions graded in parallel (default: %(default)s, the CPUs)",
    )
    parser.add_argument(
        "--cell-timeout",
        type=int,
        default=DEFAULT_CELL_TIMEOUT_S,
        help="seconds one cell may run before it is interrupted (default: %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=DEFAULT_SUBMISSION_TIMEOUT_S,
        help="seconds one submission may take in all (default: %(default)s)",
    )
    parser.add_argument(
        "--disk-mb",
        type=int,
        default=GradingLimits().disk_bytes // 2**20,
        help="MiB one submission may write (work folder, /tmp; default: %(default)s)",
    )
    keep = parser.add_mutually_exclusive_group()
    keep.add_argument(
        "--resume", action="store_true", help="keep the CSV's rows, grade only the others"
    )
    keep.add_argument("--overwrite", action="store_true", help="replace an existing CSV")
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code unconfined (only where bubblewrap cannot run; never for a class)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    layout = CourseLayout(args.root.resolve())
    try:
        zip_path = _validate(args, layout)
        output = args.output or Path("grades") / f"{args.assignment}.csv"
        if output.exists() and not (args.resume or args.overwrite):
            raise GradingSetupError(
                f"{output} already exists: pass --resume to grade only the submissions it lacks, "
                "--overwrite to replace it, or --output for another file"
            )
        if args.no_sandbox:
            print(
                "WARNING: --no-sandbox: student code runs with your user's rights and can read "
                "and change your files. Use it only for your own test notebooks.",
                file=sys.stderr,
            )
        else:
            bubblewrap()
        limits = GradingLimits(
            args.cell_timeout,
            args.timeout,
            sandbox=not args.no_sandbox,
            disk_bytes=args.disk_mb * 2**20,
        )
        started = time.perf_counter()
        log = MessageLog(messages_path(output), resume=args.resume)
        try:
            rows = grade_folder(
                args.submissions,
                args.assignment,
                zip_path,
                output,
                args.jobs,
                limits,
                progress=not args.no_progress,
                on_row=log.add,
                resume=args.resume,
            )
        finally:
            log.close()
        feedback = write_grade_feedback(output, args.assignment, zip_path)
    except (GradingSetupError, SandboxUnavailable, AutograderZipError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    counts = {
        status: sum(r.status == status for r in rows)
        for status in (STATUS_OK, STATUS_TIMED_OUT, STATUS_DISK_FULL, STATUS_FAILED, STATUS_REFUSED)
    }
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(
        f"graded {len(rows)} submission(s) in {time.perf_counter() - started:.0f} s "
        f"({summary}); wrote {output} and feedback files in {feedback}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
