"""MNIST and Fashion-MNIST as float tensors on the compute device, and fast index batching."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from vae_helpers import settings
from vae_helpers._validation import check_positive_int
from vae_helpers.device import resolve_device

MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


class MNISTNotFoundError(FileNotFoundError):
    """MNIST is not in the data folder and could not be downloaded."""


class FashionMNISTNotFoundError(FileNotFoundError):
    """Fashion-MNIST is not in the data folder and could not be downloaded."""


@dataclass(frozen=True)
class _Source:
    """A torchvision dataset in MNIST's file format: its class (and folder), names and error."""

    title: str  # the name in messages
    folder: str  # the torchvision class, also its folder under the data root
    loader: str  # the public function, named in argument errors
    error: type[FileNotFoundError]


_MNIST = _Source("MNIST", "MNIST", "load_mnist", MNISTNotFoundError)
_FASHION_MNIST = _Source(
    "Fashion-MNIST", "FashionMNIST", "load_fashion_mnist", FashionMNISTNotFoundError
)


def _raw_dir(source: _Source, root: Path | None) -> Path:
    """The folder torchvision reads `source` from: `<root>/<folder>/raw`."""
    return (settings.data_dir() if root is None else Path(root)) / source.folder / "raw"


def mnist_raw_dir(root: Path | None = None) -> Path:
    """The folder torchvision reads MNIST from: `<root>/MNIST/raw` (root defaults to data_dir())."""
    return _raw_dir(_MNIST, root)


def fashion_mnist_raw_dir(root: Path | None = None) -> Path:
    """Fashion-MNIST's folder: `<root>/FashionMNIST/raw` (root defaults to data_dir())."""
    return _raw_dir(_FASHION_MNIST, root)


def _missing_message(source: _Source, root: Path, reason: str) -> str:
    """The one error message shown when the dataset cannot be found or fetched."""
    raw = _raw_dir(source, root)
    missing = [name for name in MNIST_FILES if not (raw / name).is_file()]
    return (
        f"{source.title} not found in {raw} ({reason}; missing: {', '.join(missing) or 'none'}).\n"
        f"The folder comes from the {settings.DATA_DIR_VAR} environment variable "
        f"(default {settings.DEFAULT_DATA_DIR}). To fix it, either run this once with an internet "
        f"connection (the files are downloaded automatically), or copy the four {source.title} "
        f"files ({', '.join(MNIST_FILES)}, or the official .gz archives) into {raw}, or set "
        f"{settings.DATA_DIR_VAR} to the folder that already contains {source.folder}/raw/."
    )


def _load_uint8(source: _Source, split: str, download: bool) -> tuple[Tensor, Tensor]:
    """The split's images (N, 28, 28) uint8 and labels (N,) int64 on the CPU, via torchvision."""
    from torchvision import datasets  # heavy import, only when data is needed

    root = settings.data_dir()
    raw = _raw_dir(source, root)
    prefix = "train" if split == "train" else "t10k"
    needed = (raw / f"{prefix}-images-idx3-ubyte", raw / f"{prefix}-labels-idx1-ubyte")
    have_files = all(path.is_file() for path in needed)
    if not have_files and not download:
        reason = "download=False, so nothing was fetched"
        raise source.error(_missing_message(source, root, reason))
    try:
        fetch = download and not have_files
        dataset_class = getattr(datasets, source.folder)
        dataset = dataset_class(root=str(root), train=split == "train", download=fetch)
    except (RuntimeError, OSError) as err:  # URLError is an OSError; torchvision wraps others
        detail = " ".join(line.strip() for line in str(err).splitlines()[:3] if line.strip())
        detail = (detail or type(err).__name__)[:200]
        reason = f"download failed: {detail}"
        raise source.error(_missing_message(source, root, reason)) from None
    return dataset.data, dataset.targets


def _load_images(
    source: _Source,
    split: str,
    device: torch.device | str | None,
    limit: int | None,
    download: bool,
) -> tuple[Tensor, Tensor]:
    """The loader behind load_mnist and load_fashion_mnist: checks, reads, converts on device."""
    if split not in ("train", "test"):
        raise ValueError(f"{source.loader}: split must be 'train' or 'test', got {split!r}")
    check_positive_int(limit, "limit", source.loader, allow_none=True)
    target = resolve_device(device)
    data, targets = _load_uint8(source, split, download)
    if limit is not None:
        data, targets = data[:limit], targets[:limit]
    # One conversion for the whole split: move the uint8 bytes first (4x less to copy), then scale.
    images = data.to(target).unsqueeze(1).to(torch.float32).div_(255.0)
    labels = targets.to(device=target, dtype=torch.int64)
    return images, labels


def load_mnist(
    split: Literal["train", "test"] = "train",
    *,
    device: torch.device | str | None = None,
    limit: int | None = None,
    download: bool = True,
) -> tuple[Tensor, Tensor]:
    """MNIST `split`: images float32 (N, 1, 28, 28) in [0, 1], labels int64 (N,), on `device`."""
    return _load_images(_MNIST, split, device, limit, download)


def load_fashion_mnist(
    split: Literal["train", "test"] = "train",
    *,
    device: torch.device | str | None = None,
    limit: int | None = None,
    download: bool = True,
) -> tuple[Tensor, Tensor]:
    """Fashion-MNIST `split` (labels index FASHION_MNIST_CLASSES), in load_mnist's format."""
    return _load_images(_FASHION_MNIST, split, device, limit, download)


@dataclass
class MNISTSplits:
    """Train, test and (possibly empty) validation tensors, all on one device."""

    train_x: Tensor
    train_y: Tensor
    test_x: Tensor
    test_y: Tensor
    val_x: Tensor
    val_y: Tensor


def load_mnist_splits(
    *,
    device: torch.device | str | None = None,
    val_size: int = 0,
    train_limit: int | None = None,
    test_limit: int | None = None,
    seed: int = 0,
) -> MNISTSplits:
    """Train/test MNIST plus a seeded random validation set of `val_size` images from train."""
    check_positive_int(train_limit, "train_limit", "load_mnist_splits", allow_none=True)
    check_positive_int(test_limit, "test_limit", "load_mnist_splits", allow_none=True)
    check_positive_int(val_size, "val_size", "load_mnist_splits", minimum=0)
    target = resolve_device(device)
    train_x, train_y = load_mnist("train", device=target, limit=train_limit)
    test_x, test_y = load_mnist("test", device=target, limit=test_limit)
    if val_size >= len(train_x):
        raise ValueError(
            f"load_mnist_splits: val_size={val_size} leaves no training images "
            f"(only {len(train_x)} loaded): use a smaller val_size or a larger train_limit"
        )
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(train_x), generator=generator).to(target)
    val_idx, train_idx = order[:val_size], order[val_size:]
    if val_size == 0:
        train_idx = torch.arange(len(train_x), device=target)  # keep the file order
    else:
        train_idx = train_idx.sort().values
    return MNISTSplits(
        train_x=train_x[train_idx],
        train_y=train_y[train_idx],
        test_x=test_x,
        test_y=test_y,
        val_x=train_x[val_idx],
        val_y=train_y[val_idx],
    )


def batches(
    *tensors: Tensor,
    batch_size: int = 128,
    shuffle: bool = True,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[Tensor | tuple[Tensor, ...]]:
    """Yield mini-batches indexed on the tensors' own device; each row exactly once per pass."""
    if not tensors:
        raise ValueError("batches: give at least one tensor, e.g. batches(images, labels)")
    for position, tensor in enumerate(tensors):
        if not isinstance(tensor, Tensor):
            raise TypeError(
                f"batches: argument {position} is a {type(tensor).__name__}, "
                "expected a torch.Tensor"
            )
        if tensor.dim() == 0:
            raise ValueError(f"batches: argument {position} is a 0-d tensor; it needs a first dim")
    count, device = len(tensors[0]), tensors[0].device
    for position, tensor in enumerate(tensors[1:], start=1):
        if len(tensor) != count:
            raise ValueError(
                f"batches: all tensors must share their first dimension; argument 0 has {count} "
                f"rows, argument {position} has {len(tensor)}"
            )
        if tensor.device != device:
            raise ValueError(
                f"batches: all tensors must be on one device; argument 0 is on {device}, "
                f"argument {position} on {tensor.device}: move them with .to(device) first"
            )
    check_positive_int(batch_size, "batch_size", "batches")
    return _batch_iterator(tensors, count, device, batch_size, shuffle, generator, drop_last)


def _batch_iterator(
    tensors: tuple[Tensor, ...],
    count: int,
    device: torch.device,
    batch_size: int,
    shuffle: bool,
    generator: torch.Generator | None,
    drop_last: bool,
) -> Iterator[Tensor | tuple[Tensor, ...]]:
    """The generator behind batches() (separate so argument errors surface at the call)."""
    order = _shuffled_order(count, device, generator) if shuffle else None
    stop = count - count % batch_size if drop_last else count
    for start in range(0, stop, batch_size):
        if order is None:
            chunk = tuple(tensor[start : start + batch_size] for tensor in tensors)
        else:
            index = order[start : start + batch_size]
            chunk = tuple(tensor.index_select(0, index) for tensor in tensors)
        yield chunk[0] if len(chunk) == 1 else chunk


def _shuffled_order(count: int, device: torch.device, generator: torch.Generator | None) -> Tensor:
    """A random permutation of range(count) on `device` (drawn on the generator's device)."""
    perm_device = generator.device if generator is not None else device
    return torch.randperm(count, device=perm_device, generator=generator).to(device)


def index_batches(
    count: int, batch_size: int, *, device: torch.device, generator: torch.Generator | None = None
) -> Iterator[Tensor]:
    """Shuffled row indices in chunks of `batch_size` (the last may be shorter), on `device`.

    The same permutation and chunks as ``batches(x, batch_size=..., generator=...)`` for `count`
    rows, for loops that gather rows themselves (fit's CUDA-graph step).
    """
    check_positive_int(batch_size, "batch_size", "index_batches")
    order = _shuffled_order(count, device, generator)
    for start in range(0, count, batch_size):
        yield order[start : start + batch_size]
