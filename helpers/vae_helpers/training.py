"""A small fit-style training loop with a progress bar and per-epoch loss history."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

from vae_helpers import cuda_graphs
from vae_helpers._validation import check_positive_int, module_device
from vae_helpers.data import index_batches
from vae_helpers.device import has_native_bf16, seed_everything

LossFn = Callable[[nn.Module, Tensor], "Tensor | Mapping[str, Tensor]"]

Schedule = Literal["constant", "onecycle"]
ONECYCLE_WARMUP = 0.25  # fraction of the steps spent warming up to the peak learning rate
ONECYCLE_MIN_STEPS = 8  # fewer optimizer steps than this: constant learning rate instead
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


def _capture(
    step: cuda_graphs.StepFn, batch_size: int, device: torch.device
) -> cuda_graphs.GraphedStep:
    """fit's step captured in a CUDA graph; a failure raises one clear error."""
    try:
        return cuda_graphs.GraphedStep(step, batch_size, device)
    except Exception as err:  # after a failed capture CUDA's random state is not usable
        raise RuntimeError(
            f"fit: could not capture the training step in a CUDA graph ({type(err).__name__}: "
            f"{err}). The loss function must be graph-safe (no .item(), no data-dependent "
            "branches). Restart the kernel and train with cuda_graph=False."
        ) from err


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
    from tqdm.auto import tqdm  # imported here: no work at package import

    check_positive_int(epochs, "epochs", "fit")
    check_positive_int(batch_size, "batch_size", "fit")
    if not (len(betas) == 2 and all(0.0 <= beta < 1.0 for beta in betas)):
        raise ValueError(f"fit: betas must be two numbers in [0, 1), got {betas!r}")
    if schedule not in ("constant", "onecycle"):
        raise ValueError(f"fit: schedule must be 'constant' or 'onecycle', got {schedule!r}")
    _check_data(train_x, "train_x", model, "fit")
    if test_x is not None:
        _check_data(test_x, "test_x", model, "fit")
    if seed is not None:
        seed_everything(seed)
    generator = None
    if seed is not None:
        generator = torch.Generator(device=train_x.device).manual_seed(seed)
    graph_mode = (
        cuda_graph
        and optimizer is None
        and train_x.device.type == "cuda"
        and cuda_graphs.torch_supports_capture()
    )
    if optimizer is None:
        optimizer = (
            cuda_graphs.graph_safe_adam(model, lr, betas)
            if graph_mode
            else default_optimizer(model, lr, betas)
        )
    # Taken before a scheduler can replace the rate tensors by floats.
    learning_rate = cuda_graphs.TensorLearningRate(optimizer) if graph_mode else None
    batches_per_epoch = math.ceil(len(train_x) / batch_size)
    scheduler = None
    # OneCycleLR needs a few steps per phase; a tiny run (a smoke test) keeps the constant rate.
    if schedule == "onecycle" and epochs * batches_per_epoch >= ONECYCLE_MIN_STEPS:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=lr,
            total_steps=epochs * batches_per_epoch,
            pct_start=ONECYCLE_WARMUP,
            cycle_momentum=False,  # same scores as cycling beta1, and a captured step needs it
        )
    precision = _autocast(train_x.device, bf16)

    def step(index: Tensor) -> dict[str, Tensor]:
        """One optimizer step on the rows `index` of train_x; returns the batch's loss terms."""
        with precision:
            terms = _terms(loss_fn(model, train_x.index_select(0, index)), "fit")
        optimizer.zero_grad(set_to_none=True)
        terms["loss"].backward()
        optimizer.step()
        # Detached: nothing keeps this step's autograd graph alive into the next step.
        return {key: value.detach() for key, value in terms.items()}

    graphed: cuda_graphs.GraphedStep | None = None
    eager_full_steps = 0
    side_stream = torch.cuda.Stream(train_x.device) if graph_mode else None

    history = History()
    postfix: dict[str, str] = {}
    bar = tqdm(total=epochs * batches_per_epoch, desc=desc, disable=not progress, unit="batch")
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            sums = _TermSums()
            for index in index_batches(
                len(train_x), batch_size, device=train_x.device, generator=generator
            ):
                full = len(index) == batch_size
                if (
                    graph_mode
                    and full
                    and graphed is None
                    and eager_full_steps >= cuda_graphs.WARMUP_STEPS
                ):
                    graphed = _capture(step, batch_size, train_x.device)
                if graphed is not None and full:
                    terms = graphed(index)
                elif side_stream is not None and full:
                    terms = cuda_graphs.warm_up(step, index, side_stream)
                    eager_full_steps += 1
                else:
                    terms = step(index)
                if scheduler is not None:
                    scheduler.step()
                if learning_rate is not None:
                    learning_rate.restore()
                sums.add(terms, len(index))
                bar.update(1)
            for key, value in sums.read(len(train_x)).items():
                history.train.setdefault(key, []).append(value)
            if test_x is not None:
                with precision:
                    scores = evaluate(model, loss_fn, test_x)
                for key, value in scores.items():
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
            if on_epoch_end is not None:
                on_epoch_end(epoch, history)
    finally:
        bar.close()
    return history
