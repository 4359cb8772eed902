"""Shared fixtures for the vae_helpers tests: headless matplotlib, a private cache, real MNIST."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib.pyplot

from pathlib import Path

import matplotlib
import pytest

from tests.data_requirement import missing_data, mnist_files_missing

matplotlib.use("Agg")

ENV_VARS = ("VAE_CACHE_DIR", "VAE_DEVICE", "VAE_FAST", "VAE_STATIC_WIDGETS")


@pytest.fixture(autouse=True)
def private_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every test gets its own checkpoint folder and no device/fast/widget overrides."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    cache = tmp_path / "checkpoints"
    monkeypatch.setenv("VAE_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The folder named by VAE_DATA_DIR holding MNIST/raw/; skip the test when it is absent."""
    value = os.environ.get("VAE_DATA_DIR", "").strip()
    if not value:
        missing_data("VAE_DATA_DIR is not set: point it at a folder holding MNIST/raw/ (CI does)")
    root = Path(value).expanduser()
    missing = mnist_files_missing(root)
    if missing:
        missing_data(f"MNIST files missing from {root / 'MNIST' / 'raw'}: {', '.join(missing)}")
    return root
