"""`python -m tools.release`: the student edition holds the allow-list and no answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.course.edition import ALLOW_LIST, edition_leaks
from tools.course.layout import CourseLayout
from tools.release import main as release_main

REPO = CourseLayout()


def test_release_refuses_the_placeholder_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert release_main(["--output", str(tmp_path / "edition")]) == 2
    assert "placeholder repository" in capsys.readouterr().err
    assert not (tmp_path / "edition").exists()


def test_edition_is_the_allow_list_and_leaks_nothing(tmp_path: Path) -> None:
    output = tmp_path / "edition"
    assert release_main(["--output", str(output), "--allow-placeholder"]) == 0
    top = {p.name for p in output.iterdir()}
    assert top == {*ALLOW_LIST, "README.md", ".vae-course-edition"}
    names = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert not any(n.startswith(("solutions/", "autograder/", "hidden_tests/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "grader.check" in (output / "README.md").read_text()


def test_the_leak_scan_covers_helpers(tmp_path: Path) -> None:
    """One solution line pasted into a helper module is found."""
    key_line = "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=-1)\n"
    helper = tmp_path / "helpers" / "vae_helpers" / "cheat.py"
    helper.parent.mkdir(parents=True)
    helper.write_text("def kl(mu, logvar):\n    scale = 2\n" + key_line)
    leaks = edition_leaks(REPO, [helper])
    assert any("02_vae_theory" in leak.secret.origin for leak in leaks)
