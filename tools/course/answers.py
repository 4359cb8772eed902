"""A submission's written answer to one manual question, found in its notebook.

In a student notebook `otter assign` writes a manual question as a prompt cell starting with
`<!-- BEGIN QUESTION -->` (whose heading is `### Qn · …`), the answer cell(s) and a cell starting
with `<!-- END QUESTION -->`. The answer is every cell in between (students may add cells); the
images it may refer to are the attachments of those cells, their outputs, and the image outputs of
the last code cell above the prompt (the experiment a "your turn" answer discusses).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.course.notebooks import cell_source
from tools.course.render import IMAGE_TYPES, image_tag, markdown_to_html

PLACEHOLDER = "_Type your answer here, replacing this text._"
BEGIN = "<!-- BEGIN QUESTION -->"
END = "<!-- END QUESTION -->"
MAX_ANSWER_CELLS = 12
CONTEXT_LOOKBACK = 3


@dataclass
class Answer:
    """What a submission wrote for one question, ready to show a grader."""

    found: bool
    cells: list[dict[str, Any]] = field(default_factory=list)
    context_images: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        """True when nothing but the placeholder (or nothing at all) was written."""
        texts = [cell_source(c).strip() for c in self.cells]
        outputs = any(c.get("outputs") for c in self.cells)
        return not outputs and all(t in ("", PLACEHOLDER, "...") for t in texts)

    def digest(self) -> str:
        """A short hash of everything graded (text, attachments, outputs, images above)."""
        payload = {
            "cells": [
                [c.get("cell_type"), cell_source(c), c.get("attachments"), _images(c)]
                for c in self.cells
            ],
            "context": self.context_images,
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def to_html(self) -> str:
        """The answer as an HTML fragment: Markdown and math rendered, images embedded."""
        if not self.found:
            return '<p class="missing">The question was not found in this notebook.</p>'
        parts = []
        if self.blank:
            parts.append('<p class="missing">No answer (the placeholder is unchanged).</p>')
        else:
            for cell in self.cells:
                parts.append(_cell_html(cell))
        if self.context_images:
            parts.append('<div class="context"><p class="note">Plots above the question:</p>')
            parts.extend(
                image_tag(mime, data, "output above the question")
                for mime, data in self.context_images
            )
            parts.append("</div>")
        return "\n".join(parts)


def _images(cell: dict[str, Any]) -> list[tuple[str, Any]]:
    found = []
    for output in cell.get("outputs", []) or []:
        bundle = output.get("data", {}) if isinstance(output, dict) else {}
        for mime in IMAGE_TYPES:
            if isinstance(bundle, dict) and mime in bundle:
                found.append((mime, bundle[mime]))
                break
    return found


def _text_outputs(cell: dict[str, Any]) -> list[str]:
    texts = []
    for output in cell.get("outputs", []) or []:
        if not isinstance(output, dict):
            continue
        if output.get("output_type") == "stream":
            texts.append(cell_source({"source": output.get("text", "")}))
        elif output.get("output_type") == "error":
            texts.append(f"{output.get('ename', 'Error')}: {output.get('evalue', '')}")
        else:
            data = output.get("data", {})
            if isinstance(data, dict) and "text/plain" in data and not _images(cell):
                texts.append(cell_source({"source": data["text/plain"]}))
    return texts


def _cell_html(cell: dict[str, Any]) -> str:
    source = cell_source(cell)
    if cell.get("cell_type") == "markdown":
        return f'<div class="md">{markdown_to_html(source, cell.get("attachments"))}</div>'
    parts = [f'<pre class="code"><code>{html.escape(source)}</code></pre>']
    parts.extend(f'<pre class="out">{html.escape(text)}</pre>' for text in _text_outputs(cell))
    parts.extend(image_tag(mime, data, "cell output") for mime, data in _images(cell))
    return "\n".join(parts)


def _is_prompt(cell: dict[str, Any], name: str) -> bool:
    if cell.get("cell_type") != "markdown":
        return False
    pattern = rf"^#+\s*{re.escape(name)}\s*(·|:|\.|\s|$)"
    return re.search(pattern, cell_source(cell), re.IGNORECASE | re.MULTILINE) is not None


def find_answer(nb: Any, name: str) -> Answer:
    """The answer to manual question `name` (e.g. "q4") in a student notebook."""
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict)]
    start = next((i for i, c in enumerate(cells) if _is_prompt(c, name)), None)
    if start is None:
        return Answer(found=False)
    answer = Answer(found=True)
    for cell in cells[start + 1 : start + 1 + MAX_ANSWER_CELLS]:
        text = cell_source(cell).lstrip()
        if text.startswith(END) or text.startswith(BEGIN):
            break
        answer.cells.append(cell)
    for cell in reversed(cells[max(0, start - CONTEXT_LOOKBACK) : start]):
        if cell.get("cell_type") == "code":
            answer.context_images = _images(cell)
            break
    return answer
