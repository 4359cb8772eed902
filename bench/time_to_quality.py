"""Benchmark: training seconds to reach a test -ELBO, the seeds' recipe against the course's.

Run from the repository root (MNIST under $VAE_DATA_DIR/MNIST/raw/):

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/time_to_quality.py [--threads 2] \
        [--seeds-epochs 20] [--float32] [--json out.json]

The two contenders, trained side by side in one process with their epochs interleaved (so a
change in the machine's load hits both alike):

* ``seeds``: the recipe the course's seed notebooks started from, as most tutorials write it: a
  784-400-20 MLP VAE with one ReLU hidden layer and a sigmoid output, the loss from
  probabilities (``F.binary_cross_entropy`` + the KL), plain Adam at 1e-3, batch 128, fed by
  ``DataLoader(MNIST(root, train=True, transform=ToTensor()), batch_size=128, shuffle=True)``
  with a ``loss.item()`` per batch;
* ``course``: the course's reference VAE, exactly as ``vae_helpers.pretrained.pretrained_vae``
  trains it (``reference_vae``, ``VAE_RECIPE``, ``fit``; images resident on the device; bfloat16
  autocast where the hardware has it, ``vae_helpers.device.has_native_bf16``, losses in float32).

After every epoch each model is scored on the 10,000 test images (negative ELBO in nats per
image, one posterior sample per image, the same function for both); the scoring is off the
clock. The table gives the training seconds (wall clock; and process CPU seconds, which a busy
machine inflates far less) each contender needs to first reach 120, 115, 110 and 105 nats, the
seeds' best value, and the ratio seeds / course. With ``--device cuda`` (or $VAE_DEVICE) the
course's images live on the GPU and each full batch replays the training step from a CUDA graph
(as pretrained_vae does); the seeds move each batch to the GPU as tutorials do.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vae_helpers import settings
from vae_helpers.data import load_mnist
from vae_helpers.device import has_native_bf16, resolve_device
from vae_helpers.models import vae_loss_terms
from vae_helpers.pretrained import VAE_RECIPE, reference_vae
from vae_helpers.training import History, evaluate, fit

MILESTONES = (120.0, 115.0, 110.0, 105.0)
TARGET_RATIO = 5.0


class SeedsVAE(nn.Module):
    """The tutorial VAE: fc1 784→400 (ReLU), fc21/fc22 400→20, fc3 20→400 (ReLU), fc4 400→784."""

    def __init__(self) -> None:
        """The five linear layers."""
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(x_hat, mu, logvar) for flat images x."""
        hidden = F.relu(self.fc1(x))
        mu, logvar = self.fc21(hidden), self.fc22(hidden)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def seeds_loss(model: nn.Module, x: Tensor) -> dict[str, Tensor]:
    """The tutorial loss from probabilities, as a per-image mean (nats per image)."""
    x = x.reshape(len(x), -1)
    x_hat, mu, logvar = model(x)
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / len(x)
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / len(x)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


@dataclass
class Track:
    """One contender's clock and its test score after each epoch."""

    name: str
    wall: float = 0.0
    cpu: float = 0.0
    epochs: list[dict[str, float]] = field(default_factory=list)

    def record(self, wall: float, cpu: float, test: float) -> None:
        """Add one epoch's training time and the test score after it."""
        self.wall += wall
        self.cpu += cpu
        self.epochs.append({"wall_s": self.wall, "cpu_s": self.cpu, "test": test})
        print(
            f"  {self.name:<7} epoch {len(self.epochs):>2}: {self.wall:7.1f} s wall "
            f"{self.cpu:7.1f} s CPU   test -ELBO {test:7.2f}",
            flush=True,
        )

    def first_reaching(self, level: float) -> dict[str, float] | None:
        """The first epoch's record whose test score is <= level, or None."""
        return next((row for row in self.epochs if row["test"] <= level), None)

    @property
    def best(self) -> float:
        """The lowest test score reached."""
        return min(row["test"] for row in self.epochs)


def score(model: nn.Module, loss_fn: Any, test_x: Tensor) -> float:
    """Mean test negative ELBO (nats per image), off the clock, in float32."""
    return evaluate(model, loss_fn, test_x)["loss"]


def cell(row: dict[str, float] | None) -> str:
    """A table cell: wall seconds (CPU seconds), or 'not reached'."""
    return "not reached" if row is None else f"{row['wall_s']:.1f} ({row['cpu_s']:.1f})"


def sync(device: torch.device) -> None:
    """Wait for queued GPU work so the clocks are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main() -> None:
    """Train both contenders interleaved, print the time-to-quality table, optionally save it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--seeds-epochs", type=int, default=20, help="epochs for the seeds")
    parser.add_argument("--device", help="cpu or cuda (default: $VAE_DEVICE or the best one)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--limit", type=int, help="smoke test: this many train and test images")
    parser.add_argument("--course-epochs", type=int, help="smoke test: fewer course epochs")
    parser.add_argument(
        "--float32",
        action="store_true",
        help="train the course in float32 even where bfloat16 is native (as on CPUs without it)",
    )
    args = parser.parse_args()
    if args.threads < 1 or args.seeds_epochs < 1:
        parser.error("--threads and --seeds-epochs must be >= 1")
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    course_bf16 = has_native_bf16(device) and not args.float32
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    from torchvision import datasets, transforms

    recipe = VAE_RECIPE
    if args.course_epochs is not None:
        recipe = replace(recipe, epochs=args.course_epochs)
    dataset: Any = datasets.MNIST(
        settings.data_dir(), train=True, transform=transforms.ToTensor(), download=True
    )
    train_limit = recipe.train_limit if args.limit is None else args.limit
    if args.limit is not None:
        dataset = torch.utils.data.Subset(dataset, range(min(args.limit, len(dataset))))
    loader = torch.utils.data.DataLoader(dataset, batch_size=128, shuffle=True)
    train_x, _ = load_mnist("train", device=device, limit=train_limit)
    test_x, _ = load_mnist("test", device=device, limit=args.limit)
    print(
        f"time to quality on {device}, torch threads {torch.get_num_threads()}, "
        f"{len(dataset)} training images for the seeds, {len(train_x)} for the course, "
        f"{len(test_x)} test images; load average {load_before:.2f}; course in bfloat16: "
        f"{course_bf16}"
    )
    print(
        f"course recipe: {recipe}; seeds: 784-400-20 ReLU, Adam 1e-3, batch 128, DataLoader, "
        f"{args.seeds_epochs} epochs"
    )

    torch.manual_seed(0)
    seeds_model = SeedsVAE().to(device)
    seeds_optimizer = torch.optim.Adam(seeds_model.parameters(), lr=1e-3)
    torch.manual_seed(recipe.seed)
    course_model = reference_vae(20).to(device)
    seeds, course = Track("seeds"), Track("course")
    seeds_done = 0

    def seeds_epoch() -> None:
        """One epoch of the tutorial loop, timed, then scored off the clock."""
        nonlocal seeds_done
        sync(device)
        wall, cpu = time.perf_counter(), time.process_time()
        seeds_model.train()
        total = 0.0
        for x, _ in loader:
            x = x.to(device)
            loss = seeds_loss(seeds_model, x)["loss"]
            seeds_optimizer.zero_grad()
            loss.backward()
            seeds_optimizer.step()
            total += loss.item() * len(x)  # as tutorials do (a sync per batch)
        sync(device)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        seeds_done += 1
        seeds.record(wall, cpu, score(seeds_model, seeds_loss, test_x))

    cpu_mark = time.process_time()

    def after_course_epoch(epoch: int, history: History) -> None:
        """Score the course model, then give the seeds their epoch (all off the course clock)."""
        nonlocal cpu_mark
        cpu = time.process_time() - cpu_mark
        course.record(history.seconds[-1], cpu, score(course_model, vae_loss_terms, test_x))
        if seeds_done < args.seeds_epochs:
            seeds_epoch()
        cpu_mark = time.process_time()

    cpu_mark = time.process_time()
    fit(
        course_model,
        vae_loss_terms,
        train_x,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        schedule=recipe.schedule,
        betas=recipe.betas,
        seed=recipe.seed,
        bf16=course_bf16,
        cuda_graph=True,
        progress=False,
        on_epoch_end=after_course_epoch,
    )
    while seeds_done < args.seeds_epochs:
        seeds_epoch()

    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = []
    seeds_best = seeds.best
    levels = [*MILESTONES, seeds_best]
    print(f"\n{'test -ELBO <=':>16}{'seeds s (CPU s)':>22}{'course s (CPU s)':>22}{'ratio':>8}")
    for level in levels:
        a, b = seeds.first_reaching(level), course.first_reaching(level)
        ratio = a["wall_s"] / b["wall_s"] if a and b else None
        label = f"{level:.2f}" + (" (seeds' best)" if level is seeds_best else "")
        rows.append(
            {
                "level": round(level, 2),
                "seeds_s": a and round(a["wall_s"], 2),
                "seeds_cpu_s": a and round(a["cpu_s"], 2),
                "course_s": b and round(b["wall_s"], 2),
                "course_cpu_s": b and round(b["cpu_s"], 2),
                "ratio": ratio and round(ratio, 2),
            }
        )
        ratio_text = "-" if ratio is None else f"{ratio:.1f}x"
        print(f"{label:>16}{cell(a):>22}{cell(b):>22}{ratio_text:>8}")
    best_ratio = ratio  # the last level is the seeds' best
    reached_105 = course.first_reaching(105.0) is not None
    print(
        f"\ncourse best {course.best:.2f} nats after {course.wall:.1f} s; seeds best "
        f"{seeds_best:.2f} after {seeds.wall:.1f} s; load average {load_before:.2f} before, "
        f"{load_after:.2f} after"
    )
    verdict = best_ratio is not None and best_ratio >= TARGET_RATIO and reached_105
    print(
        f"goal (course reaches the seeds' best >= {TARGET_RATIO:g}x sooner and reaches 105): "
        f"{'met' if verdict else 'NOT met'}"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "benchmark": "time_to_quality",
            "device": str(device),
            "torch_threads": torch.get_num_threads(),
            "cpu_count": os.cpu_count(),
            "load_average": [load_before, load_after],
            "torch": torch.__version__,
            "python": platform.python_version(),
            "course_recipe": str(recipe),
            "course_bf16": course_bf16,
            "seeds": seeds.epochs,
            "course": course.epochs,
            "table": rows,
            "goal_met": verdict,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")
    if not math.isfinite(course.best):
        raise SystemExit("time_to_quality: the course model diverged")


if __name__ == "__main__":
    main()
