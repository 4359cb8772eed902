"""A checkpoint cache so that re-running a notebook loads a trained model instead of retraining."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from vae_helpers import settings
from vae_helpers._validation import module_device
from vae_helpers.training import History

FORMAT_VERSION = 1


def _canonical_config(config: Mapping[str, Any]) -> str:
    """The config as sorted, compact JSON (the thing that is hashed and stored)."""
    if not isinstance(config, Mapping):
        raise TypeError(f"checkpoints: config must be a mapping, got {type(config).__name__}")
    try:
        return json.dumps(dict(config), sort_keys=True, separators=(",", ":"))
    except TypeError as err:
        raise TypeError(
            f"checkpoints: config must hold only JSON values (str, int, float, bool, None, "
            f"lists, dicts): {err}"
        ) from None


@contextlib.contextmanager
def seeded_fork(device: torch.device, seed: int) -> Iterator[None]:
    """Run the block on a forked random stream (CPU and `device`'s GPU) seeded with `seed`, so
    that the caller's own stream is the same whether a model is trained or loaded."""
    cuda_devices = []
    if device.type == "cuda":
        cuda_devices = [torch.cuda.current_device() if device.index is None else device.index]
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


def checkpoint_path(name: str, config: Mapping[str, Any]) -> Path:
    """cache_dir()/<name>-<hash8>.pt, where hash8 is the first 8 hex digits of the config's hash."""
    if not isinstance(name, str) or not name or any(c in name for c in "/\\"):
        raise ValueError(f"checkpoint_path: name must be a non-empty file-name part, got {name!r}")
    digest = hashlib.sha256(_canonical_config(config).encode()).hexdigest()[:8]
    return settings.cache_dir() / f"{name}-{digest}.pt"


def _load(path: Path, model: nn.Module, config_json: str) -> History:
    """Load the checkpoint at `path` into `model`; any problem raises."""
    payload = torch.load(
        path, map_location=module_device(model) or torch.device("cpu"), weights_only=True
    )
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_VERSION:
        raise ValueError("not a vae_helpers checkpoint of this format")
    if payload.get("config") != config_json:
        raise ValueError("the checkpoint was saved for a different config")
    history = History.from_dict(payload["history"])
    model.load_state_dict(payload["state_dict"])
    return history


def _save(path: Path, model: nn.Module, history: History, config_json: str) -> None:
    """Write the checkpoint atomically: a temporary file in the same folder, then a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT_VERSION,
        "config": config_json,
        "history": history.to_dict(),
        "state_dict": {key: value.detach().cpu() for key, value in model.state_dict().items()},
    }
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
    os.close(handle)
    try:
        torch.save(payload, temp_name)
        os.chmod(temp_name, 0o644)  # mkstemp makes it private; a cache file is ordinary data
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def train_or_load(
    name: str,
    model: nn.Module,
    train: Callable[[], History],
    config: Mapping[str, Any],
) -> History:
    """Load `model` and its History from the cache if present, else run `train()` and save both."""
    config_json = _canonical_config(config)
    path = checkpoint_path(name, config)
    if path.exists():
        before = {key: value.detach().clone() for key, value in model.state_dict().items()}
        try:
            return _load(path, model, config_json)
        except Exception as err:  # any unreadable or mismatched file: set it aside and retrain
            model.load_state_dict(before)  # undo a partial load before training from scratch
            aside = path.with_name(path.name + ".corrupt")
            os.replace(path, aside)
            warnings.warn(
                f"checkpoint {path} could not be loaded ({type(err).__name__}: {err}); "
                f"moved it to {aside.name} and training again",
                RuntimeWarning,
                stacklevel=2,
            )
    history = train()
    if not isinstance(history, History):
        raise TypeError(
            f"train_or_load: train() must return a History (from fit), got {type(history).__name__}"
        )
    _save(path, model, history, config_json)
    return history
