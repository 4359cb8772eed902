"""Item analysis of graded batches as one self-contained HTML report with plots.

Usage: python -m tools.report [NN_name ...] [--grades grades] [--output grades/report.html]

Per assignment (default: every one with a `grades/NN_name.csv`) it reads the merged gradebook
(`grades/gradebook/NN_name.csv`, written questions included) or else the grade CSV, and the
verdict messages `tools.grade` saved. It shows the distribution of totals; per question the mean,
the share of students at 0 and at full marks, the discrimination (correlation of the question
with the rest of the total), the most frequent verdict messages; flags for questions nearly
everyone fails or passes or that discriminate negatively; and the submissions that timed out or
could not be executed. Only submissions graded `ok` enter the statistics.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.cli import command_parser
from tools.course.feedback import messages_path, read_messages
from tools.course.itemanalysis import QuestionStats, analyse
from tools.course.layout import CourseLayout
from tools.course.rubrics import load_manual_questions
from vae_grading.autograder import possible_points, read_points


@dataclass
class Batch:
    """One assignment's graded class, as the report needs it."""

    assignment: str
    source: Path
    scores: dict[str, dict[str, float | None]]
    possible: dict[str, float]
    written: set[str]
    statuses: dict[str, tuple[str, str]]
    messages: dict[str, dict[str, list[str]]]

    @property
    def max_total(self) -> float:
        """Points available."""
        return sum(self.possible.values())


def _float(text: str) -> float | None:
    text = (text or "").strip()
    return float(text) if text else None


def load_batch(grades: Path, assignment: str, layout: CourseLayout) -> Batch:
    """Read the gradebook (or grade CSV), maxima and messages of one assignment."""
    grade_csv = grades / f"{assignment}.csv"
    merged = grades / "gradebook" / f"{assignment}.csv"
    source = merged if merged.is_file() else grade_csv
    with open(source, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0].keys()) if rows else []
    if "auto_total" in header:  # the gradebook: student, name, email, status, reason, q…
        key, questions = "student", header[header.index("reason") + 1 : header.index("auto_total")]
    else:  # tools.grade: submission, q…, total, max_total, status, reason
        key, questions = "submission", header[1 : header.index("total")] if header else []
    zip_path = layout.autograder_zip(assignment)
    auto = possible_points(read_points(zip_path)) if zip_path.is_file() else {}
    manual = (
        {q.name: q.points for q in load_manual_questions(layout.source(assignment))}
        if layout.source(assignment).is_file()
        else {}
    )
    possible = {q: auto.get(q, manual.get(q, 0.0)) for q in questions}
    scores, statuses = {}, {}
    for row in rows:
        statuses[row[key]] = (row.get("status", "ok") or "ok", row.get("reason", "") or "")
        if statuses[row[key]][0] == "ok":
            scores[row[key]] = {q: _float(row.get(q, "")) for q in questions}
    records = read_messages(messages_path(grade_csv))
    messages = {s: r.get("messages", {}) for s, r in records.items()}
    written = {q for q in questions if q in manual and q not in auto}
    return Batch(assignment, source, scores, possible, written, statuses, messages)


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="plot" src="data:image/png;base64,{data}">'


def totals_plot(batch: Batch) -> str:
    """Histogram of the students' totals (percent of the maximum)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    totals = [
        100 * sum(v or 0.0 for v in row.values()) / batch.max_total if batch.max_total else 0.0
        for row in batch.scores.values()
    ]
    fig, ax = plt.subplots(figsize=(6, 2.6))
    ax.hist(totals, bins=[i * 5 for i in range(21)], color="#4a6fa5", edgecolor="white")
    ax.set_xlabel("total, % of the maximum")
    ax.set_ylabel("students")
    ax.set_title(f"{batch.assignment}: {len(totals)} graded submissions")
    return _png(fig)


def questions_plot(batch: Batch, stats: list[QuestionStats]) -> str:
    """Per question: mean as a share of its points, and the discrimination."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [s.name + ("*" if s.written else "") for s in stats]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(max(6, 0.5 * len(stats)), 4.4), sharex=True)
    top.bar(names, [s.mean / s.possible if s.possible else 0 for s in stats], color="#4a6fa5")
    top.set_ylim(0, 1)
    top.set_ylabel("mean / points")
    disc = [s.discrimination if s.discrimination is not None else 0.0 for s in stats]
    bottom.bar(names, disc, color=["#b5473a" if d < 0 else "#5a9e6f" for d in disc])
    bottom.axhline(0, color="black", linewidth=0.8)
    bottom.set_ylim(-1, 1)
    bottom.set_ylabel("discrimination")
    bottom.tick_params(axis="x", rotation=60)
    return _png(fig)


def _pct(value: float) -> str:
    return f"{100 * value:.0f} %"


def batch_section(batch: Batch) -> str:
    """The report's section for one assignment."""
    stats = analyse(batch.scores, batch.possible, batch.messages, batch.written)
    rows = []
    for s in stats:
        disc = "n/a" if s.discrimination is None else f"{s.discrimination:+.2f}"
        messages = "<br>".join(f"{n}× {html.escape(m)}" for m, n in s.messages) or "—"
        flags = ", ".join(s.flags)
        rows.append(
            f'<tr class="{"flag" if flags else ""}"><td>{s.name}{" (written)" if s.written else ""}'
            f"</td><td>{s.possible:g}</td><td>{s.count}</td><td>{s.mean:.2f}</td>"
            f"<td>{_pct(s.share_zero)}</td><td>{_pct(s.share_full)}</td><td>{disc}</td>"
            f"<td>{html.escape(flags)}</td><td class='msg'>{messages}</td></tr>"
        )
    counts = Counter(status for status, _ in batch.statuses.values())
    problems = [
        f"<li><b>{html.escape(sub)}</b>: {html.escape(status)} — {html.escape(reason)}</li>"
        for sub, (status, reason) in sorted(batch.statuses.items())
        if status != "ok"
    ]
    errors = Counter(
        reason.split(" (first:")[0]
        for status, reason in batch.statuses.values()
        if status == "ok" and reason
    )
    error_items = "".join(f"<li>{n}× {html.escape(r)}</li>" for r, n in errors.most_common(5))
    status_text = ", ".join(f"{n} {html.escape(s)}" for s, n in counts.most_common())
    return f"""
<section><h2>{html.escape(batch.assignment)}</h2>
<p class="meta">from {html.escape(str(batch.source))}; {status_text}</p>
{totals_plot(batch) if batch.scores else ""}
{questions_plot(batch, stats) if stats and batch.scores else ""}
<table><tr><th>question</th><th>points</th><th>n</th><th>mean</th><th>at 0</th><th>full</th>
<th>discrimination</th><th>flags</th><th>most frequent messages</th></tr>
{"".join(rows)}</table>
<h3>Time-outs and submissions that could not be executed</h3>
<ul>{"".join(problems) or "<li>none</li>"}</ul>
<h3>Graded submissions with cell errors or interrupted cells</h3>
<ul>{error_items or "<li>none</li>"}</ul>
</section>"""


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 1rem auto; padding: 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
td, th { border: 1px solid #ccd; padding: 0.2rem 0.4rem; vertical-align: top; }
tr.flag td { background: #fff3cd; }
td.msg { max-width: 30rem; }
.meta { color: #555; }
"""


def report_html(batches: list[Batch]) -> str:
    """The whole report."""
    sections = "".join(batch_section(b) for b in batches)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Item analysis</title>
<style>{STYLE}</style></head><body><h1>Item analysis</h1>
<p>Discrimination: the correlation between a question's score and the rest of the student's
total (corrected item–total correlation); near 0 or negative means the question does not
separate stronger from weaker students. Flags: at least 90 % of students at 0 or at full marks,
or a negative discrimination. Written questions are marked *.</p>
{sections}</body></html>
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = command_parser("report", __doc__)
    parser.add_argument("assignments", nargs="*", help="NN_name (default: all with a grade CSV)")
    parser.add_argument("--grades", type=Path, default=Path("grades"), help="make grade's folder")
    parser.add_argument("--output", type=Path, help="HTML file (default: GRADES/report.html)")
    args = parser.parse_args(argv)
    layout = CourseLayout(args.root.resolve())
    names = args.assignments or sorted(
        p.stem for p in args.grades.glob("*.csv") if p.stem in layout.assignments()
    )
    missing = [n for n in names if not (args.grades / f"{n}.csv").is_file()]
    if not names or missing:
        print(
            f"error: no grade CSV for {', '.join(missing) or 'any assignment'} in {args.grades}: "
            "run make grade first",
            file=sys.stderr,
        )
        return 2
    output = args.output or args.grades / "report.html"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report_html([load_batch(args.grades, n, layout) for n in names]), "utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
