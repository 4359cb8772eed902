"""Item analysis of one graded assignment: per-question difficulty, discrimination and messages."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

NEARLY_ALL = 0.9  # share of students at 0 (or at full marks) that flags a question
TOP_MESSAGES = 3


@dataclass(frozen=True)
class QuestionStats:
    """One question across the class."""

    name: str
    possible: float
    count: int
    mean: float
    share_zero: float
    share_full: float
    discrimination: float | None  # corrected item-total correlation; None when undefined
    messages: list[tuple[str, int]] = field(default_factory=list)
    written: bool = False

    @property
    def flags(self) -> list[str]:
        """Why this question deserves a look."""
        found = []
        if self.count and self.share_zero >= NEARLY_ALL:
            found.append("nearly everyone fails")
        if self.count and self.share_full >= NEARLY_ALL:
            found.append("nearly everyone passes")
        if self.discrimination is not None and self.discrimination < 0:
            found.append("negative discrimination")
        return found


def pearson(xs: list[float], ys: list[float]) -> float | None:
    """Pearson's correlation, or None when either list has no spread (or fewer than 2 values)."""
    n = len(xs)
    if n < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 0 or syy <= 0:
        return None
    return sxy / math.sqrt(sxx * syy)


def analyse(
    scores: dict[str, dict[str, float | None]],
    possible: dict[str, float],
    messages: dict[str, dict[str, list[str]]] | None = None,
    written: set[str] | None = None,
) -> list[QuestionStats]:
    """Stats per question of `possible`, from student → question → score (None: not scored).

    The discrimination of a question is the correlation, over the students scored on it, between
    its score and the sum of their other questions' scores (the corrected item-total
    correlation), so a question does not correlate with itself.
    """
    messages = messages or {}
    stats = []
    for name, most in possible.items():
        rows = [
            (student, row[name]) for student, row in scores.items() if row.get(name) is not None
        ]
        values = [float(v) for _, v in rows if v is not None]
        rest = [
            sum(
                float(v)
                for q, v in scores[s].items()
                if q != name and v is not None and q in possible
            )
            for s, _ in rows
        ]
        n = len(values)
        counted: Counter[str] = Counter()
        for student, _ in rows:
            for message in set(messages.get(student, {}).get(name, [])):
                counted[message] += 1
        stats.append(
            QuestionStats(
                name,
                most,
                n,
                sum(values) / n if n else 0.0,
                sum(v <= 0 for v in values) / n if n else 0.0,
                sum(v >= most for v in values) / n if n else 0.0,
                pearson(values, rest),
                counted.most_common(TOP_MESSAGES),
                name in (written or set()),
            )
        )
    return stats
