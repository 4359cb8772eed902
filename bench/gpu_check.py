"""GPU check: the helpers' CUDA path (resident data, bf16 autocast, no per-step sync), timed.

Run from the repository root on a machine with an NVIDIA GPU (MNIST under $VAE_DATA_DIR):

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/gpu_check.py [--seeds-epochs 20]

What it does, on ``cuda``:

1. trains the reference VAE (``vae_helpers.pretrained`` recipe) for one epoch under
   ``torch.cuda.set_sync_debug_mode("warn")`` and counts the host synchronisations (the target
   is one per epoch: reading the epoch's loss sums), then prints per-epoch seconds of ``fit``
   for the full recipe (bf16 autocast, losses in float32);
2. times epochs of 60,000 images (the full MNIST training-set size; where fewer images are on
   disk they are repeated to that count, which changes nothing in the arithmetic), target ≤ 0.5 s;
3. runs ``bench/data_pipeline.py`` (images/s and the share of the compute ceiling);
4. runs ``bench/time_to_quality.py --device cuda`` (seconds to 120/115/110/105 nats, seeds vs
   course).

On a machine without a CUDA GPU it prints why and exits with status 2 (it never falls back to
the CPU, so no CPU figure can be mistaken for a GPU one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

from vae_helpers.data import load_mnist
from vae_helpers.models import vae_loss_terms
from vae_helpers.pretrained import VAE_RECIPE, reference_vae
from vae_helpers.training import fit

BENCH = Path(__file__).resolve().parent
FULL_MNIST_TRAIN = 60_000


def count_syncs(train_x: torch.Tensor) -> int:
    """Host synchronisations during one epoch of fit on CUDA (sync debug mode, warnings counted)."""
    torch.manual_seed(0)
    model = reference_vae(20).to(train_x.device)
    fit(model, vae_loss_terms, train_x[:1024], epochs=1, bf16=True, progress=False)  # warm-up
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            fit(
                model,
                vae_loss_terms,
                train_x,
                epochs=1,
                batch_size=VAE_RECIPE.batch_size,
                bf16=True,
                progress=False,
            )
        finally:
            torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message).lower() for w in caught)


def full_epoch_seconds(train_x: torch.Tensor, epochs: int = 3) -> list[float]:
    """Seconds of each of `epochs` fit epochs over 60,000 images (after one warm-up epoch)."""
    repeats = -(-FULL_MNIST_TRAIN // len(train_x))
    images = train_x.repeat(repeats, *([1] * (train_x.dim() - 1)))[:FULL_MNIST_TRAIN]
    torch.manual_seed(VAE_RECIPE.seed)
    model = reference_vae(20).to(train_x.device)
    history = fit(
        model,
        vae_loss_terms,
        images,
        epochs=epochs + 1,
        batch_size=VAE_RECIPE.batch_size,
        lr=VAE_RECIPE.lr,
        bf16=True,
        progress=False,
    )
    return list(history.seconds[1:])


def main() -> None:
    """Run the three checks on CUDA, or explain why not."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-epochs", type=int, default=20, help="passed to time_to_quality")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print(
            "gpu_check: torch sees no CUDA GPU on this machine (torch.cuda.is_available() is "
            f"False; torch {torch.__version__}, built for CUDA {torch.version.cuda}). Nothing was "
            "run: this script only reports GPU figures. Run it on a machine with an NVIDIA GPU.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    device = torch.device("cuda")
    print(f"gpu_check on {torch.cuda.get_device_name(device)}, torch {torch.__version__}")
    train_x, _ = load_mnist("train", device=device, limit=VAE_RECIPE.train_limit)

    syncs = count_syncs(train_x)
    steps = -(-len(train_x) // VAE_RECIPE.batch_size)
    print(f"host synchronisations in one epoch of fit ({steps} steps): {syncs}")

    torch.manual_seed(VAE_RECIPE.seed)
    model = reference_vae(20).to(device)
    started = time.perf_counter()
    history = fit(
        model,
        vae_loss_terms,
        train_x,
        epochs=VAE_RECIPE.epochs,
        batch_size=VAE_RECIPE.batch_size,
        lr=VAE_RECIPE.lr,
        schedule=VAE_RECIPE.schedule,
        bf16=True,
        progress=False,
    )
    total = time.perf_counter() - started
    epoch_times = ", ".join(f"{s:.2f}" for s in history.seconds)
    print(f"reference recipe on cuda: {total:.1f} s for {history.epochs} epochs ({epoch_times} s)")
    print(f"final train -ELBO {history.train['loss'][-1]:.2f} nats per image")
    full = full_epoch_seconds(train_x)
    print(
        f"60,000-image epochs of the reference VAE (batch {VAE_RECIPE.batch_size}, bf16): "
        + ", ".join(f"{s:.3f}" for s in full)
        + f" s (target ≤ 0.5 s; {len(train_x):,} distinct images on disk)"
    )

    env = {**os.environ, "VAE_DEVICE": "cuda"}
    for command in (
        [sys.executable, str(BENCH / "data_pipeline.py"), "--epochs", "3"],
        [
            sys.executable,
            str(BENCH / "time_to_quality.py"),
            "--device",
            "cuda",
            "--seeds-epochs",
            str(args.seeds_epochs),
        ],
    ):
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
