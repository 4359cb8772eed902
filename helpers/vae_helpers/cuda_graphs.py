"""fit's training step replayed from a CUDA graph: one launch per step instead of one per kernel.

A small model at batch 128 spends most of a GPU step launching kernels (measured on an H200:
3.2 ms per step eager, 0.4 ms replayed). torch captures the whole step (gather the batch, loss,
backward, Adam update) once and replays it; see torch's "whole network capture" recipe. Adam's
betas stay constant floats (fit's one-cycle schedule does not cycle them), so only the learning
rate needs to live in a tensor.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from vae_helpers._validation import module_device

WARMUP_STEPS = 3  # eager steps on a side stream before capture, as torch's recipe asks

StepFn = Callable[[Tensor], dict[str, Tensor]]


# The oldest torch on which fit's capture was run and checked on a GPU (bench/gpu_check.py);
# older versions train eagerly.
OLDEST_CHECKED_TORCH = (2, 11)


def torch_supports_capture(version: str | None = None) -> bool:
    """Whether this torch is at least OLDEST_CHECKED_TORCH ("2.11.0+cu130" → (2, 11))."""
    release = (version or torch.__version__).split("+")[0].split(".")
    try:
        major, minor = int(release[0]), int(release[1])
    except (IndexError, ValueError):
        return False
    return (major, minor) >= OLDEST_CHECKED_TORCH


def available(device: torch.device) -> bool:
    """Whether a training step on `device` can be captured (CUDA on a checked torch)."""
    return device.type == "cuda" and torch_supports_capture()


def graph_safe_adam(
    model: nn.Module, lr: float, betas: tuple[float, float] = (0.9, 0.999)
) -> torch.optim.Adam:
    """Adam whose learning rate lives in a device tensor, so a captured step reads its value."""
    rate = torch.tensor(lr, device=module_device(model))
    return torch.optim.Adam(model.parameters(), lr=rate, betas=betas, capturable=True)


class TensorLearningRate:
    """Keeps each param group's learning rate in the device tensor a captured step reads."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        """Remember the tensors graph_safe_adam put in every param group."""
        self.optimizer = optimizer
        self.tensors = [group["lr"] for group in optimizer.param_groups]

    def restore(self) -> None:
        """Copy a rate a scheduler wrote as a float into the tensor, and put the tensor back."""
        for group, lr in zip(self.optimizer.param_groups, self.tensors, strict=True):
            if group["lr"] is not lr:
                lr.fill_(float(group["lr"]))
                group["lr"] = lr


def warm_up(step: StepFn, index: Tensor, side: torch.cuda.Stream) -> dict[str, Tensor]:
    """One eager step on the side stream `side` (steps before capture must not use the main one)."""
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        terms = step(index)
    torch.cuda.current_stream().wait_stream(side)
    return terms


class GraphedStep:
    """`step` for full batches of `batch_size` rows, captured once; calling it replays the graph.

    Capture records the kernels without running them: the caller then calls the object for the
    batch at hand. The returned loss terms are the graph's own tensors, overwritten by the next
    replay (read them before that, as fit does when it adds them to the epoch's sums).
    """

    def __init__(self, step: StepFn, batch_size: int, device: torch.device) -> None:
        """Capture `step` on a static index tensor."""
        self.index = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.terms = step(self.index)

    def __call__(self, index: Tensor) -> dict[str, Tensor]:
        """Run the captured step on the rows `index` (a full batch)."""
        self.index.copy_(index)
        self.graph.replay()
        return self.terms


class CapturedSteps:
    """`step` run on every batch: eagerly at first, then replayed from a CUDA graph.

    The first WARMUP_STEPS full batches run eagerly on a side stream (as torch's recipe asks),
    the next full batch captures the step and every later one replays it; a shorter batch (the
    end of an epoch) always runs eagerly. A capture that fails raises one clear error.
    """

    def __init__(self, step: StepFn, batch_size: int, device: torch.device) -> None:
        """Nothing is captured yet: the first calls warm up."""
        self.step = step
        self.batch_size = batch_size
        self.device = device
        self.side_stream = torch.cuda.Stream(device)
        self.eager_full_steps = 0
        self.graphed: GraphedStep | None = None

    def __call__(self, index: Tensor) -> dict[str, Tensor]:
        """One training step on the rows `index`; returns its loss terms."""
        if len(index) != self.batch_size:
            return self.step(index)
        if self.graphed is None and self.eager_full_steps >= WARMUP_STEPS:
            self.graphed = self._capture()
        if self.graphed is not None:
            return self.graphed(index)
        self.eager_full_steps += 1
        return warm_up(self.step, index, self.side_stream)

    def _capture(self) -> GraphedStep:
        """The step captured in a CUDA graph; a failure raises one clear error."""
        try:
            return GraphedStep(self.step, self.batch_size, self.device)
        except Exception as err:  # after a failed capture CUDA's random state is not usable
            raise RuntimeError(
                f"fit: could not capture the training step in a CUDA graph "
                f"({type(err).__name__}: {err}). The loss function must be graph-safe (no "
                ".item(), no data-dependent branches). Restart the kernel and train with "
                "cuda_graph=False."
            ) from err
