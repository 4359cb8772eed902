"""Shared fixtures for the vae_helpers tests: headless matplotlib, a private cache, real MNIST."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # before anything imports matplotlib.pyplot

from pathlib import Path

import matplotlib
import pytest

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
        pytest.skip("VAE_DATA_DIR is not set: point it at a folder holding MNIST/raw/ (CI does)")
    root = Path(value).expanduser()
    raw = root / "MNIST" / "raw"
    needed = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    missing = [name for name in needed if not (raw / name).is_file()]
    if missing:
        pytest.skip(f"MNIST files missing from {raw}: {', '.join(missing)}")
    return root
