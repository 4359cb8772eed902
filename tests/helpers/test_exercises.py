"""vae_helpers.exercises: experiments stop with one line when an exercise is unfinished."""

from __future__ import annotations

import pytest

from vae_helpers.exercises import ExerciseNotDone, is_unfinished, require


def placeholder(mu, logvar):
    """A stub as the student notebook ships it."""
    ...


def not_implemented(x):
    raise NotImplementedError


def finished(mu, logvar):
    """A real answer."""
    return mu + logvar


class StubModel:
    def forward(self, x): ...


class Model:
    def forward(self, x):
        return x


class StubWithInit:
    def __init__(self):
        super().__init__()
        ...

    def forward(self, x):
        return x


def test_placeholders_are_unfinished() -> None:
    assert is_unfinished(...) and is_unfinished(None)
    assert is_unfinished(placeholder) and is_unfinished(not_implemented)
    assert is_unfinished(StubModel) and is_unfinished(StubWithInit)


def test_answers_are_finished() -> None:
    assert not is_unfinished(finished) and not is_unfinished(Model)
    assert not is_unfinished("b") and not is_unfinished(0.0)


def test_require_names_the_question_in_one_line() -> None:
    require("Q2", finished, Model)
    with pytest.raises(ExerciseNotDone, match="Q2") as info:
        require("Q2", finished, placeholder)
    rendered = info.value._render_traceback_()
    assert len(rendered) == 1 and "complete Q2" in rendered[0]
