"""The `# ASSIGNMENT CONFIG` block of a source notebook, read and checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import yaml

from tools.course_config import CourseConfig
from tools.notebooks import cell_source

CONFIG_MARKER = "# ASSIGNMENT CONFIG"


class AssignmentConfigError(ValueError):
    """A source notebook's ASSIGNMENT CONFIG is missing or disagrees with the course settings."""


def config_cell_index(nb: nbformat.NotebookNode) -> int | None:
    """Index of the raw (or otter-fenced Markdown) cell holding the ASSIGNMENT CONFIG."""
    for index, cell in enumerate(nb.cells):
        text = cell_source(cell).strip()
        if cell.cell_type == "markdown" and text.startswith("```otter"):
            text = text.removeprefix("```otter").removesuffix("```").strip()
        if cell.cell_type in ("raw", "markdown") and text.upper().startswith(CONFIG_MARKER):
            return index
    return None


def read_assignment_config(nb: nbformat.NotebookNode, path: Path) -> dict[str, Any]:
    """The parsed YAML of the notebook's ASSIGNMENT CONFIG."""
    index = config_cell_index(nb)
    if index is None:
        raise AssignmentConfigError(f"{path}: no `{CONFIG_MARKER}` raw cell found")
    text = cell_source(nb.cells[index]).strip()
    if text.startswith("```otter"):
        text = text.removeprefix("```otter").removesuffix("```")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AssignmentConfigError(f"{path}: ASSIGNMENT CONFIG is not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise AssignmentConfigError(f"{path}: ASSIGNMENT CONFIG must be a YAML mapping")
    return config


def check_assignment_config(config: dict[str, Any], path: Path, course: CourseConfig) -> None:
    """Fail with one message when the config's name or Python disagrees with the file/course."""
    if config.get("name") != path.stem:
        raise AssignmentConfigError(
            f"{path}: ASSIGNMENT CONFIG name is {config.get('name')!r}; set it to {path.stem!r} "
            "(the file name without .ipynb)"
        )
    if str(config.get("python_version")) != course.python_version:
        raise AssignmentConfigError(
            f"{path}: ASSIGNMENT CONFIG python_version is {config.get('python_version')!r}, but "
            f"course.toml says {course.python_version!r}; make them equal"
        )
