"""One self-contained HTML page per written question: prompt, model answer, rubric, every answer."""

from __future__ import annotations

import html
from dataclasses import dataclass

from tools.course.answers import Answer
from tools.course.render import markdown_to_html
from tools.course.rubrics import ManualQuestion

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem;
       line-height: 1.45; color: #1d1d1f; }
header.key { background: #f4f6fa; border: 1px solid #c9d3e3; padding: 0.5rem 1rem; }
table.rubric { border-collapse: collapse; margin: 0.5rem 0; }
table.rubric td, table.rubric th { border: 1px solid #c9d3e3; padding: 0.25rem 0.5rem;
       vertical-align: top; text-align: left; }
section.answer { border-top: 3px solid #567; margin-top: 1.5rem; padding-top: 0.5rem; }
section.answer h3 { margin: 0.2rem 0; font-size: 1.05rem; }
.meta { color: #555; font-size: 0.85rem; }
.missing { color: #a33; font-style: italic; }
.stale { background: #fff3cd; border: 1px solid #e0c36c; padding: 0.25rem 0.5rem; }
pre { background: #f6f6f6; padding: 0.5rem; overflow-x: auto; }
img { max-width: 100%; }
.context { border-left: 3px solid #ccc; padding-left: 0.5rem; }
.math { font-size: 1.05em; }
nav a { margin-right: 0.4rem; }
"""


@dataclass(frozen=True)
class ShownAnswer:
    """One submission's answer as listed on a page: who (maybe a pseudonym), hash and content."""

    label: str
    answer: Answer
    digest: str
    note: str = ""


def rubric_table(question: ManualQuestion) -> str:
    """The rubric as an HTML table (item, points, what earns them) plus its notes."""
    rows = "\n".join(
        f"<tr><td>{item.key}</td><td>{item.points:g}</td><td><b>{html.escape(item.label)}</b>: "
        f"{_inline(item.description)}</td></tr>"
        for item in question.rubric.items
    )
    notes = question.rubric.notes
    return (
        '<table class="rubric"><tr><th>item</th><th>points</th><th>what earns them</th></tr>'
        f"{rows}</table>" + (f'<div class="notes">{markdown_to_html(notes)}</div>' if notes else "")
    )


def _inline(text: str) -> str:
    rendered = markdown_to_html(text).strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        rendered = rendered[3:-4]
    return rendered


def question_page(question: ManualQuestion, answers: list[ShownAnswer], sheet_name: str) -> str:
    """The whole page for one question."""
    title = f"{question.assignment} · {question.title}"
    nav = " ".join(
        f'<a href="#a{i}">{html.escape(a.label)}</a>' for i, a in enumerate(answers, start=1)
    )
    sections = []
    for index, shown in enumerate(answers, start=1):
        note = f'<p class="stale">{html.escape(shown.note)}</p>' if shown.note else ""
        sections.append(
            f'<section class="answer" id="a{index}"><h3>{index}. {html.escape(shown.label)}</h3>'
            f'<p class="meta">answer_hash {shown.digest}</p>{note}'
            f"{shown.answer.to_html()}</section>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<header class="key">
<h2>Prompt</h2>{markdown_to_html(question.prompt.replace("<!-- BEGIN QUESTION -->", ""))}
<h2>Model answer</h2>{markdown_to_html(question.model_answer)}
<h2>Rubric</h2>{rubric_table(question)}
<p class="meta">Enter points per rubric item (or only <code>points</code>) and a comment in
<code>{html.escape(sheet_name)}</code>, one row per submission; keep <code>answer_hash</code>
as it is.</p>
</header>
<nav><b>{len(answers)} answers:</b> {nav}</nav>
{"".join(sections)}
</body></html>
"""
