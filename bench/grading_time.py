"""Seconds to grade one submission, per assignment, the way `python -m tools.grade` grades it.

Builds every assignment (or those named) into a temporary folder, then grades the answer key and
the untouched student notebook once each, one at a time, in the bubblewrap sandbox, pinned to
`--cores` CPUs (2 by default). Targets: each submission under 60 s, the median under 30 s. The
figure includes everything a submission costs: the sandbox, the kernel, executing the notebook,
the probes and the verdicts.

Usage: .venv/bin/python bench/grading_time.py [NN_name ...] [--cores 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tools.course.building import build_all, temporary_folder, write_built  # noqa: E402
from tools.course.config import load_course_config  # noqa: E402
from tools.course.layout import CourseLayout  # noqa: E402
from tools.course.notebooks import read_notebook  # noqa: E402
from tools.course.submissions import GradingLimits, canonical_notebook, run_isolated  # noqa: E402

BUDGET_S = 60.0
MEDIAN_TARGET_S = 30.0


def pin_to_cores(cores: int) -> list[int]:
    """Restrict this process (and the graders it starts) to the first `cores` CPUs it may use."""
    if not hasattr(os, "sched_setaffinity"):
        return []
    available = sorted(os.sched_getaffinity(0))
    chosen = available[: max(1, cores)]
    os.sched_setaffinity(0, chosen)
    return chosen


def measure(names: list[str], cores: int) -> dict:
    """Build `names`, grade key and student copy of each once, and return the timings."""
    layout = CourseLayout()
    course = load_course_config()
    chosen = pin_to_cores(cores)
    limits = GradingLimits(cell_timeout_s=300, submission_timeout_s=600)
    rows = []
    with temporary_folder("vae-bench-grading-") as work:
        built = build_all(layout, names, course, work / "build", jobs=len(chosen) or 1)
        files = CourseLayout(work / "files")
        for item in built:
            write_built(files, item)
        for item in built:
            row: dict = {"assignment": item.name}
            for kind, notebook in (("key", item.key_notebook), ("student", None)):
                path = notebook or files.student_notebook(item.name)
                nb = canonical_notebook(read_notebook(path), item.name)
                run = run_isolated(nb, item.name, files.autograder_zip(item.name), limits)
                row[f"{kind}_seconds"] = round(run.seconds, 1)
                row[f"{kind}_score"] = f"{run.total:g}/{run.possible:g}"
                row[f"{kind}_status"] = (
                    "timed out" if run.timed_out else "crashed" if run.crashed else "ok"
                )
            rows.append(row)
    return {
        "cores": len(chosen) or os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "machine": platform.platform(),
        "budget_seconds": BUDGET_S,
        "assignments": rows,
    }


def print_table(result: dict) -> None:
    """Print the timings as a Markdown table, then the median."""
    import statistics

    print(
        f"grading time per submission on {result['cores']} core(s) "
        f"(load average at end: {', '.join(map(str, result['load_average_at_end']))})"
    )
    print()
    print("| assignment | answer key (s) | key score | student copy (s) | student score | ≤ 60 s |")
    print("|---|---:|---|---:|---|---|")
    for row in result["assignments"]:
        worst = max(row["key_seconds"], row["student_seconds"])
        within = "yes" if worst <= result["budget_seconds"] else "NO"
        print(
            f"| {row['assignment']} | {row['key_seconds']:.1f} | {row['key_score']} | "
            f"{row['student_seconds']:.1f} | {row['student_score']} | {within} |"
        )
    seconds = [r[k] for r in result["assignments"] for k in ("key_seconds", "student_seconds")]
    if seconds:
        median = statistics.median(seconds)
        verdict = "within" if median <= MEDIAN_TARGET_S else "OVER"
        print(
            f"\nmedian {median:.1f} s per submission ({verdict} the {MEDIAN_TARGET_S:.0f} s target)"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("assignments", nargs="*", help="NN_name (default: all in solutions/)")
    parser.add_argument("--cores", type=int, default=2, help="CPUs to grade on (default: 2)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    names = CourseLayout().select(args.assignments)
    result = measure(names, args.cores)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
