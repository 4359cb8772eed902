"""Every environment variable the course reads, in one place (nothing else reads os.environ)."""

from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_VAR = "VAE_DATA_DIR"
CACHE_DIR_VAR = "VAE_CACHE_DIR"
FAST_VAR = "VAE_FAST"
DEVICE_VAR = "VAE_DEVICE"
STATIC_WIDGETS_VAR = "VAE_STATIC_WIDGETS"

DEFAULT_DATA_DIR = Path("~/.cache/vae_course/data")
DEFAULT_CACHE_DIR = Path("~/.cache/vae_course/checkpoints")

_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
_FALSE_WORDS = frozenset({"0", "false", "no", "off"})


def _env(name: str) -> str | None:
    """The stripped value of environment variable `name`, or None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def _env_flag(name: str) -> bool | None:
    """Read a yes/no environment variable: True, False, or None when unset; bad words raise."""
    value = _env(name)
    if value is None:
        return None
    word = value.lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(
        f"{name}={value!r} is not a yes/no value: use one of "
        f"{sorted(_TRUE_WORDS)} or {sorted(_FALSE_WORDS)}, or unset it"
    )


def data_dir() -> Path:
    """Torchvision root holding MNIST/raw/: $VAE_DATA_DIR or ~/.cache/vae_course/data."""
    value = _env(DATA_DIR_VAR)
    return Path(value).expanduser() if value else DEFAULT_DATA_DIR.expanduser()


def cache_dir() -> Path:
    """Folder for model checkpoints: $VAE_CACHE_DIR or ~/.cache/vae_course/checkpoints."""
    value = _env(CACHE_DIR_VAR)
    return Path(value).expanduser() if value else DEFAULT_CACHE_DIR.expanduser()


def fast_mode() -> bool:
    """True when $VAE_FAST is 1/true/yes/on (CI: fewer epochs, smaller subsets)."""
    return bool(_env_flag(FAST_VAR))


def device_override() -> str | None:
    """The device named by $VAE_DEVICE (e.g. "cpu", "cuda:1"), or None when unset."""
    return _env(DEVICE_VAR)


def static_widgets_override() -> bool | None:
    """$VAE_STATIC_WIDGETS: True forces static figures, False forces widgets, None means detect."""
    return _env_flag(STATIC_WIDGETS_VAR)
