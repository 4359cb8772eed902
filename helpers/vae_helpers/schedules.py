"""Learning-rate schedules for fit: a torch scheduler stepped once after every optimizer step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import torch
from torch.optim.lr_scheduler import LRScheduler, OneCycleLR

from vae_helpers import cuda_graphs

Schedule = Literal["constant", "onecycle"]
ONECYCLE_WARMUP = 0.25  # fraction of the steps spent warming up to the peak learning rate
ONECYCLE_MIN_STEPS = 8  # fewer optimizer steps than this: constant learning rate instead

# Builds the scheduler for an optimizer and the run's total number of steps (None: constant).
SchedulerFactory = Callable[[torch.optim.Optimizer, int], "LRScheduler | None"]


def onecycle(
    max_lr: float, *, cycle_momentum: bool = False, min_steps: int = ONECYCLE_MIN_STEPS
) -> SchedulerFactory:
    """torch's OneCycleLR up to `max_lr` (a quarter of the steps warming up), or None if short.

    `cycle_momentum=False` keeps Adam's betas constant, which a CUDA-graph step needs; OneCycleLR
    needs a few steps per phase, so a run of fewer than `min_steps` steps keeps a constant rate.
    """

    def build(optimizer: torch.optim.Optimizer, total_steps: int) -> LRScheduler | None:
        """The scheduler for `total_steps` optimizer steps."""
        if total_steps < min_steps:
            return None
        return OneCycleLR(
            optimizer,
            max_lr=max_lr,
            total_steps=total_steps,
            pct_start=ONECYCLE_WARMUP,
            cycle_momentum=cycle_momentum,
        )

    return build


def named(schedule: Schedule, lr: float) -> SchedulerFactory | None:
    """fit's `schedule` argument as a factory: "constant" → None, "onecycle" → onecycle(lr)."""
    if schedule == "constant":
        return None
    if schedule == "onecycle":
        return onecycle(lr)
    raise ValueError(f"fit: schedule must be 'constant' or 'onecycle', got {schedule!r}")


class LearningRate:
    """The optimizer's learning rate over training; call step() after every optimizer step.

    With `in_tensor=True` (an optimizer from cuda_graphs.graph_safe_adam) each rate the
    scheduler sets is copied into the device tensor that a captured step reads.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        factory: SchedulerFactory | None,
        total_steps: int,
        *,
        in_tensor: bool = False,
    ) -> None:
        """Build the scheduler (if any) for `total_steps` steps of `optimizer`."""
        # Taken before a scheduler can replace the rate tensors by floats.
        self.tensors = cuda_graphs.TensorLearningRate(optimizer) if in_tensor else None
        self.scheduler = factory(optimizer, total_steps) if factory is not None else None

    def step(self) -> None:
        """Move to the next step's rate (and put it where a captured step reads it)."""
        if self.scheduler is not None:
            self.scheduler.step()
        if self.tensors is not None:
            self.tensors.restore()
