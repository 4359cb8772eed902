"""`python -m tools.release`: the student edition holds the allow-list and no answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tools.course.config import load_course_config
from tools.course.edition import ALLOW_LIST, course_cell_problems, edition_leaks, write_edition
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
    write_edition(REPO, load_course_config(), output, allow_placeholder=True)
    top = {p.name for p in output.iterdir()}
    assert top == {*ALLOW_LIST, "README.md", ".vae-course-edition"}
    names = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
    assert not any(n.startswith(("solutions/", "autograder/", "hidden_tests/")) for n in names)
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert "grader.check" in (output / "README.md").read_text()


def test_committed_notebooks_match_course_toml() -> None:
    assert course_cell_problems(REPO, load_course_config()) == []


def _copy_of(built_course: CourseLayout, root: Path) -> CourseLayout:
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(built_course.root, root, ignore=skip)
    shutil.copy(REPO.root / "CHANGELOG.md", root / "CHANGELOG.md")
    return CourseLayout(root)


def test_release_refuses_a_release_the_changelog_does_not_describe(
    built_course: CourseLayout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = _copy_of(built_course, tmp_path / "course")
    changelog = layout.root / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("## [1.2.0]", "## [1.0.9]"))
    code = release_main(
        ["--root", str(layout.root), "--output", str(tmp_path / "edition"), "--allow-placeholder"]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert "release v1.2.0 is not described" in err and "CHANGELOG.md" in err
    assert not (tmp_path / "edition").exists()


def test_release_refuses_a_build_older_than_course_toml(
    built_course: CourseLayout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """repo_url changed, no rebuild: every set-up cell would install from the old repository."""
    layout = _copy_of(built_course, tmp_path / "course")
    toml = layout.course_toml.read_text().replace("your-org/vae-course", "a-school/vae-2027")
    layout.course_toml.write_text(toml)
    code = release_main(["--root", str(layout.root), "--output", str(tmp_path / "edition")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "does not match course.toml (https://github.com/a-school/vae-2027" in err
    assert "set-up cell does not install from course.toml" in err
    assert "Open in Colab badge does not link" in err
    assert "run `make build`, commit the result, and run `make release` again" in err
    assert not (tmp_path / "edition").exists()


@pytest.mark.slow
def test_release_passes_a_current_build_and_refuses_a_stale_one(
    built_course: CourseLayout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After `make build` the release goes through; a source edited afterwards stops it."""
    from tools.build import main as build_main

    layout = _copy_of(built_course, tmp_path / "course")
    for name in ALLOW_LIST:
        if name in ("notebooks", "helpers"):
            continue
        shutil.copy(REPO.root / name, layout.root / name)
    toml = layout.course_toml.read_text().replace("your-org/vae-course", "a-school/vae-2027")
    layout.course_toml.write_text(toml)
    assert build_main(["--root", str(layout.root)]) == 0
    edition = tmp_path / "edition"
    assert release_main(["--root", str(layout.root), "--output", str(edition)]) == 0
    assert "a-school/vae-2027" in next(edition.glob("notebooks/*/*.ipynb")).read_text()

    source = layout.source("02_vae_theory")
    source.write_text(source.read_text().replace("# 02 · VAE theory", "# 02 · VAE theory, v2"))
    capsys.readouterr()
    assert release_main(["--root", str(layout.root), "--output", str(edition)]) == 2
    err = capsys.readouterr().err
    assert "stale:   notebooks/02_vae_theory/02_vae_theory.ipynb" in err, err


def test_the_leak_scan_covers_helpers(tmp_path: Path) -> None:
    """One solution line pasted into a helper module is found."""
    key_line = "    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(dim=-1)\n"
    helper = tmp_path / "helpers" / "vae_helpers" / "cheat.py"
    helper.parent.mkdir(parents=True)
    helper.write_text("def kl(mu, logvar):\n    scale = 2\n" + key_line)
    leaks = edition_leaks(REPO, [helper])
    assert any("02_vae_theory" in leak.secret.origin for leak in leaks)
