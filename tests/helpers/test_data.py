"""MNIST loading through torchvision, the clear missing-data error, and index batching."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import torch

from vae_helpers.data import (
    MNISTNotFoundError,
    batches,
    load_mnist,
    load_mnist_splits,
    mnist_raw_dir,
)


def test_load_mnist_shapes_dtypes_range(mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    images, labels = load_mnist("test", device="cpu")
    assert images.shape == (10_000, 1, 28, 28)
    assert images.dtype == torch.float32 and labels.dtype == torch.int64
    assert labels.shape == (10_000,)
    assert images.device.type == "cpu" and labels.device.type == "cpu"
    assert float(images.min()) == 0.0 and float(images.max()) == 1.0
    assert set(labels.unique().tolist()) == set(range(10))
    assert labels[:10].tolist() == [
        7,
        2,
        1,
        0,
        4,
        1,
        4,
        9,
        5,
        9,
    ]  # the well-known first test digits


def test_load_mnist_train_limit_and_default_device(
    mnist_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    monkeypatch.setenv("VAE_DEVICE", "cpu")
    images, labels = load_mnist("train", limit=500)
    assert images.shape == (500, 1, 28, 28) and labels.shape == (500,)
    assert images.device == torch.device("cpu")
    assert labels[:5].tolist() == [5, 0, 4, 1, 9]
    # pixel values are k/255 exactly, like torchvision's ToTensor
    assert torch.equal((images * 255).round() / 255, images)


def _fingerprint(image: torch.Tensor) -> bytes:
    """The exact bytes of one image, to compare sets of images."""
    return image.numpy().tobytes()


def test_load_mnist_splits_validation(mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    splits = load_mnist_splits(device="cpu", val_size=100, train_limit=1000, test_limit=200)
    assert splits.train_x.shape == (900, 1, 28, 28) and splits.train_y.shape == (900,)
    assert splits.val_x.shape == (100, 1, 28, 28) and splits.val_y.shape == (100,)
    assert splits.test_x.shape == (200, 1, 28, 28)
    full, _ = load_mnist("train", device="cpu", limit=1000)
    # train and validation together are exactly the first 1000 images, each once
    together = torch.cat([splits.train_x, splits.val_x])
    assert Counter(map(_fingerprint, together)) == Counter(map(_fingerprint, full))
    again = load_mnist_splits(device="cpu", val_size=100, train_limit=1000, test_limit=200)
    assert torch.equal(again.val_x, splits.val_x)  # seeded
    empty = load_mnist_splits(device="cpu", train_limit=50, test_limit=10)
    assert empty.val_x.shape == (0, 1, 28, 28) and torch.equal(empty.train_x, full[:50])


def test_missing_mnist_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(MNISTNotFoundError) as caught:
        load_mnist("train", download=False)
    message = str(caught.value)
    assert str(mnist_raw_dir(tmp_path)) in message
    assert "VAE_DATA_DIR" in message and "internet" in message and "copy" in message
    assert isinstance(caught.value, FileNotFoundError)


def test_failed_download_becomes_the_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from torchvision.datasets import MNIST

    def offline(self: MNIST) -> None:
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried mirrors")

    monkeypatch.setattr(MNIST, "download", offline)  # no network is touched
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path))
    with pytest.raises(MNISTNotFoundError, match="download failed: Error downloading"):
        load_mnist("test")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist("validation")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit must be a positive int"):
        load_mnist("train", limit=0)


def test_batches_cover_every_index_once_and_reshuffle() -> None:
    index = torch.arange(1000)
    generator = torch.Generator().manual_seed(0)
    epochs = []
    for _ in range(2):
        chunks = list(batches(index, batch_size=128, generator=generator))
        assert [len(c) for c in chunks] == [128] * 7 + [104]
        order = torch.cat(chunks)
        assert torch.equal(order.sort().values, index)  # each index exactly once
        epochs.append(order)
    assert not torch.equal(epochs[0], epochs[1])  # a new order every epoch
    assert not torch.equal(epochs[0], index)


def test_batches_keep_rows_aligned_and_options() -> None:
    x = torch.arange(10).float().unsqueeze(1) * 10
    y = torch.arange(10)
    for bx, by in batches(x, y, batch_size=3):
        assert torch.equal(bx[:, 0], by.float() * 10)
    ordered = [b.tolist() for b in batches(y, batch_size=4, shuffle=False)]
    assert ordered == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(b) for b in batches(y, batch_size=4, drop_last=True)] == [4, 4]
    first = torch.cat(list(batches(y, generator=torch.Generator().manual_seed(3))))
    second = torch.cat(list(batches(y, generator=torch.Generator().manual_seed(3))))
    assert torch.equal(first, second)


def test_batches_errors() -> None:
    with pytest.raises(ValueError, match="share their first dimension"):
        batches(torch.zeros(5, 2), torch.zeros(4))
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        batches(torch.zeros(5), batch_size=0)
    with pytest.raises(TypeError, match="expected a torch.Tensor"):
        batches([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one tensor"):
        batches()
    with pytest.raises(ValueError, match="one device"):
        batches(torch.zeros(3), torch.zeros(3, device="meta"))
