"""Each notebook states the time its items take (tools.course.workload), and the model is sound."""

from __future__ import annotations

import nbformat
import pytest

from tools.course.layout import CourseLayout
from tools.course.notebooks import read_notebook
from tools.course.workload import classify, estimate_minutes, hours_text, item_minutes, items

REPO = CourseLayout()


@pytest.mark.parametrize("name", REPO.assignments())
def test_the_header_states_the_estimate(name: str) -> None:
    nb = read_notebook(REPO.source(name))
    expected = f"**Time needed:** about {hours_text(estimate_minutes(nb))} for a typical student"
    header = next(c.source for c in nb.cells if "**Time needed:**" in c.source)
    assert expected in header, f"{name}: write {expected!r} (tools/course/workload.py)"


def test_the_course_total_is_in_the_readme() -> None:
    total = sum(estimate_minutes(read_notebook(REPO.source(n))) for n in REPO.assignments())
    readme = " ".join((REPO.root / "README.md").read_text(encoding="utf-8").split())
    assert f"about {hours_text(total)} in all for a typical student" in readme


@pytest.mark.parametrize(
    ("heading", "kind", "points"),
    [
        ("`VAE` (4 points)", "code", 4),
        ("`binarize` (1 point)", "code", 1),
        ("`iwae_bound` (6 points, your design)", "decision", 6),
        ("`bernoulli_nll_from_logits`: stable for any logit (decision, 6 points)", "decision", 6),
        ("Why log-variance? (written answer, 2 points)", "written", 2),
        ("Your experiment (written answer, 2 points)", "experiment", 2),
        ("Your findings (written answer, 2 points)", "experiment", 2),
        ("The KL between any two Gaussians (written derivation, 2 points)", "derivation", 2),
        ("What is in the code? (multiple choice, 1 point)", "choice", 1),
        ("A better lazy guess (numeric, 1 point)", "numeric", 1),
    ],
)
def test_classify(heading: str, kind: str, points: int) -> None:
    assert classify(heading) == (kind, points)


def test_a_heading_without_points_is_refused() -> None:
    with pytest.raises(ValueError, match="must end in"):
        classify("`VAE`")


def test_estimate_adds_reading_items_and_running_by_hand() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("word " * 300 + "\n\n### Q1 · `f` (3 points)"),
        nbformat.v4.new_markdown_cell("### Q2 · Why? (written answer, 2 points)"),
        nbformat.v4.new_markdown_cell("**Model answer.** " + "word " * 999),  # not read
    ]
    assert [(i.name, i.kind, i.minutes) for i in items(nb)] == [
        ("Q1", "code", item_minutes("code", 3)),
        ("Q2", "written", item_minutes("written", 2)),
    ]
    # 300 + 7 + 7 words at 150 a minute -> 3 minutes; 20 + 15 for the items; 15 running
    assert estimate_minutes(nb) == 3 + 20 + 15 + 15


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(5, "¼ hour"), (60, "1 hour"), (67, "1 hour"), (83, "1½ hours"), (1345, "22½ hours")],
)
def test_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text
