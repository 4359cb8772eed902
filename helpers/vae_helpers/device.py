"""Choosing the compute device and seeding every random number generator.

Importing this module also sets torch's CPU thread count (`vae_helpers.threads`): every notebook
imports it first, and a busy machine would otherwise slow training down many times.
"""

from __future__ import annotations

import random

import numpy as np
import torch

from vae_helpers import settings
from vae_helpers.threads import apply_thread_policy

apply_thread_policy()  # the one thing done at import: $OMP_NUM_THREADS overrides it


def _mps_available() -> bool:
    """True when Apple's Metal backend exists in this torch build and can be used."""
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def get_device() -> torch.device:
    """$VAE_DEVICE if set, otherwise the first of cuda, mps, cpu that works here."""
    override = settings.device_override()
    if override is not None:
        try:
            device = torch.device(override)
        except (RuntimeError, ValueError) as err:
            raise ValueError(
                f"{settings.DEVICE_VAR}={override!r} is not a device torch knows: "
                "use cpu, cuda, cuda:N or mps, or unset it to choose automatically"
            ) from err
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(
                f"{settings.DEVICE_VAR}={override!r} asks for CUDA, but torch sees no CUDA GPU: "
                f"set {settings.DEVICE_VAR}=cpu or unset it"
            )
        if device.type == "mps" and not _mps_available():
            raise RuntimeError(
                f"{settings.DEVICE_VAR}={override!r} asks for Apple's MPS, which is not available "
                f"here: set {settings.DEVICE_VAR}=cpu or unset it"
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def resolve_device(device: torch.device | str | None) -> torch.device:
    """`device` as a torch.device, or get_device() when it is None."""
    return get_device() if device is None else torch.device(device)


def has_native_bf16(device: torch.device) -> bool:
    """True when `device` multiplies bfloat16 matrices in hardware (Ampere+ GPU, AVX512-BF16 CPU).

    Elsewhere bfloat16 is emulated and slower than float32, so fit's `bf16=True` is ignored there.
    """
    if device.type == "cuda":
        return torch.cuda.get_device_capability(device) >= (8, 0)
    if device.type == "cpu":
        cpu = getattr(torch, "cpu", None)
        probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")  # torch's own CPU checks
        return any(bool(getattr(cpu, probe, lambda: False)()) for probe in probes)
    return False


def seed_everything(seed: int) -> None:
    """Seed Python's random, numpy and torch (all CUDA devices too) with `seed`."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed_everything: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device when CUDA is present
