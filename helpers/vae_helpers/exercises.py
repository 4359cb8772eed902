"""Stop an experiment with one clear line when the exercise it builds on is not done yet."""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any


class ExerciseNotDone(Exception):
    """An experiment needs an exercise that is still a placeholder."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this one line instead of a traceback."""
        return [f"\033[1;31m{self}\033[0m"]


def _placeholder_body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when a function's body is only a docstring and `...`, `pass` or NotImplementedError."""
    body = list(node.body)
    first = body[0] if body else None
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if is_docstring and isinstance(first.value.value, str):  # type: ignore[union-attr]
        body = body[1:]
    if not body:
        return True
    if len(body) != 1:
        return False
    statement = body[0]
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement.value.value is Ellipsis
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        return "NotImplementedError" in ast.unparse(statement.exc)
    return False


def is_unfinished(answer: Any) -> bool:
    """True for `...`, None, and functions or classes whose code is still a placeholder."""
    if answer is Ellipsis or answer is None:
        return True
    if not (inspect.isfunction(answer) or inspect.isclass(answer)):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(answer)))
    except (OSError, TypeError, SyntaxError):
        return False
    functions = [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    return any(_placeholder_body(f) for f in functions)


def require(question: str, *answers: Any) -> None:
    """Raise ExerciseNotDone (shown as one line) if any of `answers` is unfinished.

    Put it first in an experiment cell: `require("Q2", gaussian_kl)`.
    """
    if any(is_unfinished(answer) for answer in answers):
        raise ExerciseNotDone(
            f"This cell uses your answer to {question}, which is not finished yet: "
            f"complete {question} above, run its cell, then run this cell again."
        )
