"""The build/plugin contract: what the builder writes is exactly what the plugin reads."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import nbformat
import pytest
from otter.plugins import PluginCollection

from tools.course.otter_format import PLACEHOLDER, read_assignment_config, with_trusted_grading
from vae_grading.autograder import QuestionPoints, question_points
from vae_grading.contract import PLUGIN, PluginSettings, PluginSettingsError, is_ignored
from vae_grading.otter_plugin import TrustedVerdicts

SOURCE = [
    ("raw", "# ASSIGNMENT CONFIG\nname: 01_x\npython_version: '3.12'"),
    ("raw", "# BEGIN QUESTION\nname: q1\npoints: 3"),
    ("code", "x = 1"),
    ("raw", "# BEGIN TESTS"),
    ("code", "def test_x(x):\n    assert x == 1"),
    ("raw", "# END TESTS"),
    ("raw", "# END QUESTION"),
]


def _source() -> nbformat.NotebookNode:
    cells = [
        nbformat.v4.new_raw_cell(text) if kind == "raw" else nbformat.v4.new_code_cell(text)
        for kind, text in SOURCE
    ]
    return nbformat.v4.new_notebook(cells=cells)


def test_the_plugin_reads_every_setting_the_builder_writes() -> None:
    """The plugins entry of a built ASSIGNMENT CONFIG, loaded by otter, configures TrustedVerdicts
    with exactly PluginSettings' fields (cell_timeout included) and nothing else."""
    built = with_trusted_grading(_source(), "01_x", ["q1"])
    config = read_assignment_config(built, Path("01_x.ipynb"))
    [plugin] = PluginCollection(config["plugins"], "01_x.ipynb", {})._plugins
    assert isinstance(plugin, TrustedVerdicts)
    assert set(plugin.plugin_config) == {f.name for f in fields(PluginSettings)}
    assert plugin.plugin_config["cell_timeout"] == PluginSettings().cell_timeout
    assert plugin.settings() == PluginSettings()
    assert list(config["plugins"][0]) == [PLUGIN]


def test_settings_read_back_as_written() -> None:
    assert PluginSettings.from_config(PluginSettings(cell_timeout=5).as_config()).cell_timeout == 5
    assert PluginSettings.from_config(None) == PluginSettings()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"assignment": "02_vae_theory"}, r"does not read \['assignment'\]"),
        ({"cell_timeout": 0}, "cell_timeout must be a positive integer"),
        ({"timeout": "600"}, "timeout must be a positive integer"),
        ({"disk_bytes": True}, "disk_bytes must be a positive integer"),
    ],
)
def test_settings_the_plugin_does_not_read_are_refused(config: dict, message: str) -> None:
    with pytest.raises(PluginSettingsError, match=message):
        PluginSettings.from_config(config)


def _test_file(name: str, points: float, public: str) -> bytes:
    """A test file as otter assign writes one from a source's public checks and placeholder."""
    placeholder = PLACEHOLDER.format(question=name, plugin=PLUGIN)
    body = [
        "from otter.test_files import test_case",
        "OK_FORMAT = False",
        f'name = "{name}"',
        f"points = {points}",
        f"@test_case(points={public}, hidden=False)\ndef test_{name}_public(x):\n    assert x",
        "@test_case(points=None, hidden=True)\ndef test_" + placeholder.split("def test_", 1)[1],
    ]
    return "\n\n".join(body).encode()


def test_question_points_reads_each_question_in_natural_order() -> None:
    files = {
        "q10.py": _test_file("q10", 2, "0"),
        "q2.py": _test_file("q2", 4, "1"),
        "q8b.py": _test_file("q8b", 6, "0"),
    }
    assert question_points(files) == [
        QuestionPoints("q2", 4.0, 1.0),
        QuestionPoints("q8b", 6.0, 0.0),
        QuestionPoints("q10", 2.0, 0.0),
    ]


@pytest.mark.parametrize(
    ("metadata", "ignored"),
    [
        ({"tags": ["otter_ignore"]}, True),
        ({"otter": {"ignore": True}}, True),
        ({"otter": {"ignore": "yes"}}, False),
        ({"otter": "ignore"}, False),
        ({"tags": ["other"]}, False),
        ({}, False),
    ],
)
def test_a_cell_is_skipped_by_its_tag_or_otter_metadata(metadata: dict, ignored: bool) -> None:
    assert is_ignored(nbformat.v4.new_code_cell("x = 1", metadata=metadata)) is ignored
