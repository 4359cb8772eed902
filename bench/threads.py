"""Benchmark: torch's default CPU threads against the course's thread policy, idle and busy.

Run from the repository root (no MNIST needed: the images are random binary pixels):

    .venv/bin/python bench/threads.py [--steps 300] [--json out.json]

What it measures: wall-clock seconds for a fixed amount of training (``--steps`` Adam steps of the
784-400-20 MLP VAE, batch 128, the notebooks' model and loss), each in a fresh process, with

* ``default``: torch's own choice (one thread per physical core), as a notebook had it before;
* ``policy``: ``vae_helpers.threads`` (the free cores, rounded; one thread on a busy machine);
* ``1 thread``: for reference.

Each is timed twice: with the machine as it is ("idle": run it on a quiet machine), and while
``--hogs`` busy processes (default: one per usable CPU) keep every core loaded. Before the busy
runs the script waits until the 1-minute load average has risen to the hogs' count (the policy
reads it when ``vae_helpers.device`` is imported), at most ``--settle`` seconds. The table gives
each run's seconds, the threads it used, and the load average it saw.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vae_helpers.threads import usable_cpus

CHILD = r"""
import json, os, sys, time
import torch
torch_default = torch.get_num_threads()  # before vae_helpers.device applies the policy
mode, steps = sys.argv[1], int(sys.argv[2])
from vae_helpers.models import MLPVAE, vae_loss_terms
from vae_helpers.training import default_optimizer
if mode == "default":
    torch.set_num_threads(torch_default)
elif mode == "1 thread":
    torch.set_num_threads(1)
torch.manual_seed(0)
model = MLPVAE(latent_dim=20)
optimizer = default_optimizer(model, lr=1e-3)
x = (torch.rand(128 * 8, 784) < 0.3).float()
def step(i):
    terms = vae_loss_terms(model, x[(i % 8) * 128:(i % 8 + 1) * 128])
    loss = terms["loss"]
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
for i in range(10):
    step(i)
started = time.perf_counter()
for i in range(steps):
    step(i)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "threads": torch.get_num_threads(),
                  "load": os.getloadavg()[0]}))
"""


def _hog() -> None:
    """Keep one core busy until killed."""
    while True:
        pass


def run_child(mode: str, steps: int, timeout: float) -> dict[str, Any]:
    """Time one mode in a fresh interpreter (clean thread pools); None fields on a time-out."""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(steps)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": None, "threads": None, "load": os.getloadavg()[0]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_for_load(target: float, settle: float) -> float:
    """Wait until the 1-minute load average reaches `target` (at most `settle` s); return it."""
    deadline = time.monotonic() + settle
    while os.getloadavg()[0] < target and time.monotonic() < deadline:
        time.sleep(2)
    return os.getloadavg()[0]


def main() -> None:
    """Run the table and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="timed Adam steps per run")
    parser.add_argument("--hogs", type=int, default=usable_cpus(), help="busy processes")
    parser.add_argument("--settle", type=float, default=90.0, help="max seconds to wait for load")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before giving up")
    parser.add_argument("--json", type=Path, help="save the results here")
    args = parser.parse_args()

    modes = ["default", "policy", "1 thread"]
    rows: list[dict[str, Any]] = []
    print(f"{platform.processor() or platform.machine()}, {usable_cpus()} usable CPUs")
    print(f"idle: load average {os.getloadavg()[0]:.2f} at the start")
    for mode in modes:
        rows.append({"machine": "idle", "mode": mode, **run_child(mode, args.steps, args.timeout)})
    hogs = [multiprocessing.Process(target=_hog, daemon=True) for _ in range(args.hogs)]
    for hog in hogs:
        hog.start()
    try:
        load = wait_for_load(0.9 * args.hogs, args.settle)
        print(f"busy: {args.hogs} busy processes, load average {load:.2f}")
        for mode in modes:
            result = run_child(mode, args.steps, args.timeout)
            rows.append({"machine": "busy", "mode": mode, **result})
    finally:
        for hog in hogs:
            hog.kill()

    print(f"\n{args.steps} Adam steps of the 784-400-20 VAE, batch 128 (wall seconds)")
    print(f"{'machine':8} {'threads':18} {'seconds':>9} {'used':>5} {'load':>6}")
    for row in rows:
        seconds = "timeout" if row["seconds"] is None else f"{row['seconds']:.2f}"
        used = "?" if row["threads"] is None else str(row["threads"])
        print(f"{row['machine']:8} {row['mode']:18} {seconds:>9} {used:>5} {row['load']:6.2f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
