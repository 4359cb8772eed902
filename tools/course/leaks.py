"""Find solution code and hidden-test text in files meant for students."""

from __future__ import annotations

import ast
import contextlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.course.notebooks import cell_source
from tools.course.otter_format import region_marker

MIN_FINGERPRINT_CHARS = 12
LEAK_FRACTION = 0.6


@dataclass(frozen=True)
class Secret:
    """A piece of text students must not see: where it comes from and its fingerprint lines."""

    origin: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Leak:
    """A secret found in a student file."""

    secret: Secret
    path: Path
    found: tuple[str, ...]

    def describe(self, root: Path) -> str:
        """One line for the verify report."""
        try:
            where = self.path.relative_to(root)
        except ValueError:
            where = self.path
        return f"{self.secret.origin} appears in {where}: {self.found[0]!r}"


def normalise_line(line: str) -> str:
    """A line with its whitespace collapsed and quotes unified (for comparing code text)."""
    return re.sub(r"\s+", " ", line.strip()).replace('"', "'")


def _fingerprints(
    lines: list[str], exclude: frozenset[str] | set[str] = frozenset()
) -> tuple[str, ...]:
    kept = []
    for line in lines:
        norm = normalise_line(line)
        if len(norm) < MIN_FINGERPRINT_CHARS or norm.startswith("#") or norm in exclude:
            continue
        if norm.startswith(('"""', "'''")) or norm in kept:
            continue
        kept.append(norm)
    return tuple(kept)


def solution_secrets(source: nbformat.NotebookNode, name: str) -> list[Secret]:
    """Every solution block of an Otter Assign source: code between solution markers, the right
    side of `# SOLUTION` lines, `# SOLUTION NO PROMPT` lines, model answers in solution regions."""
    secrets = []
    in_solution = False
    for index, cell in enumerate(source.cells, start=1):
        marker = region_marker(cell)
        if marker is not None:
            if marker[1] == "SOLUTION":
                in_solution = marker[0] == "BEGIN"
            continue
        origin = f"{name} solution (source cell {index})"
        text = cell_source(cell)
        if cell.cell_type == "markdown" and in_solution:
            secrets.append(Secret(origin, _fingerprints(text.splitlines())))
            continue
        if cell.cell_type != "code":
            continue
        block: list[str] | None = None
        for line in text.splitlines():
            stripped = line.strip()
            if re.match(r"#\s*BEGIN SOLUTION", stripped):
                block = []
            elif re.match(r"#\s*END SOLUTION", stripped):
                if block:
                    secrets.append(Secret(origin, _fingerprints(block)))
                block = None
            elif block is not None:
                block.append(line)
            elif re.search(r"#\s*SOLUTION NO PROMPT\s*$", line):
                secrets.append(Secret(origin, _fingerprints([line.split("#")[0]])))
            elif re.search(r"#\s*SOLUTION\s*$", line):
                code = line[: line.rfind("#")]
                value = code.split("=", 1)[1] if "=" in code else code
                secrets.append(Secret(origin, _fingerprints([value])))
    return [s for s in secrets if s.lines]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        if all(isinstance(v, str) for v in value):
            return ["".join(value)]
        return [s for v in value for s in _strings(v)]
    return []


def student_text(path: Path) -> str:
    """All text of a student file, normalised line by line (notebooks: every JSON string)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if path.suffix == ".ipynb":
        with contextlib.suppress(json.JSONDecodeError):
            text = "\n".join(_strings(json.loads(text)))
    return "\n".join(normalise_line(line) for line in text.splitlines())


def find_leaks(secrets: list[Secret], files: list[Path]) -> list[Leak]:
    """Secrets of which most fingerprint lines (at least 60 %) occur in one of `files`."""
    leaks = []
    texts = {path: student_text(path) for path in files}
    for secret in secrets:
        needed = max(1, math.ceil(LEAK_FRACTION * len(secret.lines)))
        for path, text in texts.items():
            found = tuple(line for line in secret.lines if line in text)
            if len(found) >= needed:
                leaks.append(Leak(secret, path, found))
    return leaks


def hidden_module_secrets(path: Path, name: str) -> list[Secret]:
    """Every function of a trusted hidden-tests module (hidden_tests/NN_name.py), and its
    QUESTIONS list (which holds the multiple-choice answers), as secrets."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    secrets = []
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef):
            body = lines[node.body[0].lineno - 1 : node.end_lineno]
            secrets.append(Secret(f"{name} hidden test {node.name}", _fingerprints(body)))
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "QUESTIONS" for t in node.targets
        ):
            body = lines[node.lineno - 1 : node.end_lineno]
            secrets.append(Secret(f"{name} hidden QUESTIONS", _fingerprints(body)))
    return [s for s in secrets if s.lines]


HELPERS_ALLOWLIST = Path(__file__).resolve().parent / "helpers_leak_allowlist.txt"


def helper_line_leaks(secrets: list[Secret], files: list[Path]) -> list[Leak]:
    """Any single solution line found in helper files, except the reviewed allow-list."""
    allowed = {
        normalise_line(line)
        for line in HELPERS_ALLOWLIST.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    leaks = []
    for path in files:
        text = set(student_text(path).splitlines())
        for secret in secrets:
            found = tuple(line for line in secret.lines if line in text and line not in allowed)
            if found:
                leaks.append(Leak(secret, path, found))
    return leaks
