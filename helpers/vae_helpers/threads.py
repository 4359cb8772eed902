"""How many CPU threads torch uses: the cores that are free, and one on a busy machine.

torch starts one worker thread per physical core. When other programs keep those cores busy
(a shared lab machine, a laptop compiling something, a grader running several notebooks), its
threads wait for each other at every operation, and a small model can train a hundred times
slower than with a single thread (bench/threads.py measures it). `vae_helpers.device` applies
this policy when it is imported; setting $OMP_NUM_THREADS (or calling torch.set_num_threads
yourself afterwards) overrides it.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

THREADS_VAR = "OMP_NUM_THREADS"
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
TAKEN_BELOW = 0.75  # a core whose load is at most this much is still counted as free


def usable_cpus() -> int:
    """CPUs this process may run on: its affinity mask, capped by a cgroup CPU quota if any."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no affinity masks
        cpus = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(cpus, quota) if quota else cpus)


def _cgroup_quota() -> int | None:
    """Whole CPUs allowed by a cgroup v2 quota (`cpu.max`), or None without a quota."""
    try:
        limit, period = CGROUP_CPU_MAX.read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if limit == "max":
        return None
    try:
        return max(1, math.floor(int(limit) / int(period)))
    except (ValueError, ZeroDivisionError):
        return None


def current_load() -> float:
    """The machine's one-minute load average (runnable processes), or 0 where there is none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows
        return 0.0


def chosen_threads(cpus: int, load: float) -> int:
    """The cores that other work leaves free, at least 1 and at most `cpus`.

    A core counts as taken once more than three quarters of it is busy: background noise (a
    load of 0.5 on an idle laptop) keeps every core, one busy program costs one.
    """
    if cpus < 1:
        raise ValueError(f"cpus must be at least 1, got {cpus}")
    free = math.floor(cpus - max(load, 0.0) + TAKEN_BELOW)
    return max(1, min(cpus, free))


def apply_thread_policy() -> int | None:
    """Set torch's thread count from the policy unless $OMP_NUM_THREADS is set; return it."""
    if os.environ.get(THREADS_VAR, "").strip():
        return None  # torch already follows it
    import torch

    threads = chosen_threads(usable_cpus(), current_load())
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads
