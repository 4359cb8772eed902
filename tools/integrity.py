"""Cheap flags for submissions whose code reaches into the grader (for a human to look at).

Grading without containers runs the tests inside the student's kernel, so a submission can
tamper with them (otter-notes: monkeypatched `torch.allclose`, replaced runners, rewritten test
files). These patterns do not prevent that; they point an instructor at the notebooks to read.
"""

from __future__ import annotations

import re

import nbformat

from tools.notebooks import cell_source

IGNORE_TAG = "otter_ignore"
SUSPICIOUS_PATTERNS: dict[str, re.Pattern[str]] = {
    "uses otter internals": re.compile(
        r"\bChecker\b|\bGradingResults\b|\btest_case\b|from\s+otter\b|import\s+otter\.|"
        r"\botter\.(?:execute|test_files|check|run|api|utils|assign|grade|nbmeta_config)\b"
    ),
    "touches test files or the otter log": re.compile(
        r"""["'](?:\./)?tests(?:/|["'])|\.OTTER_LOG|results\.(?:pkl|json)"""
    ),
    "rebinds builtins": re.compile(r"__builtins__|\bimport\s+builtins\b|\bbuiltins\."),
    "replaces a library function": re.compile(
        r"^\s*(?:torch|np|numpy|math|F|nn|otter)(?:\.\w+)+\s*=(?!=)|"
        r"\bsetattr\(\s*(?:torch|np|numpy|math|F|nn|otter|builtins)\b|\bsys\.modules\[",
        re.MULTILINE,
    ),
}


def suspicious_code(
    nb: nbformat.NotebookNode, skip_sources: frozenset[str] = frozenset()
) -> list[str]:
    """One short note per suspicious pattern found in graded code cells ('what (cell N)')."""
    notes: dict[str, list[int]] = {}
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code":
            continue
        if IGNORE_TAG in cell.get("metadata", {}).get("tags", []):
            continue  # grading never runs it
        source = cell_source(cell)
        if source in skip_sources:
            continue
        for label, pattern in SUSPICIOUS_PATTERNS.items():
            if pattern.search(source):
                notes.setdefault(label, []).append(index + 1)
    return [
        f"{label} (cell {', '.join(map(str, cells[:3]))}{', …' if len(cells) > 3 else ''})"
        for label, cells in notes.items()
    ]
