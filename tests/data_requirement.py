"""Where the offline MNIST copy must be, and what a test does when it is not there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def missing_data(reason: str) -> NoReturn:
    """Skip a test that needs MNIST, or fail it when VAE_REQUIRE_DATA=1 (CI sets it)."""
    if os.environ.get("VAE_REQUIRE_DATA") == "1":
        pytest.fail(f"{reason} (VAE_REQUIRE_DATA=1: this run must have the data)")
    pytest.skip(reason)


def mnist_files_missing(root: Path) -> list[str]:
    """The MNIST files absent from `root`/MNIST/raw (an empty folder lacks them all)."""
    raw = root / "MNIST" / "raw"
    return [name for name in MNIST_FILES if not (raw / name).is_file()]
