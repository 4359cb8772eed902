"""Benchmark: on-device MNIST tensors + index batching vs. the usual per-sample DataLoader.

Run from the repository root (MNIST under $VAE_DATA_DIR/MNIST/raw/, e.g. the offline subset):

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/data_pipeline.py --epochs 2 --json out.json

Options: --epochs N (timed epochs per contender, default 2), --json PATH (save the results),
--threads N (torch.set_num_threads; use 1 on a machine shared with other jobs, where two
OpenMP threads per process oversubscribe the cores and make every contender slow and noisy).

What it measures: training throughput (images per second, wall clock, after a short warm-up) of
the same 784-400-20 MLP VAE (vae_helpers.models.MLPVAE, loss vae_loss_terms), batch size 128,
Adam lr 1e-3, fed three ways on the same machine in one run:

* ``dataloader``: ``DataLoader(torchvision.datasets.MNIST(root, train=True,
  transform=ToTensor()), batch_size=128, shuffle=True)``, the per-sample PIL → ToTensor path most
  tutorials use, with a loss.item() per batch as they do;
* ``batches``: ``vae_helpers.data.load_mnist`` once (float tensors on the device), then
  ``vae_helpers.data.batches`` in a plain loop that accumulates the loss on the device;
* ``fit``: ``vae_helpers.training.fit`` (the same as ``batches`` plus its bookkeeping, no test
  set, no progress bar).

Two "data only" rows time one pass of each pipeline without any training (what the pipeline
itself costs). A ``ceiling`` row times the compute alone: forward, backward and optimizer step
on one batch that stays resident on the device (no data pipeline at all; Adam with the update
``fit`` uses, ``vae_helpers.training.default_optimizer``), as many steps as an epoch has; the
``of ceiling`` column gives each training row's images/s as a fraction of it. Where the device
multiplies bfloat16 in hardware (``vae_helpers.device.has_native_bf16``: an AVX512-BF16 or AMX
CPU, an Ampere or newer GPU), two more rows time ``fit(..., bf16=True)`` and the same ceiling under
bfloat16 autocast, and that ``fit`` row's share is of the bfloat16 ceiling. The one-off
set-up time (building the dataset / converting the tensors) is reported separately and not
counted in the throughput. The ratio column is throughput relative to the ``dataloader`` row
of the same kind. Training speed-up is bounded by Amdahl's law:
at most 1 + (DataLoader's data time) / (model compute time), so the faster the model's maths
(more cores, a GPU), the larger the end-to-end ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

import torch

from vae_helpers import settings
from vae_helpers.data import batches, load_mnist
from vae_helpers.device import get_device, has_native_bf16
from vae_helpers.models import MLPVAE, vae_loss_terms
from vae_helpers.training import default_optimizer, fit

BATCH_SIZE = 128
LR = 1e-3
WARMUP_BATCHES = 10


@dataclass
class Result:
    """One contender's timing: pipeline, what was timed, set-up and timed seconds, last loss."""

    path: str
    kind: str
    setup_s: float
    seconds: float
    loss: float | None

    def row(self, images: int, baseline_seconds: float) -> dict[str, Any]:
        """A JSON-ready row with images/s and the ratio to the DataLoader's time."""
        return {
            "path": self.path,
            "kind": self.kind,
            "setup_s": round(self.setup_s, 3),
            "seconds": round(self.seconds, 3),
            "images_per_s": round(images / self.seconds, 1),
            "ratio": round(baseline_seconds / self.seconds, 2),
            "loss": None if self.loss is None else round(self.loss, 2),
        }


def _new_model(device: torch.device) -> tuple[MLPVAE, torch.optim.Optimizer]:
    """The same freshly initialised VAE and Adam optimiser for every contender."""
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=20, hidden_dim=400).to(device)
    return model, torch.optim.Adam(model.parameters(), lr=LR)


def _sync(device: torch.device) -> None:
    """Wait for queued GPU work so wall-clock times are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def _dataloader_epoch(
    model: MLPVAE,
    optimizer: torch.optim.Optimizer,
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]],
    device: torch.device,
    max_batches: int | None = None,
) -> float:
    """One epoch of the usual tutorial loop; returns the mean loss."""
    total, count = 0.0, 0
    for index, (x, _) in enumerate(loader):
        if max_batches is not None and index >= max_batches:
            break
        x = x.to(device)
        loss = vae_loss_terms(model, x)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(x)
        count += len(x)
    return total / count


def _helpers_epoch(
    model: MLPVAE,
    optimizer: torch.optim.Optimizer,
    images: torch.Tensor,
    max_batches: int | None = None,
) -> float:
    """One epoch over on-device tensors with index batching; one sync at the end."""
    total = torch.zeros((), device=images.device)
    count = 0
    for index, x in enumerate(batches(images, batch_size=BATCH_SIZE)):
        if max_batches is not None and index >= max_batches:
            break
        loss = vae_loss_terms(model, cast(torch.Tensor, x))["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach() * len(x)
        count += len(x)
    return float(total) / count


def _timed(
    run_epoch: Callable[[], float | None], epochs: int, device: torch.device
) -> tuple[float, float | None]:
    """Seconds for `epochs` calls of run_epoch and its last result (the epoch's mean loss)."""
    _sync(device)
    started = time.perf_counter()
    loss = None
    for _ in range(epochs):
        loss = run_epoch()
    _sync(device)
    return time.perf_counter() - started, loss


def _ceiling_epoch(
    model: MLPVAE,
    optimizer: torch.optim.Optimizer,
    batch: torch.Tensor,
    steps: int,
    bf16: bool = False,
) -> float:
    """`steps` training steps on one resident batch: the compute, without any data pipeline."""
    total = torch.zeros((), device=batch.device)
    for _ in range(steps):
        with torch.autocast(batch.device.type, dtype=torch.bfloat16, enabled=bf16):
            loss = vae_loss_terms(model, batch)["loss"]
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach()
    return float(total) / steps


def _data_only_dataloader(
    loader: Iterable[tuple[torch.Tensor, torch.Tensor]], device: torch.device
) -> float:
    """One pass over the DataLoader moving each batch to the device, no training."""
    for x, _ in loader:
        x.to(device)
    return float("nan")


def _data_only_batches(images: torch.Tensor) -> float:
    """One pass of vae_helpers.data.batches over on-device images, no training."""
    for _ in batches(images, batch_size=BATCH_SIZE):
        pass
    return float("nan")


def main() -> None:
    """Run every contender, print the comparison table and optionally save it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs per contender")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        torch.set_num_threads(args.threads)

    from torchvision import datasets, transforms

    device = get_device()
    results: list[Result] = []

    started = time.perf_counter()
    dataset = datasets.MNIST(
        settings.data_dir(), train=True, transform=transforms.ToTensor(), download=True
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=True)
    loader_setup = time.perf_counter() - started
    started = time.perf_counter()
    images, _ = load_mnist("train", device=device)
    _sync(device)
    helpers_setup = time.perf_counter() - started
    count = len(images)

    # Warm-up: first optimizer construction, allocator and kernel start-up are not timed.
    _dataloader_epoch(*_new_model(device), loader, device, max_batches=WARMUP_BATCHES)
    _helpers_epoch(*_new_model(device), images, max_batches=WARMUP_BATCHES)

    model, optimizer = _new_model(device)
    seconds, loss = _timed(
        lambda: _dataloader_epoch(model, optimizer, loader, device), args.epochs, device
    )
    results.append(Result("dataloader", "train", loader_setup, seconds, loss))

    model, optimizer = _new_model(device)
    seconds, loss = _timed(lambda: _helpers_epoch(model, optimizer, images), args.epochs, device)
    results.append(Result("batches", "train", helpers_setup, seconds, loss))

    precisions = [False, True] if has_native_bf16(device) else [False]
    resident = images[:BATCH_SIZE].contiguous()
    steps = -(-count // BATCH_SIZE)
    ceilings: dict[str, Result] = {}
    for bf16 in precisions:
        suffix = " bf16" if bf16 else ""
        model, _ = _new_model(device)

        def fit_epoch(model: MLPVAE = model, bf16: bool = bf16) -> float:
            """One epoch through vae_helpers.training.fit."""
            history = fit(model, vae_loss_terms, images, epochs=1, lr=LR, bf16=bf16, progress=False)
            return history.train["loss"][-1]

        seconds, loss = _timed(fit_epoch, args.epochs, device)
        results.append(Result("fit" + suffix, "train", helpers_setup, seconds, loss))

        model, _ = _new_model(device)
        optimizer = default_optimizer(model, LR)
        _ceiling_epoch(model, optimizer, resident, WARMUP_BATCHES, bf16)
        seconds, loss = _timed(
            partial(_ceiling_epoch, model, optimizer, resident, steps, bf16),
            args.epochs,
            device,
        )
        ceiling = Result(
            "ceiling" + suffix, "train", 0.0, seconds * count / (steps * BATCH_SIZE), loss
        )
        ceilings[suffix] = ceiling
        results.append(ceiling)

    seconds, _ = _timed(lambda: _data_only_dataloader(loader, device), args.epochs, device)
    results.append(Result("dataloader", "data only", loader_setup, seconds, None))
    seconds, _ = _timed(lambda: _data_only_batches(images), args.epochs, device)
    results.append(Result("batches", "data only", helpers_setup, seconds, None))

    baseline = {r.kind: r.seconds for r in results if r.path == "dataloader"}
    rows = [r.row(args.epochs * count, baseline[r.kind]) for r in results]
    for result, row in zip(results, rows, strict=True):
        ceiling = ceilings[" bf16" if result.path.endswith(" bf16") else ""]
        row["of_ceiling"] = (
            round(ceiling.seconds / result.seconds, 3) if result.kind == "train" else None
        )
    print(
        f"MNIST train images: {count}, epochs: {args.epochs}, batch {BATCH_SIZE}, device {device}, "
        f"torch threads {torch.get_num_threads()}, CPUs {os.cpu_count()}"
    )
    print(
        f"{'path':<14}{'what':<11}{'setup s':>8}{'time s':>9}{'images/s':>11}{'ratio':>8}"
        f"{'of ceiling':>12}  loss"
    )
    for row in rows:
        loss_text = "" if row["loss"] is None else f"{row['loss']:.2f}"
        share = "" if row["of_ceiling"] is None else f"{100 * row['of_ceiling']:.0f}%"
        print(
            f"{row['path']:<14}{row['kind']:<11}{row['setup_s']:>8.2f}{row['seconds']:>9.2f}"
            f"{row['images_per_s']:>11.0f}{row['ratio']:>7.2f}x{share:>12}  {loss_text}"
        )
    print("ratio: images/s relative to the DataLoader row of the same kind (train or data only)")
    print(
        "of ceiling: images/s as a share of the compute ceiling (forward + backward + step on "
        "one resident batch; bf16 rows: of the bf16 ceiling)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": "data_pipeline",
            "images": count,
            "epochs": args.epochs,
            "batch_size": BATCH_SIZE,
            "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "results": rows,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
