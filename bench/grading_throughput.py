"""Submissions per hour that `python -m tools.grade --jobs N` sustains on this machine.

Builds the assignment (default `02_vae_theory`) into a temporary course, copies its answer key
`--copies` times into a submissions folder and grades the folder with `tools.grade` exactly as
`make grade` does (bubblewrap sandbox, verdicts outside it, CSV, messages and feedback files),
once per `--jobs` value, pinned to `--cores` CPUs. Prints seconds, seconds per submission and
submissions per hour for each, with the machine and its load average.

Usage: .venv/bin/python bench/grading_throughput.py [NN_name] [--copies 4] [--jobs 1 2]
       [--cores 2] [--json out.json]
Not part of the test suite: it measures, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tools.course.building import build_all, temporary_folder  # noqa: E402
from tools.course.config import load_course_config  # noqa: E402
from tools.course.layout import CourseLayout  # noqa: E402


def pin_to_cores(cores: int) -> list[int]:
    """Restrict this process and the graders it starts to the first `cores` CPUs it may use."""
    if not hasattr(os, "sched_setaffinity"):
        return []
    chosen = sorted(os.sched_getaffinity(0))[: max(1, cores)]
    os.sched_setaffinity(0, chosen)
    return chosen


def grade_batch(root: Path, folder: Path, assignment: str, jobs: int, output: Path) -> float:
    """Seconds `tools.grade` takes for the folder (it must grade every copy `ok`)."""
    command = [
        sys.executable, "-m", "tools.grade", str(folder), "--assignment", assignment,
        "--root", str(root), "--jobs", str(jobs), "--output", str(output), "--no-progress",
        "--overwrite",
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.count(" ok") == 0:
        raise RuntimeError(f"tools.grade failed: {done.stdout}\n{done.stderr}")
    return seconds


def measure(assignment: str, copies: int, jobs: list[int], cores: int) -> dict:
    """Build, copy the key, grade once per jobs value; return the figures."""
    chosen = pin_to_cores(cores)
    layout = CourseLayout()
    rows = []
    with temporary_folder("vae-bench-throughput-") as work:
        started = time.perf_counter()
        (built,) = build_all(layout, [assignment], load_course_config(), work / "build", jobs=1)
        build_seconds = time.perf_counter() - started
        course = work / "course"
        for rel, data in built.files.items():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            (course / rel).write_bytes(data)
        assert built.key_notebook is not None, f"{assignment} built no answer key"
        submissions = work / "submissions"
        submissions.mkdir()
        for index in range(copies):
            shutil.copy(built.key_notebook, submissions / f"key_{index:02d}.ipynb")
        for n in jobs:
            seconds = grade_batch(course, submissions, assignment, n, work / f"jobs{n}.csv")
            rows.append(
                {
                    "jobs": n,
                    "seconds": round(seconds, 1),
                    "seconds_per_submission": round(seconds / copies, 1),
                    "submissions_per_hour": round(3600 * copies / seconds),
                }
            )
    return {
        "assignment": assignment,
        "copies": copies,
        "cores": len(chosen) or os.cpu_count(),
        "build_seconds": round(build_seconds, 1),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs visible",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "runs": rows,
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("assignment", nargs="?", default="02_vae_theory")
    parser.add_argument("--copies", type=int, default=4, help="copies of the key (default: 4)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values")
    parser.add_argument("--cores", type=int, default=2, help="CPUs to grade on (default: 2)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.assignment, args.copies, args.jobs, args.cores)
    print(
        f"{result['assignment']}: {result['copies']} copies of the key on {result['cores']} "
        f"core(s), {result['machine']}; load average at end "
        f"{', '.join(map(str, result['load_average_at_end']))}"
    )
    print("| --jobs | seconds | s / submission | submissions / hour |")
    print("|---:|---:|---:|---:|")
    for row in result["runs"]:
        print(
            f"| {row['jobs']} | {row['seconds']} | {row['seconds_per_submission']} | "
            f"{row['submissions_per_hour']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
