"""The build/plugin contract: what the builder writes is exactly what the plugin reads."""

from __future__ import annotations

import pytest
import yaml

from vae_grading.contract import PLUGIN, PluginSettings, PluginSettingsError


def test_settings_round_trip_through_the_assignment_config() -> None:
    written = yaml.safe_dump({"plugins": [{PLUGIN: PluginSettings().as_config()}]})
    [entry] = yaml.safe_load(written)["plugins"]
    assert PluginSettings.from_config(entry[PLUGIN]) == PluginSettings()
    assert PluginSettings.from_config({"cell_timeout": 5}).cell_timeout == 5
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
