"""Fashion-MNIST through the shared loader, on small IDX files written here (no real data)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
import torch

from vae_helpers.data import (
    FASHION_MNIST_CLASSES,
    FashionMNISTNotFoundError,
    MNISTNotFoundError,
    batches,
    fashion_mnist_raw_dir,
    load_fashion_mnist,
    load_mnist,
    mnist_raw_dir,
)

COUNTS = {"train": 12, "t10k": 5}


def _images(count: int, offset: int) -> bytes:
    """`count` 28x28 uint8 images whose pixel (r, c) of image i is (offset + 7i + r + 3c) % 256."""
    return bytes(
        (offset + 7 * i + r + 3 * c) % 256
        for i in range(count)
        for r in range(28)
        for c in range(28)
    )


def _labels(count: int, offset: int) -> bytes:
    """Labels (offset + i) % 10."""
    return bytes((offset + i) % 10 for i in range(count))


def _write_idx(root: Path, folder: str, shift: int = 0) -> Path:
    """Uncompressed IDX files in torchvision's layout, `<root>/<folder>/raw/`; returns raw."""
    raw = root / folder / "raw"
    raw.mkdir(parents=True)
    for prefix, count in COUNTS.items():
        offset = (100 if prefix == "train" else 50) + shift
        header = struct.pack(">iiii", 2051, count, 28, 28)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(header + _images(count, offset))
        header = struct.pack(">ii", 2049, count)
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(header + _labels(count, offset))
    return raw


@pytest.fixture
def fashion_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data root holding small FashionMNIST/raw/ files, named by VAE_DATA_DIR."""
    _write_idx(tmp_path, "FashionMNIST")
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_fashion_mnist_shapes_dtypes_values(fashion_root: Path) -> None:
    images, labels = load_fashion_mnist("train", device="cpu", download=False)
    assert images.shape == (12, 1, 28, 28) and labels.shape == (12,)
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert images.device.type == "cpu" and labels.device.type == "cpu"
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0
    pixels = torch.tensor(list(_images(12, 100)), dtype=torch.float32).reshape(12, 1, 28, 28)
    assert torch.equal(images, pixels / 255)  # every pixel is its byte / 255, exactly
    assert images[3, 0, 5, 17].item() == pytest.approx((100 + 21 + 5 + 51) / 255)
    assert float(images.max()) == 1.0 and float(images.min()) == 0.0  # bytes 255 and 0 occur
    assert labels.tolist() == [(100 + i) % 10 for i in range(12)]
    test_x, test_y = load_fashion_mnist("test", device="cpu", download=False)
    assert test_x.shape == (5, 1, 28, 28) and test_y.tolist() == [0, 1, 2, 3, 4]
    assert test_x[2, 0, 1, 1].item() == pytest.approx((50 + 14 + 1 + 3) / 255)
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_fashion_mnist_limit_default_device_and_batches(
    fashion_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_DEVICE", "cpu")
    images, labels = load_fashion_mnist("train", limit=7)
    assert images.shape == (7, 1, 28, 28) and labels.shape == (7,)
    assert images.device == torch.device("cpu")
    assert torch.equal(images, load_fashion_mnist("train", device="cpu")[0][:7])
    chunks = list(batches(images, labels, batch_size=3, shuffle=False))
    assert [len(x) for x, _ in chunks] == [3, 3, 1]
    assert torch.equal(torch.cat([y for _, y in chunks]), labels)


def test_fashion_mnist_bad_arguments_name_the_loader() -> None:
    with pytest.raises(ValueError, match="load_fashion_mnist: split must be 'train' or 'test'"):
        load_fashion_mnist("validation")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="load_fashion_mnist: limit must be a positive int"):
        load_fashion_mnist("train", limit=0)


def test_missing_fashion_mnist_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_idx(tmp_path, "MNIST")  # MNIST alone does not count as Fashion-MNIST
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(FashionMNISTNotFoundError) as caught:
        load_fashion_mnist("train", download=False)
    message = str(caught.value)
    raw = fashion_mnist_raw_dir(tmp_path)
    assert raw == tmp_path / "FashionMNIST" / "raw"
    assert message.startswith(f"Fashion-MNIST not found in {raw} (download=False")
    assert "missing: train-images-idx3-ubyte, train-labels-idx1-ubyte" in message
    assert "VAE_DATA_DIR" in message and "internet" in message and "copy" in message
    assert "copy the four Fashion-MNIST files" in message
    assert message.endswith(
        f"into {raw}, or set VAE_DATA_DIR to the folder that already contains FashionMNIST/raw/."
    )
    assert isinstance(caught.value, FileNotFoundError)
    assert not isinstance(caught.value, MNISTNotFoundError)


def test_failed_fashion_download_becomes_the_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchvision.datasets import MNIST, FashionMNIST

    attempts: list[str] = []

    def offline(self: MNIST) -> None:
        attempts.append(type(self).__name__)
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried mirrors")

    monkeypatch.setattr(FashionMNIST, "download", offline)  # no network is touched
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(FashionMNISTNotFoundError, match="download failed: Error downloading"):
        load_fashion_mnist("test")
    assert attempts == ["FashionMNIST"]


def test_load_mnist_is_unaffected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_idx(tmp_path, "FashionMNIST")
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(MNISTNotFoundError) as caught:
        load_mnist("train", download=False)  # Fashion-MNIST alone does not count as MNIST
    message = str(caught.value)
    assert message.startswith(f"MNIST not found in {mnist_raw_dir(tmp_path)} (download=False")
    assert "copy the four MNIST files" in message and message.endswith("contains MNIST/raw/.")
    with pytest.raises(ValueError, match="^load_mnist: split must be"):
        load_mnist("validation")  # type: ignore[arg-type]
    _write_idx(tmp_path, "MNIST", shift=1)  # different bytes: each loader reads its own folder
    mnist_x, mnist_y = load_mnist("test", device="cpu", download=False)
    fashion_x, fashion_y = load_fashion_mnist("test", device="cpu", download=False)
    assert mnist_y.tolist() == [1, 2, 3, 4, 5] and fashion_y.tolist() == [0, 1, 2, 3, 4]
    assert mnist_x[0, 0, 0, 0].item() == pytest.approx(51 / 255)
    assert fashion_x[0, 0, 0, 0].item() == pytest.approx(50 / 255)
