"""Public-check messages survive otter's HTML: no `<class 'NoneType'>` that a browser swallows.

otter writes a failing check's message into HTML without escaping, so anything that looks like a
tag (`<class …>`, `<function …>`) disappears and the student reads "got" and nothing after it.
Every public check of every assignment is run with each of its answers replaced by what an
unfinished notebook holds (`...`, None, a function that returns None), and every message that
comes back must be free of tag-like text.
"""

from __future__ import annotations

import inspect
import re
import types

import pytest

from tests.otter_support import key_namespace, load_cases, question_names
from tools.course.layout import CourseLayout

TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
NAMES = CourseLayout().assignments()


def unfinished() -> None:
    """What a function whose body is still `...` returns."""


def _unfinished_values() -> list[object]:
    return [..., None, unfinished]


@pytest.mark.parametrize("assignment", NAMES)
def test_public_check_messages_have_no_tag_like_text(assignment: str) -> None:
    key = dict(key_namespace(assignment))
    bad = []
    checked = 0
    for question in question_names(assignment):
        for case in load_cases(assignment, question):
            if case.hidden:
                continue
            answers = [
                name
                for name in inspect.signature(case.test_func).parameters
                if name in key and not isinstance(key[name], types.ModuleType)
            ]
            for name in answers:
                for value in _unfinished_values():
                    try:
                        case.call_func({**key, name: value})
                    except Exception as exc:  # noqa: BLE001 - every failure's message is read
                        checked += 1
                        message = str(exc)
                        if TAG_LIKE.search(message):
                            bad.append(f"{question} {case.test_func.__name__} ({name}): {message}")
    assert checked > 0, f"{assignment}: no public check failed on an unfinished answer"
    assert bad == [], "messages that HTML would swallow:\n" + "\n".join(bad)


def test_tag_like_text_is_recognised() -> None:
    assert TAG_LIKE.search(f"got {type(None)}")
    assert not TAG_LIKE.search(f"got {type(None).__name__}; want 0 < p < 1")
