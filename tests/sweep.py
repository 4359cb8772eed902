"""Sweep the hidden tests over many fresh gradings: keys and variants lose nothing, mutants are
caught every time, stubs earn nothing, and what a caught mistake keeps.

Usage: python -m tests.sweep [--keys 200] [--variants 200] [--mutants 50]
       [--stubs 10] [--only 02_vae_theory ...] [--part k/n]

Each grading draws fresh inputs (a new seed), exactly as a real grading does, and runs in this
process through the grader's JSON path (`vae_grading.scoring.run_in_process`). A key grading
scores every question; a variant, mutant or stub grading scores only the question(s) its
registry entry names (the CI suite checks once per run that the other questions are untouched).
Prints one Markdown table per assignment for docs/hidden-tests.md. Not a CI test: the full
counts take hours on two CPU cores.
"""

from __future__ import annotations

import argparse
import importlib
import secrets
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.otter_support import (
    SOLUTIONS,
    hidden_questions,
    key_namespace,
    make_stub,
    stub_scores,
)


def assignments() -> list[str]:
    """Every assignment that has a source notebook, in course order."""
    return sorted(p.stem for p in SOLUTIONS.glob("[0-9][0-9]_*.ipynb"))


@dataclass
class Tally:
    """Gradings of one kind of case: how many, how many went wrong, and the shares kept."""

    gradings: int = 0
    cases: int = 0
    wrong: list[str] = field(default_factory=list)  # "case (seed)" for each grading gone wrong
    kept: float = 0.0  # the most a graded case kept of its question
    goal_kept: float = 0.0  # the most a case failing a goal kept

    def cell(self) -> str:
        """'wrong / gradings (cases)'."""
        return f"{len(self.wrong)} / {self.gradings} ({self.cases})"


def _shares(results: Mapping[str, Any]) -> dict[str, float]:
    """Each question's share of its points."""
    return {name: r.score / r.possible for name, r in results.items()}


def sweep_key(assignment: str, count: int) -> Tally:
    """Grade the key `count` times with fresh seeds; a grading losing any point is wrong."""
    tally = Tally(cases=1)
    questions = {q.name for q in hidden_questions(assignment)}
    for _ in range(count):
        seed = secrets.randbits(32)
        results = stub_scores(assignment, questions, {}, seed=seed)
        tally.gradings += 1
        if any(s < 1.0 for s in _shares(results).values()):
            tally.wrong.append(f"key ({seed})")
    return tally


def sweep_cases(
    assignment: str,
    cases: Iterable[tuple[str, str, Mapping[str, Any]]],
    count: int,
    kind: str,
) -> Tally:
    """Grade each (name, question, replacements) `count` times on its own question: a variant
    is wrong when it loses a point, a mutant when it keeps every point, a stub when it earns."""
    tally = Tally()
    for name, question, replacements in cases:
        tally.cases += 1
        wrong_before = len(tally.wrong)
        for _ in range(count):
            seed = secrets.randbits(32)
            results = stub_scores(assignment, {question}, replacements, seed=seed)
            share = _shares(results)[question]
            tally.gradings += 1
            wrong = {"variants": share < 1.0, "mutants": share >= 1.0, "stubs": share > 0.0}
            if wrong[kind]:
                tally.wrong.append(f"{name} ({seed})")
            if kind != "variants" and share < 1.0:
                tally.kept = max(tally.kept, share)
                if results[question].goal_failed():
                    tally.goal_kept = max(tally.goal_kept, share)
        gone_wrong = tally.wrong[wrong_before:]
        print(  # one line a case, so that a run cut short still says what it measured
            f"{kind} {name} ({question}): {len(gone_wrong)} / {count} wrong {gone_wrong or ''}",
            file=sys.stderr,
            flush=True,
        )
    return tally


def registry(assignment: str) -> Any:
    """The assignment's registry of cases (tests/assignments/test_NN_*.py)."""
    module = importlib.import_module(f"tests.assignments.test_{assignment}")
    return module.TestGrading.CASES


def sweep(
    assignment: str, counts: Mapping[str, int], part: tuple[int, int] = (0, 1)
) -> dict[str, Tally]:
    """Every kind of case of one assignment (with part (k, n), every n-th case from the k-th, so
    that n processes share the cases; the key goes to part 0)."""
    cases = registry(assignment)
    key = key_namespace(assignment)
    variants = [(n, q, {v: value}) for n, (q, v, value) in sorted(cases.variants.items())]
    mutants = [(n, q, dict(r)) for n, (q, r) in sorted(cases.mistakes().items())]
    stubs = [
        (
            name,
            min(questions),
            {variable: make_stub(kind, key[variable], cases.stub_shapes.get(variable))},
        )
        for name, (questions, variable, kind) in sorted(cases.stubs().items())
    ]
    k, n = part
    return {
        "key": sweep_key(assignment, counts["keys"] if k == 0 else 0),
        "variants": sweep_cases(assignment, variants[k::n], counts["variants"], "variants"),
        "mutants": sweep_cases(assignment, mutants[k::n], counts["mutants"], "mutants"),
        "stubs": sweep_cases(assignment, stubs[k::n], counts["stubs"], "stubs"),
    }


def parse_part(text: str) -> tuple[int, int]:
    """'k/n' (0 <= k < n): this process's share of the cases."""
    try:
        k, n = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--part takes k/n such as 0/2, got {text!r}") from None
    if not 0 <= k < n:
        raise argparse.ArgumentTypeError(f"--part k/n needs 0 <= k < n, got {text!r}")
    return k, n


def table(results: Mapping[str, dict[str, Tally]]) -> list[str]:
    """The sweep as a Markdown table."""
    lines = [
        "| assignment | key: gradings losing a point | variants: losing a point | "
        "mutants: uncaught | stubs: earning | most a caught mutant kept | "
        "most a goal-failing mutant kept | most a stub kept |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for assignment, tallies in results.items():
        mutants, stubs = tallies["mutants"], tallies["stubs"]
        lines.append(
            f"| {assignment} | {tallies['key'].cell()} | {tallies['variants'].cell()} | "
            f"{mutants.cell()} | {stubs.cell()} | {mutants.kept:.0%} | {mutants.goal_kept:.0%} | "
            f"{stubs.kept:.0%} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the sweep and print the table and every grading that went wrong."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--mutants", type=int, default=50)
    parser.add_argument("--stubs", type=int, default=10)
    parser.add_argument("--only", nargs="*", default=assignments())
    parser.add_argument(
        "--part", type=parse_part, default=(0, 1), help="k/n: run every n-th case from the k-th"
    )
    args = parser.parse_args(argv)
    counts = {"keys": args.keys, "variants": args.variants, "mutants": args.mutants}
    counts["stubs"] = args.stubs
    results, started = {}, time.monotonic()
    for assignment in args.only:
        results[assignment] = sweep(assignment, counts, args.part)
        row = table({assignment: results[assignment]})[-1]
        print(f"{row}  <- {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    print("\n".join(table(results)))
    wrong = [w for tallies in results.values() for t in tallies.values() for w in t.wrong]
    for item in wrong:
        print(f"- wrong: {item}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
