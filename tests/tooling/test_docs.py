"""The documentation says what the code does: module tables, the recipe, the config example."""

from __future__ import annotations

import pkgutil
import re
import textwrap
from pathlib import Path

import pytest
import yaml

from tools.course.layout import CourseLayout
from tools.course.notebooks import read_notebook
from tools.course.otter_format import read_assignment_config

REPO = CourseLayout()


def _table_modules(readme: Path) -> set[str]:
    """The names in the first column of the README's table headed `| module |` (`x` or `x.py`)."""
    lines = readme.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| module |"))
    names = set()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        match = re.match(r"\| `(\w+)(?:\.py)?` \|", line)
        assert match, f"{readme}: a module row must start with a `name`: {line[:60]!r}"
        names.add(match[1])
    return names


@pytest.mark.parametrize(
    ("readme", "package"),
    [("helpers/README.md", "helpers/vae_helpers"), ("grading/README.md", "grading/vae_grading")],
)
def test_every_public_module_is_in_its_packages_readme(readme: str, package: str) -> None:
    modules = {
        info.name
        for info in pkgutil.iter_modules([str(REPO.root / package)])
        if not info.name.startswith("_")
    }
    listed = _table_modules(REPO.root / readme)
    assert modules - listed == set(), f"{readme} omits {sorted(modules - listed)}"
    assert listed - modules == set(), f"{readme} lists modules that do not exist"


def test_the_helpers_readme_states_the_reference_recipe() -> None:
    from vae_helpers.pretrained import VAE_RECIPE

    text = (REPO.root / "helpers/README.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `pretrained` |"))
    assert f"{VAE_RECIPE.epochs} epochs on {VAE_RECIPE.train_limit:,} images" in row
    assert f"peaking at {VAE_RECIPE.lr:.0e}".replace("e-0", "e-") in row  # 0.004 -> 4e-3
    assert f"betas {VAE_RECIPE.betas}" in row


def test_the_authoring_guides_config_example_is_a_real_config() -> None:
    """docs/authoring.md's ASSIGNMENT CONFIG parses to what every source holds (name aside)."""
    text = (REPO.root / "docs/authoring.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(?P<body>.*?)```", text, re.DOTALL)
    assert block is not None, "docs/authoring.md has no ```yaml example"
    example = yaml.safe_load(textwrap.dedent(block["body"]))
    name = example.pop("name")
    source = REPO.source(name)
    config = read_assignment_config(read_notebook(source), source)
    config.pop("name")
    assert example == config
