"""A small fit-style training loop with a progress bar and per-epoch loss history."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from vae_helpers import cuda_graphs, schedules
from vae_helpers._validation import check_positive_int, module_device
from vae_helpers.data import index_batches
from vae_helpers.device import has_native_bf16, seed_everything
from vae_helpers.schedules import Schedule

LossFn = Callable[[nn.Module, Tensor], "Tensor | Mapping[str, Tensor]"]

ADAM_BETAS = (0.9, 0.999)  # torch's defaults


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


def _check_data(x: Tensor, name: str, model: nn.Module, caller: str) -> None:
    """Raise a clear error when `x` is not a non-empty tensor on the model's device."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{caller}: {name} must be a torch.Tensor, got {type(x).__name__}")
    if len(x) == 0:
        raise ValueError(f"{caller}: {name} is empty")
    device = module_device(model)
    if device is not None and x.device != device:
        raise ValueError(
            f"{caller}: {name} is on {x.device} but the model is on {device}: "
            "move one of them, e.g. model.to(device) and load_mnist(device=device)"
        )


def _autocast(device: torch.device, bf16: bool) -> contextlib.AbstractContextManager[Any]:
    """bfloat16 autocast when asked and `device` has native bfloat16 (losses stay float32)."""
    if bf16 and has_native_bf16(device):
        # No weight-cast cache: each weight is cast once per step anyway; capture needs it off.
        return torch.autocast(device.type, dtype=torch.bfloat16, cache_enabled=False)
    return contextlib.nullcontext()


class _TermSums:
    """Per-term sums (value × batch size) kept on the device: no host sync until read()."""

    def __init__(self) -> None:
        self.keys: tuple[str, ...] | None = None
        self.total: Tensor | None = None

    def add(self, terms: Mapping[str, Tensor], count: int) -> None:
        """Add one batch's terms, weighted by its size (two small device ops, no sync)."""
        values = torch.stack([value.detach().reshape(()).float() for value in terms.values()])
        if self.total is None:
            self.keys = tuple(terms)
            self.total = values * count
        else:
            self.total.add_(values, alpha=count)

    def read(self, seen: int) -> dict[str, float]:
        """Means per image as floats (the one host sync)."""
        if self.total is None or self.keys is None:
            return {}
        return dict(zip(self.keys, (self.total / seen).tolist(), strict=True))


@torch.no_grad()
def evaluate(
    model: nn.Module, loss_fn: LossFn, x: Tensor, *, batch_size: int = 1000
) -> dict[str, float]:
    """Mean of every loss term over `x`, in eval mode without gradients (training mode restored)."""
    _check_data(x, "x", model, "evaluate")
    check_positive_int(batch_size, "batch_size", "evaluate")
    was_training = model.training
    model.eval()
    sums = _TermSums()
    try:
        for batch in x.split(batch_size):
            sums.add(_terms(loss_fn(model, batch), "evaluate"), len(batch))
    finally:
        model.train(was_training)
    return sums.read(len(x))


def default_optimizer(
    model: nn.Module, lr: float, betas: tuple[float, float] = ADAM_BETAS
) -> torch.optim.Optimizer:
    """Adam with the fastest update the model's device offers (same arithmetic as plain Adam).

    CUDA and CPU: the fused kernel, one call for all parameters (measured on one CPU thread for
    the reference VAE: about 3 ms per step against 8 ms for both the per-parameter loop and the
    multi-tensor "foreach" update). Other devices, or a torch without it: torch's default.
    """
    device = module_device(model)
    params = list(model.parameters())
    if device is not None and device.type in ("cuda", "cpu"):
        try:
            return torch.optim.Adam(params, lr=lr, betas=betas, fused=True)
        except (RuntimeError, TypeError, ValueError):
            pass
    return torch.optim.Adam(params, lr=lr, betas=betas)


def fit(
    model: nn.Module,
    loss_fn: LossFn,
    train_x: Tensor,
    test_x: Tensor | None = None,
    *,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    betas: tuple[float, float] = ADAM_BETAS,
    optimizer: torch.optim.Optimizer | None = None,
    seed: int | None = None,
    progress: bool = True,
    desc: str = "training",
    schedule: Schedule = "constant",
    bf16: bool = False,
    cuda_graph: bool = False,
    on_epoch_end: Callable[[int, History], None] | None = None,
) -> History:
    """Train `model` on `train_x` (Adam by default); return per-epoch train/test loss history.

    `lr` and `betas` set the default Adam (ignored when an `optimizer` is given).

    `schedule="onecycle"` warms the learning rate up to `lr` over the first quarter of the steps
    and anneals it to almost 0 by the last one (torch's OneCycleLR, Adam's betas left constant);
    "constant" keeps `lr`.
    `bf16=True` runs the forward pass under bfloat16 autocast where the device has native
    bfloat16 arithmetic (Ampere or newer GPUs; CPUs with AVX512-BF16 or AMX: about 1.7x the
    images/s on two cores) and is ignored elsewhere; the loss function must then compute its
    losses from logits and in float32 (as vae_loss_terms and autoencoder_loss do).
    The loss terms are accumulated on the device and read once per epoch (no sync per step).
    `cuda_graph=True` (CUDA with torch >= 2.11 and the default optimizer; ignored elsewhere)
    captures the training step in a CUDA graph after a few eager steps and replays it for every
    full batch: the same arithmetic with one launch per step (Adam's capturable form, the
    learning rate in a device tensor). The loss function must be graph-safe (fixed shapes, no
    host syncs such as `.item()` or data-dependent Python branches); a capture that fails raises.
    `on_epoch_end(epoch, history)` is called after each epoch; its time is not in
    ``history.seconds`` (benchmarks use it to score the model off the clock).
    """
    check_positive_int(epochs, "epochs", "fit")
    check_positive_int(batch_size, "batch_size", "fit")
    if not (len(betas) == 2 and all(0.0 <= beta < 1.0 for beta in betas)):
        raise ValueError(f"fit: betas must be two numbers in [0, 1), got {betas!r}")
    scheduler = schedules.named(schedule, lr)
    _check_data(train_x, "train_x", model, "fit")
    if test_x is not None:
        _check_data(test_x, "test_x", model, "fit")
    generator = None
    if seed is not None:
        seed_everything(seed)
        generator = torch.Generator(device=train_x.device).manual_seed(seed)
    graph = cuda_graph and optimizer is None and cuda_graphs.available(train_x.device)
    if optimizer is None:
        make_adam = cuda_graphs.graph_safe_adam if graph else default_optimizer
        optimizer = make_adam(model, lr, betas)
    precision = _autocast(train_x.device, bf16)

    def batch_loss(index: Tensor) -> Tensor | Mapping[str, Tensor]:
        """The loss terms of the rows `index` of train_x."""
        with precision:
            return loss_fn(model, train_x.index_select(0, index))

    def test_scores() -> dict[str, float]:
        """Every loss term's mean over test_x."""
        assert test_x is not None  # only called when there is a test set
        with precision:
            return evaluate(model, loss_fn, test_x)

    return fit_indexed(
        model,
        batch_loss,
        len(train_x),
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        scheduler=scheduler,
        device=train_x.device,
        generator=generator,
        cuda_graph=graph,
        test=None if test_x is None else test_scores,
        progress=progress,
        desc=desc,
        on_epoch_end=on_epoch_end,
    )


def fit_indexed(
    model: nn.Module,
    batch_loss: Callable[[Tensor], Tensor | Mapping[str, Tensor]],
    rows: int,
    *,
    epochs: int,
    batch_size: int,
    optimizer: torch.optim.Optimizer,
    scheduler: schedules.SchedulerFactory | None = None,
    device: torch.device,
    generator: torch.Generator | None = None,
    cuda_graph: bool = False,
    test: Callable[[], Mapping[str, float]] | None = None,
    progress: bool = True,
    desc: str = "training",
    on_epoch_end: Callable[[int, History], None] | None = None,
) -> History:
    """fit's loop for any data: `batch_loss(index)` gives the loss terms of the rows `index`.

    Each epoch shuffles the indices 0..rows-1 (on `device`, with `generator`) into
    batches of `batch_size`; every batch is one step of `optimizer`, followed by one step of
    the learning-rate schedule that `scheduler` builds (e.g. schedules.onecycle(lr)).
    `test()`, if given, returns scores recorded in ``history.test`` after each epoch.
    `cuda_graph=True` needs an optimizer from cuda_graphs.graph_safe_adam on a CUDA device
    and a schedule that keeps the betas constant (see fit).
    """
    from tqdm.auto import tqdm  # imported here: no work at package import

    for size, name in ((rows, "rows"), (epochs, "epochs"), (batch_size, "batch_size")):
        check_positive_int(size, name, "fit_indexed")
    batches_per_epoch = math.ceil(rows / batch_size)
    learning_rate = schedules.LearningRate(
        optimizer, scheduler, epochs * batches_per_epoch, in_tensor=cuda_graph
    )

    def step(index: Tensor) -> dict[str, Tensor]:
        """One optimizer step on the rows `index`; returns the batch's loss terms."""
        terms = _terms(batch_loss(index), "fit")
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        # Detached: nothing keeps this step's autograd graph alive into the next step.
        return {key: value.detach() for key, value in terms.items()}

    train_step = cuda_graphs.CapturedSteps(step, batch_size, device) if cuda_graph else step

    history = History()
    postfix: dict[str, str] = {}
    bar = tqdm(total=epochs * batches_per_epoch, desc=desc, disable=not progress, unit="batch")
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            sums = _TermSums()
            for index in index_batches(rows, batch_size, device=device, generator=generator):
                terms = train_step(index)
                learning_rate.step()
                sums.add(terms, len(index))
                bar.update(1)
            for key, value in sums.read(rows).items():
                history.train.setdefault(key, []).append(value)
            if test is not None:
                for key, value in test().items():
                    history.test.setdefault(key, []).append(value)
            history.seconds.append(time.perf_counter() - started)
            postfix.update(epoch=f"{epoch}/{epochs}", train=f"{history.train['loss'][-1]:.2f}")
            if "loss" in history.test:
                postfix["test"] = f"{history.test['loss'][-1]:.2f}"
            bar.set_postfix(postfix)
            if not math.isfinite(history.train["loss"][-1]):
                raise FloatingPointError(
                    f"fit: the training loss became {history.train['loss'][-1]} in epoch {epoch}: "
                    "lower the learning rate or check the loss function"
                )
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    finally:
        bar.close()
    return history
