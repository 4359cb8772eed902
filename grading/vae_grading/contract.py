"""What the build writes into an autograder and the grading plugin reads: one definition each.

`tools.course` writes these into the ASSIGNMENT CONFIG (and so into the zip's otter_config.json),
the zip's members and the notebooks' cell tags; `vae_grading.otter_plugin`,
`vae_grading.autograder` and `vae_grading.local_grading` read them back.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

#: The otter plugin that computes the verdicts, as otter's `plugins:` names it.
PLUGIN = "vae_grading.otter_plugin.TrustedVerdicts"
#: The zip member that holds the assignment's hidden tests (hidden_tests/NN_name.py).
HIDDEN_TESTS_MEMBER = "vae_hidden_tests.py"
#: The cell tag that makes grading skip a cell (otter's own; the set-up cell carries it).
IGNORE_TAG = "otter_ignore"


def is_ignored(cell: Any) -> bool:
    """Whether grading skips the cell (tag `otter_ignore` or metadata otter.ignore), as in otter."""
    metadata = cell.get("metadata", {})
    otter = metadata.get("otter", {})
    ignored_by_metadata = isinstance(otter, dict) and otter.get("ignore") is True
    return IGNORE_TAG in metadata.get("tags", []) or ignored_by_metadata


class PluginSettingsError(ValueError):
    """The plugin's configuration in otter_config.json is not what the build writes."""


@dataclass(frozen=True)
class PluginSettings:
    """The plugin's limits on otter's path: per cell, per grading, and on disk."""

    cell_timeout: int = 60  # seconds one cell may run before it is interrupted
    timeout: int = 1200  # seconds the whole grading may take
    disk_bytes: int = 2 * 2**30  # what the kernel may write in all
    file_bytes: int = 256 * 2**20  # the largest file it may write

    def as_config(self) -> dict[str, int]:
        """The plugin's entry in the ASSIGNMENT CONFIG's `plugins:` list."""
        return asdict(self)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> PluginSettings:
        """Read the plugin's entry back; unknown keys or non-positive numbers are refused."""
        config = dict(config or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(config) - known)
        if unknown:
            raise PluginSettingsError(
                f"the grading plugin does not read {unknown}: rebuild the autograder (make build)"
            )
        for name, value in config.items():
            if type(value) is not int or value <= 0:
                raise PluginSettingsError(f"plugin setting {name} must be a positive integer")
        return cls(**config)
