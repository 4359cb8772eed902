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


def _is_super_call(statement: ast.stmt) -> bool:
    """`super().__init__(...)`-style calls, which a stub class keeps around its `...`."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Call)
        and "super()" in ast.unparse(statement.value.func)
    )


def _placeholder_body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True when a function's body is only a docstring, super() calls and `...`, `pass` or a
    NotImplementedError."""
    body = [s for s in node.body if not _is_super_call(s)]
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


def _function_unfinished(function: Any) -> bool:
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return False
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return any(_placeholder_body(f) for f in functions)


def is_unfinished(answer: Any) -> bool:
    """True for `...`, None, and functions or classes whose code is still a placeholder.

    Classes are checked method by method (Jupyter cannot show a class's source, but it can show
    each method's); a method that only calls super() and then `...` counts as unfinished.
    """
    if answer is Ellipsis or answer is None:
        return True
    if inspect.isfunction(answer):
        return _function_unfinished(answer)
    if inspect.isclass(answer):
        methods = [v for v in vars(answer).values() if inspect.isfunction(v)]
        return any(_function_unfinished(m) for m in methods)
    return False


def require(question: str, *answers: Any) -> None:
    """Raise ExerciseNotDone (shown as one line) if any of `answers` is unfinished.

    Put it first in an experiment cell: `require("Q2", gaussian_kl)`.
    """
    if any(is_unfinished(answer) for answer in answers):
        raise ExerciseNotDone(
            f"This cell uses your answer to {question}, which is not finished yet: "
            f"complete {question} above, run its cell, then run this cell again."
        )
