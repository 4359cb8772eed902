"""settings reads the environment; device picks cuda → mps → cpu and honours VAE_DEVICE."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from vae_helpers import settings
from vae_helpers.device import get_device, has_native_bf16, seed_everything


def test_defaults_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("VAE_DATA_DIR", "VAE_CACHE_DIR", "VAE_FAST", "VAE_DEVICE", "VAE_STATIC_WIDGETS"):
        monkeypatch.delenv(name, raising=False)
    assert settings.data_dir() == Path.home() / ".cache" / "vae_course" / "data"
    assert settings.cache_dir() == Path.home() / ".cache" / "vae_course" / "checkpoints"
    assert settings.fast_mode() is False
    assert settings.device_override() is None
    assert settings.static_widgets_override() is None


def test_values_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VAE_CACHE_DIR", "~/somewhere")
    monkeypatch.setenv("VAE_DEVICE", " cpu ")
    assert settings.data_dir() == tmp_path / "data"
    assert settings.cache_dir() == Path.home() / "somewhere"
    assert settings.device_override() == "cpu"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("on", True),
        ("0", False),
        ("off", False),
        ("", False),
    ],
)
def test_fast_mode_words(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("VAE_FAST", value)
    assert settings.fast_mode() is expected


def test_static_widgets_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_STATIC_WIDGETS", "1")
    assert settings.static_widgets_override() is True
    monkeypatch.setenv("VAE_STATIC_WIDGETS", "no")
    assert settings.static_widgets_override() is False


def test_bad_flag_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_FAST", "maybe")
    with pytest.raises(ValueError, match=r"VAE_FAST='maybe' is not a yes/no value"):
        settings.fast_mode()


def test_device_auto_order() -> None:
    if torch.cuda.is_available():
        expected = "cuda"
    elif torch.backends.mps.is_available():
        expected = "mps"
    else:
        expected = "cpu"
    assert get_device().type == expected


def test_device_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("VAE_DEVICE", "meta")  # any device torch knows is accepted as given
    assert get_device() == torch.device("meta")


def test_device_override_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DEVICE", "banana")
    with pytest.raises(ValueError, match="VAE_DEVICE='banana' is not a device"):
        get_device()
    if not torch.cuda.is_available():
        monkeypatch.setenv("VAE_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="no CUDA GPU"):
            get_device()


def test_seed_everything_repeats_every_generator() -> None:
    def draw() -> tuple[float, float, torch.Tensor]:
        return random.random(), float(np.random.rand()), torch.rand(3)

    seed_everything(123)
    first = draw()
    seed_everything(123)
    second = draw()
    assert first[:2] == second[:2]
    assert torch.equal(first[2], second[2])
    seed_everything(124)
    assert draw()[0] != first[0]
    with pytest.raises(TypeError, match="seed must be an int"):
        seed_everything("42")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("avx512_bf16", "amx", "expected"),
    [(False, False, False), (True, False, True), (False, True, True)],
)
def test_native_bf16_on_the_cpu_follows_torchs_checks(
    monkeypatch: pytest.MonkeyPatch, avx512_bf16: bool, amx: bool, expected: bool
) -> None:
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16, raising=False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx, raising=False)
    assert has_native_bf16(torch.device("cpu")) is expected


def test_native_bf16_without_torchs_checks_or_on_other_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An older torch without the CPU probes means float32; MPS and meta never use bfloat16."""
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported", raising=False)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)
    assert has_native_bf16(torch.device("cpu")) is False
    assert has_native_bf16(torch.device("mps")) is False
    assert has_native_bf16(torch.device("meta")) is False


@pytest.mark.parametrize(("capability", "expected"), [((7, 5), False), ((8, 0), True)])
def test_native_bf16_on_cuda_needs_ampere(
    monkeypatch: pytest.MonkeyPatch, capability: tuple[int, int], expected: bool
) -> None:
    """A T4 (Colab's free GPU, 7.5) emulates bfloat16 matrix products; an A100 (8.0) has them."""
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert has_native_bf16(torch.device("cuda")) is expected
