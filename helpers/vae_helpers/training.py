"""A small fit-style training loop with a progress bar and per-epoch loss history."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from vae_helpers.data import batches
from vae_helpers.device import seed_everything

LossFn = Callable[[nn.Module, Tensor], "Tensor | Mapping[str, Tensor]"]

POSTFIX_EVERY = 25  # batches between progress-bar loss updates (each one syncs the device)


@dataclass
class History:
    """Per-epoch means of every loss term, for train and test, and seconds per epoch."""

    train: dict[str, list[float]] = field(default_factory=dict)
    test: dict[str, list[float]] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return len(self.seconds)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of lists (JSON- and torch.save-friendly)."""
        return {
            "train": {key: list(values) for key, values in self.train.items()},
            "test": {key: list(values) for key, values in self.test.items()},
            "seconds": list(self.seconds),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """Rebuild a History from to_dict() output."""
        if not isinstance(data, Mapping) or not {"train", "test", "seconds"} <= set(data):
            raise ValueError(
                "History.from_dict: expected a mapping with keys 'train', 'test' and 'seconds' "
                "(the output of History.to_dict())"
            )
        return cls(
            train={str(k): [float(v) for v in vals] for k, vals in data["train"].items()},
            test={str(k): [float(v) for v in vals] for k, vals in data["test"].items()},
            seconds=[float(v) for v in data["seconds"]],
        )


def _terms(output: Tensor | Mapping[str, Tensor], caller: str) -> dict[str, Tensor]:
    """A loss function's output as a dict with key "loss"; clear error otherwise."""
    if isinstance(output, Tensor):
        terms = {"loss": output}
    elif isinstance(output, Mapping) and "loss" in output:
        terms = dict(output)
    else:
        raise TypeError(
            f"{caller}: loss_fn must return a scalar tensor or a mapping with key 'loss', "
            f"got {type(output).__name__}"
            + (f" with keys {sorted(output)}" if isinstance(output, Mapping) else "")
        )
    for key, value in terms.items():
        if not isinstance(value, Tensor) or value.numel() != 1:
            raise TypeError(f"{caller}: loss term {key!r} must be a scalar tensor (batch mean)")
    return terms


def _model_device(model: nn.Module) -> torch.device | None:
    """Device of the model's first parameter or buffer, or None for a parameterless model."""
    for tensor in (*model.parameters(), *model.buffers()):
        return tensor.device
    return None


def _check_data(x: Tensor, name: str, model: nn.Module, caller: str) -> None:
    """Raise a clear error when `x` is not a non-empty tensor on the model's device."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{caller}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if len(x) == 0:
        raise ValueError(f"{caller}: {name} is empty")
    device = _model_device(model)
    if device is not None and x.device != device:
        raise ValueError(
            f"{caller}: {name} is on {x.device} but the model is on {device}: "
            "move one of them, e.g. model.to(device) and load_mnist(device=device)"
        )


@torch.no_grad()
def evaluate(
    model: nn.Module, loss_fn: LossFn, x: Tensor, *, batch_size: int = 1000
) -> dict[str, float]:
    """Mean of every loss term over `x`, in eval mode without gradients (training mode restored)."""
    _check_data(x, "x", model, "evaluate")
    was_training = model.training
    model.eval()
    try:
        sums: dict[str, Tensor] = {}
        for batch in batches(x, batch_size=batch_size, shuffle=False):
            terms = _terms(loss_fn(model, batch), "evaluate")
            for key, value in terms.items():
                weighted = value.detach().reshape(()) * len(batch)
                sums[key] = sums[key] + weighted if key in sums else weighted
    finally:
        model.train(was_training)
    return {key: float(total) / len(x) for key, total in sums.items()}


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    train_x: Tensor,
    test_x: Tensor | None = None,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    seed: int | None = None,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train `model` on `train_x` (Adam by default); return per-epoch train/test loss history."""
    from tqdm.auto import tqdm  # imported here: no work at package import

    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive int, got {epochs!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"fit: batch_size must be a positive int, got {batch_size!r}")
    _check_data(train_x, "train_x", model, "fit")
    if test_x is not None:
        _check_data(test_x, "test_x", model, "fit")
    if seed is not None:
        seed_everything(seed)
    generator = None
    if seed is not None:
        generator = torch.Generator(device=train_x.device).manual_seed(seed)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)

    history = History()
    postfix: dict[str, str] = {}
    batches_per_epoch = math.ceil(len(train_x) / batch_size)
    bar = tqdm(total=epochs * batches_per_epoch, desc=desc, disable=not progress, unit="batch")
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            sums: dict[str, Tensor] = {}
            seen = 0
            for step, batch in enumerate(
                batches(train_x, batch_size=batch_size, generator=generator), start=1
            ):
                terms = _terms(loss_fn(model, batch), "fit")
                optimizer.zero_grad(set_to_none=True)
                terms["loss"].backward()
                optimizer.step()
                # Accumulate on the device; reading a value (.item()) would stall the pipeline.
                for key, value in terms.items():
                    weighted = value.detach().reshape(()) * len(batch)
                    sums[key] = sums[key] + weighted if key in sums else weighted
                seen += len(batch)
                bar.update(1)
                if progress and step % POSTFIX_EVERY == 0:
                    postfix.update(
                        epoch=f"{epoch}/{epochs}", train=f"{sums['loss'].item() / seen:.2f}"
                    )
                    bar.set_postfix(postfix)
            for key, total in sums.items():
                history.train.setdefault(key, []).append(float(total) / seen)
            if test_x is not None:
                for key, value in evaluate(model, loss_fn, test_x).items():
                    history.test.setdefault(key, []).append(value)
            history.seconds.append(time.perf_counter() - started)
            postfix.update(epoch=f"{epoch}/{epochs}", train=f"{history.train['loss'][-1]:.2f}")
            if test_x is not None:
                postfix["test"] = f"{history.test['loss'][-1]:.2f}"
            bar.set_postfix(postfix)
            if not math.isfinite(history.train["loss"][-1]):
                raise FloatingPointError(
                    f"fit: the training loss became {history.train['loss'][-1]} in epoch {epoch}: "
                    "lower the learning rate or check the loss function"
                )
    finally:
        bar.close()
    return history
