"""`make test` keeps the grader tests on one xdist worker (tests/conftest.py): the mechanism holds.

pytest-xdist's `--dist loadgroup` groups tests by appending "@group" to each item's `_nodeid` in
the worker. pytest 9.2 computes `nodeid` from elsewhere, so the suffix is lost and the groups are
silently ignored; requirements-dev.txt pins pytest below 9.2, and this test fails if it is lifted.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import GRADER_FILES, GRADER_GROUP


def test_a_rewritten_node_id_is_the_node_id(request: pytest.FixtureRequest) -> None:
    item: Any = request.node
    original = item.nodeid
    try:
        item._nodeid = f"{original}@{GRADER_GROUP}"
        assert item.nodeid == f"{original}@{GRADER_GROUP}"
    finally:
        item._nodeid = original


def test_the_grader_files_exist_and_carry_the_group(request: pytest.FixtureRequest) -> None:
    """A renamed grader file would silently leave the group; every listed file must exist."""
    tooling = request.config.rootpath / "tests" / "tooling"
    assert sorted(p.name for p in tooling.glob("test_*.py") if p.name in GRADER_FILES) == sorted(
        GRADER_FILES
    )
