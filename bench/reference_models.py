"""Benchmark: seconds to train each reference model from an empty cache, and its test score.

Run from the repository root with MNIST under $VAE_DATA_DIR/MNIST/raw/, on a quiet machine:

    VAE_DATA_DIR=/path/to/data .venv/bin/python bench/reference_models.py [--threads 2] \
        [--json out.json]

In one process with a new, empty checkpoint cache it asks for the reference models in the order
notebook 04 does (VAE latent 20, VAE latent 2, autoencoder latent 2), then the ones notebook 05
adds (its β sweep: six latent-20 VAEs, 5 epochs each). Each row gives the wall-clock seconds of
the call (loading MNIST, training, scoring the test set once) and the test score the helpers
record. The totals per notebook are what a student waits for from a cold cache; 05 shares 04's
two VAEs through the cache, so "05 cold" counts them again as a student who opens 05 first would.
Budget (course issue): ≤ 60 s of reference-model training per notebook from cold on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch

BETAS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # notebook 05's sweep
SWEEP_EPOCHS = 5
BUDGET_S = 60.0


def timed(call: Callable[[], tuple[object, object]]) -> tuple[float, float]:
    """Seconds taken by `call` and the test loss of the History it returns."""
    started = time.perf_counter()
    _, history = call()
    return time.perf_counter() - started, float(history.test["loss"][-1])  # type: ignore[attr-defined]


def main() -> None:
    """Train every reference model from an empty cache; print a table and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as cache:
        os.environ["VAE_CACHE_DIR"] = cache
        from vae_helpers.pretrained import pretrained_autoencoder, pretrained_vae

        calls: list[tuple[str, str, Callable[[], tuple[object, object]]]] = [
            ("04 05", "VAE latent 20", lambda: pretrained_vae(20, progress=False)),
            ("04 05", "VAE latent 2", lambda: pretrained_vae(2, progress=False)),
            ("04", "autoencoder latent 2", lambda: pretrained_autoencoder(2, progress=False)),
        ]
        for beta in BETAS:
            calls.append(
                (
                    "05",
                    f"VAE latent 20, β={beta:g}, {SWEEP_EPOCHS} epochs",
                    partial(pretrained_vae, 20, beta=beta, epochs=SWEEP_EPOCHS, progress=False),
                )
            )
        rows: list[dict[str, Any]] = []
        load = os.getloadavg()[0]
        for notebooks, name, call in calls:
            seconds, score = timed(call)
            rows.append({"notebooks": notebooks, "model": name, "seconds": seconds, "test": score})
            print(
                f"{name:<36} {notebooks:<6} {seconds:6.1f} s   test {score:7.2f} nats", flush=True
            )
    totals = {
        nb: sum(row["seconds"] for row in rows if nb in str(row["notebooks"]))
        for nb in ("04", "05")
    }
    for nb, total in totals.items():
        verdict = "within" if total <= BUDGET_S else "over"
        print(
            f"notebook {nb} from an empty cache: {total:.1f} s "
            f"({verdict} the {BUDGET_S:.0f} s budget)"
        )
    print(
        f"torch threads {args.threads}, CPUs {os.cpu_count()}, load average {load:.2f} before, "
        f"{os.getloadavg()[0]:.2f} after"
    )
    if args.json:
        payload = {
            "benchmark": "reference_models",
            "python": platform.python_version(),
            "torch": torch.__version__,
            "threads": args.threads,
            "rows": rows,
            "totals": totals,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
