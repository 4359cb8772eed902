"""GPU check: the helpers' CUDA path (resident data, bf16 autocast, CUDA graphs, no per-step sync).

Run from the repository root on a machine with an NVIDIA GPU (MNIST under $VAE_DATA_DIR):

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/gpu_check.py [--seeds-epochs 20] [--quick]

What it does, on ``cuda``:

1. counts the host synchronisations in one epoch of ``fit`` (sync debug mode, warnings counted,
   each printed with its source line), eager and with ``cuda_graph=True``;
2. trains the reference VAE with its recipe (``VAE_RECIPE``) three ways (eager bf16, CUDA graph
   bf16, CUDA graph float32), printing per-epoch seconds, the train loss history's largest
   difference from the eager run, and the test -ELBO of each: the graph must not change what
   fit computes beyond float noise;
3. times epochs of 60,000 images (the full MNIST training-set size; where fewer images are on
   disk they are repeated to that count, which changes nothing in the arithmetic), target
   ≤ 0.5 s, for the same three ways;
4. trains ``pretrained_vae(20)`` from an empty cache (what notebooks 04 and 05 do first);
5. runs ``bench/time_to_quality.py --device cuda`` (seconds to 120/115/110/105 nats, seeds vs
   course) and, unless ``--quick``, ``bench/data_pipeline.py`` (images/s).

On a machine without a CUDA GPU it prints why and exits with status 2 (it never falls back to
the CPU, so no CPU figure can be mistaken for a GPU one).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import torch

from vae_helpers.data import load_mnist
from vae_helpers.models import vae_loss_terms
from vae_helpers.pretrained import VAE_RECIPE, reference_vae
from vae_helpers.training import History, evaluate, fit

BENCH = Path(__file__).resolve().parent
FULL_MNIST_TRAIN = 60_000
WAYS = {"eager, bf16": (False, True), "graph, bf16": (True, True), "graph, fp32": (True, False)}


def count_syncs(train_x: torch.Tensor, cuda_graph: bool) -> int:
    """Host synchronisations during one epoch of fit on CUDA (after a warm-up epoch)."""
    torch.manual_seed(0)
    model = reference_vae(20).to(train_x.device)
    fit(model, vae_loss_terms, train_x[:1024], epochs=1, bf16=True, progress=False)
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
                cuda_graph=cuda_graph,
                progress=False,
            )
        finally:
            torch.cuda.set_sync_debug_mode("default")
    for warning in caught:
        if "synchroniz" not in str(warning.message).lower():
            print(f"    warning: {str(warning.message)[:300]}")
    syncs = [w for w in caught if "synchroniz" in str(w.message).lower()]
    for warning in syncs:
        print(f"    sync at {warning.filename}:{warning.lineno}: {str(warning.message)[:90]}")
    return len(syncs)


def train_reference(
    train_x: torch.Tensor, *, cuda_graph: bool, bf16: bool, epochs: int | None = None
) -> tuple[torch.nn.Module, History]:
    """The reference VAE trained with VAE_RECIPE (seeded), as pretrained_vae does."""
    torch.manual_seed(VAE_RECIPE.seed)
    model = reference_vae(20).to(train_x.device)
    history = fit(
        model,
        vae_loss_terms,
        train_x,
        epochs=epochs or VAE_RECIPE.epochs,
        batch_size=VAE_RECIPE.batch_size,
        lr=VAE_RECIPE.lr,
        schedule=VAE_RECIPE.schedule,
        betas=VAE_RECIPE.betas,
        seed=VAE_RECIPE.seed,
        bf16=bf16,
        cuda_graph=cuda_graph,
        progress=False,
    )
    return model, history


def full_epoch_images(train_x: torch.Tensor) -> torch.Tensor:
    """60,000 training images: the ones on disk, repeated to that count where there are fewer."""
    repeats = -(-FULL_MNIST_TRAIN // len(train_x))
    return train_x.repeat(repeats, *([1] * (train_x.dim() - 1)))[:FULL_MNIST_TRAIN]


def main() -> None:
    """Run the checks on CUDA, or explain why not."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds-epochs", type=int, default=20, help="passed to time_to_quality")
    parser.add_argument("--quick", action="store_true", help="skip data_pipeline.py")
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
    test_x, _ = load_mnist("test", device=device)
    steps = -(-len(train_x) // VAE_RECIPE.batch_size)

    print(f"\n1. host synchronisations in one epoch of fit ({steps} steps)")
    for cuda_graph in (False, True):
        print(f"  cuda_graph={cuda_graph}: {count_syncs(train_x, cuda_graph)}")

    print(f"\n2. reference recipe ({VAE_RECIPE.epochs} epochs of {len(train_x):,} images)")
    eager_loss: list[float] = []
    for name, (cuda_graph, bf16) in WAYS.items():
        model, history = train_reference(train_x, cuda_graph=cuda_graph, bf16=bf16)
        losses = history.train["loss"]
        eager_loss = eager_loss or losses
        gap = max(abs(a - b) for a, b in zip(losses, eager_loss, strict=True))
        test = evaluate(model, vae_loss_terms, test_x)["loss"]
        print(
            f"  {name}: {sum(history.seconds):5.2f} s, epochs "
            + " ".join(f"{s:.2f}" for s in history.seconds)
            + "\n      train loss by epoch "
            + " ".join(f"{v:.2f}" for v in losses)
            + f"\n      largest difference from eager: {gap:.3f} nats; test -ELBO {test:.2f}"
        )

    print("\n3. epochs of 60,000 images (target ≤ 0.5 s)")
    images = full_epoch_images(train_x)
    for name, (cuda_graph, bf16) in WAYS.items():
        _, history = train_reference(images, cuda_graph=cuda_graph, bf16=bf16, epochs=4)
        print(f"  {name}: " + ", ".join(f"{s:.3f}" for s in history.seconds[1:]) + " s")

    print("\n4. pretrained_vae(20) from an empty cache")
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "VAE_CACHE_DIR": cache, "VAE_DEVICE": "cuda"}
        code = (
            "import time; t = time.perf_counter()\n"
            "from vae_helpers.pretrained import pretrained_vae\n"
            "_, h = pretrained_vae(20, progress=False)\n"
            "print(f'  {time.perf_counter() - t:.1f} s (import, load, train, score); "
            'training {sum(h.seconds):.1f} s; test -ELBO {h.test["loss"][-1]:.2f}\')'
        )
        subprocess.run([sys.executable, "-c", code], env=env, check=True)

    env = {**os.environ, "VAE_DEVICE": "cuda"}
    commands = [
        [
            sys.executable,
            str(BENCH / "time_to_quality.py"),
            "--device",
            "cuda",
            "--seeds-epochs",
            str(args.seeds_epochs),
        ]
    ]
    if not args.quick:
        commands.append([sys.executable, str(BENCH / "data_pipeline.py"), "--epochs", "3"])
    for command in commands:
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
