"""04_generation: the built hidden tests pass the key, catch each classic mistake, accept variants.

Every mutant below is a mistake students make; each must fail at least one hidden test. Every
variant is a correct answer written differently; each must pass all tests, public and hidden.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

from tests.otter_support import (
    check_blank_fails_public,
    check_expected_questions,
    check_key_passes,
    check_mutant_caught,
    check_variant_passes,
    key_namespace,
    run_key_notebook,
)

ASSIGNMENT = "04_generation"
AUTO_GRADED = {"q1", "q3", "q4", "q5", "q6", "q7"}


def _device(model: nn.Module) -> torch.device:
    """Device of a model's first parameter."""
    return next(model.parameters()).device


def _line(z_start, z_end, steps):
    """A correct straight-line path, used inside slerp mutants."""
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (1 - t) * z_start + t * z_end


# ---------------------------------------------------------------- mutants: sample_prior (q1)


def sp_temperature_on_image(model, n, temperature=1.0):
    """Temperature applied to the decoded images instead of the codes."""
    with torch.no_grad():
        z = torch.randn(n, model.latent_dim, device=_device(model))
        return (model.decode(z) * temperature).clamp(0, 1)


def sp_temperature_as_exponent(model, n, temperature=1.0):
    """'Sharpens' the pixels with a power of the temperature."""
    with torch.no_grad():
        z = torch.randn(n, model.latent_dim, device=_device(model))
        return model.decode(z) ** (1 / max(temperature, 1e-3))


def sp_temperature_is_variance(model, n, temperature=1.0):
    """Multiplies z by temperature squared (variance confused with standard deviation)."""
    with torch.no_grad():
        return model.decode(temperature**2 * torch.randn(n, model.latent_dim))


def sp_divides(model, n, temperature=1.0):
    """Divides the codes by the temperature (a softmax-temperature habit)."""
    with torch.no_grad():
        return model.decode(torch.randn(n, model.latent_dim) / max(temperature, 1e-3))


def sp_ignores_temperature(model, n, temperature=1.0):
    """Never uses the temperature."""
    with torch.no_grad():
        return model.decode(torch.randn(n, model.latent_dim))


def sp_uniform_codes(model, n, temperature=1.0):
    """Codes from U(0, 1) (torch.rand) instead of N(0, 1)."""
    with torch.no_grad():
        return model.decode(temperature * torch.rand(n, model.latent_dim))


def sp_reseeded(model, n, temperature=1.0):
    """Seeds inside: every call returns the same samples."""
    torch.manual_seed(0)
    with torch.no_grad():
        return model.decode(temperature * torch.randn(n, model.latent_dim))


def sp_hard_coded_20(model, n, temperature=1.0):
    """Assumes the reference model's 20 latent dimensions."""
    with torch.no_grad():
        return model.decode(temperature * torch.randn(n, 20))


def sp_binarised(model, n, temperature=1.0):
    """Returns sampled binary pixels instead of the decoder's probabilities."""
    with torch.no_grad():
        return torch.bernoulli(model.decode(temperature * torch.randn(n, model.latent_dim)))


# ---------------------------------------------------------------- mutants: interpolate (q3)


def lerp_missing_end(z_start, z_end, steps):
    """t = i / steps: the last point falls short of z_end."""
    t = torch.arange(steps, dtype=z_start.dtype).unsqueeze(1) / steps
    return (1 - t) * z_start + t * z_end


def lerp_missing_start(z_start, z_end, steps):
    """linspace with one step too many, first point dropped."""
    t = torch.linspace(0, 1, steps + 1)[1:].unsqueeze(1)
    return (1 - t) * z_start + t * z_end


def lerp_reversed(z_start, z_end, steps):
    """Runs from z_end to z_start."""
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return t * z_start + (1 - t) * z_end


def lerp_uneven(z_start, z_end, steps):
    """Ease-in spacing t**2 instead of evenly spaced t."""
    t = torch.linspace(0, 1, steps).unsqueeze(1) ** 2
    return (1 - t) * z_start + t * z_end


# ---------------------------------------------------------------- mutants: slerp (q4)


def slerp_is_linear(z_start, z_end, steps):
    """Just the straight line."""
    return _line(z_start, z_end, steps)


def slerp_unnormalised_angle(z_start, z_end, steps):
    """cos(Omega) from the raw dot product, without dividing by the norms."""
    omega = torch.acos(torch.dot(z_start, z_end).clamp(-1, 1))
    if omega < 1e-4:
        return _line(z_start, z_end, steps)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega)


def slerp_no_fallback(z_start, z_end, steps):
    """No special case for parallel vectors: 0 / 0 there."""
    cos = torch.dot(z_start / z_start.norm(), z_end / z_end.norm()).clamp(-1, 1)
    omega = torch.acos(cos)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega)


def slerp_unit_directions(z_start, z_end, steps):
    """Interpolates the unit directions and forgets the lengths."""
    a, b = z_start / z_start.norm(), z_end / z_end.norm()
    omega = torch.acos(torch.dot(a, b).clamp(-1, 1))
    if omega < 1e-4:
        return _line(a, b, steps)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def slerp_swapped_weights(z_start, z_end, steps):
    """The two sine weights swapped: runs backwards."""
    cos = torch.dot(z_start / z_start.norm(), z_end / z_end.norm()).clamp(-1, 1)
    omega = torch.acos(cos)
    if omega < 1e-4:
        return _line(z_start, z_end, steps)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    return (torch.sin(t * omega) * z_start + torch.sin((1 - t) * omega) * z_end) / torch.sin(omega)


def slerp_missing_end(z_start, z_end, steps):
    """t = i / steps: never reaches z_end."""
    cos = torch.dot(z_start / z_start.norm(), z_end / z_end.norm()).clamp(-1, 1)
    omega = torch.acos(cos)
    t = torch.arange(steps, dtype=torch.float32).unsqueeze(1) / steps
    if omega < 1e-4:
        return (1 - t) * z_start + t * z_end
    return (torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega)


def slerp_normalised_linear(z_start, z_end, steps):
    """'nlerp': the straight line rescaled to the start's length; not constant angular speed."""
    path = _line(z_start, z_end, steps)
    return path / path.norm(dim=1, keepdim=True) * z_start.norm()


# ---------------------------------------------------------------- mutants: CVAE (q6)


class RefCVAE(nn.Module):
    """A correct CVAE written with nn.Sequential; the mutants override one method each."""

    def __init__(self, latent_dim=2, num_classes=10):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.enc = nn.Sequential(nn.Linear(784 + num_classes, 64), nn.ReLU())
        self.heads = nn.Linear(64, 2 * latent_dim)
        self.dec = nn.Sequential(
            nn.Linear(latent_dim + num_classes, 64), nn.ReLU(), nn.Linear(64, 784)
        )

    def labels(self, y):
        return F.one_hot(y.long(), self.num_classes).float()

    def encode(self, x, y):
        h = self.enc(torch.cat([x.flatten(1), self.labels(y)], 1))
        mu, logvar = self.heads(h).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z, y):
        return torch.sigmoid(self.dec(torch.cat([z, self.labels(y)], 1)))

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z, y), mu, logvar

    def generate(self, digit, n):
        with torch.no_grad():
            z = torch.randn(n, self.latent_dim, device=_device(self))
            return self.decode(z, torch.full((n,), digit, device=_device(self)))


class CVAEDecoderIgnoresLabel(RefCVAE):
    """The decoder gets zeros where the label should be."""

    def decode(self, z, y):
        return torch.sigmoid(self.dec(torch.cat([z, torch.zeros_like(self.labels(y))], 1)))


class CVAEEncoderIgnoresLabel(RefCVAE):
    """The encoder gets zeros where the label should be."""

    def encode(self, x, y):
        h = self.enc(torch.cat([x.flatten(1), torch.zeros_like(self.labels(y))], 1))
        return self.heads(h).chunk(2, dim=1)


class CVAEOneHotByBatch(RefCVAE):
    """F.one_hot without num_classes: the width follows the largest label in the batch."""

    def labels(self, y):
        return F.one_hot(y.long()).float()


class CVAENoReparameterization(RefCVAE):
    """Samples z with .sample(): no gradient reaches the encoder through the decoder."""

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = Normal(mu, torch.exp(0.5 * logvar)).sample()
        return self.decode(z, y), mu, logvar


class CVAELogits(RefCVAE):
    """The decoder returns logits, not probabilities."""

    def decode(self, z, y):
        return self.dec(torch.cat([z, self.labels(y)], 1))


class CVAEGenerateIgnoresDigit(RefCVAE):
    """generate() always decodes with label 0."""

    def generate(self, digit, n):
        with torch.no_grad():
            return self.decode(torch.randn(n, self.latent_dim), torch.zeros(n, dtype=torch.long))


class CVAEGenerateOneCode(RefCVAE):
    """generate() decodes n copies of a single code."""

    def generate(self, digit, n):
        with torch.no_grad():
            z = torch.randn(1, self.latent_dim).expand(n, -1)
            return self.decode(z, torch.full((n,), digit))


class CVAEGenerateFromMean(RefCVAE):
    """generate() decodes the origin only: no sampling at all."""

    def generate(self, digit, n):
        with torch.no_grad():
            return self.decode(torch.zeros(n, self.latent_dim), torch.full((n,), digit))


class CVAEFlattenMissing(RefCVAE):
    """Assumes x is already (B, 784): fails on (B, 1, 28, 28) batches."""

    def encode(self, x, y):
        h = self.enc(torch.cat([x, self.labels(y)], 1))
        return self.heads(h).chunk(2, dim=1)


MUTANTS: dict[str, tuple[str, str, Any]] = {
    "sp_temperature_on_image": ("q1", "sample_prior", sp_temperature_on_image),
    "sp_temperature_as_exponent": ("q1", "sample_prior", sp_temperature_as_exponent),
    "sp_temperature_is_variance": ("q1", "sample_prior", sp_temperature_is_variance),
    "sp_divides": ("q1", "sample_prior", sp_divides),
    "sp_ignores_temperature": ("q1", "sample_prior", sp_ignores_temperature),
    "sp_uniform_codes": ("q1", "sample_prior", sp_uniform_codes),
    "sp_reseeded": ("q1", "sample_prior", sp_reseeded),
    "sp_hard_coded_20": ("q1", "sample_prior", sp_hard_coded_20),
    "sp_binarised": ("q1", "sample_prior", sp_binarised),
    "lerp_missing_end": ("q3", "interpolate", lerp_missing_end),
    "lerp_missing_start": ("q3", "interpolate", lerp_missing_start),
    "lerp_reversed": ("q3", "interpolate", lerp_reversed),
    "lerp_uneven": ("q3", "interpolate", lerp_uneven),
    "slerp_is_linear": ("q4", "slerp", slerp_is_linear),
    "slerp_unnormalised_angle": ("q4", "slerp", slerp_unnormalised_angle),
    "slerp_no_fallback": ("q4", "slerp", slerp_no_fallback),
    "slerp_unit_directions": ("q4", "slerp", slerp_unit_directions),
    "slerp_swapped_weights": ("q4", "slerp", slerp_swapped_weights),
    "slerp_missing_end": ("q4", "slerp", slerp_missing_end),
    "slerp_normalised_linear": ("q4", "slerp", slerp_normalised_linear),
    "cvae_decoder_ignores_label": ("q6", "CVAE", CVAEDecoderIgnoresLabel),
    "cvae_encoder_ignores_label": ("q6", "CVAE", CVAEEncoderIgnoresLabel),
    "cvae_one_hot_by_batch": ("q6", "CVAE", CVAEOneHotByBatch),
    "cvae_no_reparameterization": ("q6", "CVAE", CVAENoReparameterization),
    "cvae_logits": ("q6", "CVAE", CVAELogits),
    "cvae_generate_ignores_digit": ("q6", "CVAE", CVAEGenerateIgnoresDigit),
    "cvae_generate_one_code": ("q6", "CVAE", CVAEGenerateOneCode),
    "cvae_generate_from_mean": ("q6", "CVAE", CVAEGenerateFromMean),
    "cvae_flatten_missing": ("q6", "CVAE", CVAEFlattenMissing),
    "q5_density_on_shell": ("q5", "q5_answer", "d"),
    "q5_cheaper": ("q5", "q5_answer", "a"),
    "q7_label_ignored": ("q7", "q7_answer", "a"),
    "q7_unrelated": ("q7", "q7_answer", "c"),
}

# ---------------------------------------------------------------- variants (correct, different)


def sp_distributions(model, n, temperature=1.0):
    """torch.distributions with a scale of temperature (positive temperatures only)."""
    z = Normal(0.0, temperature).sample((n, model.latent_dim))
    with torch.no_grad():
        return model.decode(z.to(_device(model)))


def sp_one_at_a_time(model, n, temperature=1.0):
    """A loop decoding one code per call, without torch.no_grad (detached at the end)."""
    size = (1, model.latent_dim)
    images = [model.decode(torch.normal(0.0, temperature, size=size)) for _ in range(n)]
    return torch.cat(images).detach()


def lerp_torch_lerp(z_start, z_end, steps):
    """torch.lerp with a column of weights."""
    weights = torch.linspace(0, 1, steps).unsqueeze(-1)
    return torch.lerp(z_start.expand(steps, -1), z_end.expand(steps, -1), weights)


def lerp_loop(z_start, z_end, steps):
    """A Python loop, start + t * (end - start)."""
    return torch.stack([z_start + (i / (steps - 1)) * (z_end - z_start) for i in range(steps)])


def slerp_numpy_float64(z_start, z_end, steps):
    """NumPy in float64 with a sine-based fallback test, converted back to a tensor."""
    a, b = z_start.numpy().astype(np.float64), z_end.numpy().astype(np.float64)
    cos = np.clip(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)), -1.0, 1.0)
    omega = np.arccos(cos)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    if np.sin(omega) < 1e-8:
        path = (1 - t) * a + t * b
    else:
        path = (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)
    return torch.from_numpy(path).to(z_start.dtype)


def slerp_atan2_loop(z_start, z_end, steps):
    """Angle from atan2(|a x b|, a . b), one point per loop iteration."""
    a, b = z_start / z_start.norm(), z_end / z_end.norm()
    sin_omega = torch.sqrt(torch.clamp(1 - torch.dot(a, b) ** 2, min=0.0))
    omega = torch.atan2(sin_omega, torch.dot(a, b))
    points = []
    for i in range(steps):
        t = i / (steps - 1)
        if float(omega) < 1e-6:
            points.append((1 - t) * z_start + t * z_end)
        else:
            s = torch.sin(omega)
            w_start, w_end = torch.sin((1 - t) * omega) / s, torch.sin(t * omega) / s
            points.append(w_start * z_start + w_end * z_end)
    return torch.stack(points)


class CVAEEmbedding(nn.Module):
    """Labels through nn.Embedding (equivalent to one-hot times a matrix), torch.distributions."""

    def __init__(self, latent_dim=2, num_classes=10):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.enc_label = nn.Embedding(num_classes, 32)
        self.dec_label = nn.Embedding(num_classes, 32)
        self.encoder = nn.Sequential(
            nn.Linear(784 + 32, 128), nn.Tanh(), nn.Linear(128, 2 * latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim + 32, 128), nn.Tanh(), nn.Linear(128, 784)
        )

    def encode(self, x, y):
        out = self.encoder(torch.cat([x.reshape(len(x), -1), self.enc_label(y)], dim=-1))
        return out[:, : self.latent_dim], out[:, self.latent_dim :]

    def decode(self, z, y):
        return torch.sigmoid(self.decoder(torch.cat([z, self.dec_label(y)], dim=-1)))

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        z = Normal(mu, torch.exp(0.5 * logvar)).rsample()
        return self.decode(z, y), mu, logvar

    @torch.no_grad()
    def generate(self, digit, n):
        z = torch.randn(n, self.latent_dim)
        return self.decode(z, torch.tensor([digit] * n))


class CVAESeparateOneHot(RefCVAE):
    """One-hot vectors built with scatter_ instead of F.one_hot."""

    def labels(self, y):
        out = torch.zeros(len(y), self.num_classes)
        return out.scatter_(1, y.long().unsqueeze(1), 1.0)


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "sp_distributions": ("q1", "sample_prior", sp_distributions),
    "sp_one_at_a_time": ("q1", "sample_prior", sp_one_at_a_time),
    "lerp_torch_lerp": ("q3", "interpolate", lerp_torch_lerp),
    "lerp_loop": ("q3", "interpolate", lerp_loop),
    "slerp_numpy_float64": ("q4", "slerp", slerp_numpy_float64),
    "slerp_atan2_loop": ("q4", "slerp", slerp_atan2_loop),
    "cvae_sequential": ("q6", "CVAE", RefCVAE),
    "cvae_embedding": ("q6", "CVAE", CVAEEmbedding),
    "cvae_scatter_one_hot": ("q6", "CVAE", CVAESeparateOneHot),
    "q5_upper_case": ("q5", "q5_answer", "B"),
    "q7_padded": ("q7", "q7_answer", " b "),
}

# ---------------------------------------------------------------- tests


def test_auto_graded_questions_are_the_expected_ones() -> None:
    check_expected_questions(ASSIGNMENT, AUTO_GRADED)


@pytest.mark.parametrize("question", sorted(AUTO_GRADED))
def test_key_passes_every_case(question: str) -> None:
    check_key_passes(ASSIGNMENT, question)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_hidden_tests_catch_mutant(mutant: str) -> None:
    question, name, value = MUTANTS[mutant]
    check_mutant_caught(ASSIGNMENT, question, {name: value}, mutant)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_correct_variant_passes(variant: str) -> None:
    question, name, value = VARIANTS[variant]
    check_variant_passes(ASSIGNMENT, [question], {name: value})


def test_missing_answers_fail_public_checks() -> None:
    check_blank_fails_public(ASSIGNMENT, AUTO_GRADED)


def test_slerp_key_keeps_prior_lengths() -> None:
    """The reason slerp is taught: between prior samples it keeps typical lengths, lerp does not."""
    namespace = key_namespace(ASSIGNMENT)
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(2, 20, generator=generator)
    middle_line = namespace["interpolate"](z[0], z[1], 3)[1].norm()
    middle_slerp = namespace["slerp"](z[0], z[1], 3)[1].norm()
    assert middle_line < 0.85 * math.sqrt(20) < middle_slerp


@pytest.mark.slow
def test_key_notebook_runs_top_to_bottom_in_fast_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_key_notebook(ASSIGNMENT, tmp_path, monkeypatch)
