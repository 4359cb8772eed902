"""04_generation: the trusted hidden tests give the key full marks, charge each classic mistake to
its own question only, accept correct variants, and give guesses nothing.

Every mutant below is a mistake students make; each must lose points on its own question and on
no other. `interpolate` is given in the notebook (not graded); slerp may fall back to it, so an
edited `interpolate` must not cost `slerp` points. Every variant is a correct answer written
differently; each must keep every point.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Categorical, Normal

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import (
    check_variant_full_marks,
    hidden_feedback,
    key_namespace,
    with_answers,
)

ASSIGNMENT = "04_generation"
AUTO_GRADED = {"q1", "q4", "q5", "q6", "q7", "q9"}


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


def sp_with_gradients(model, n, temperature=1.0):
    """Right images, but decoded with gradients enabled: they come back attached to a graph."""
    return model.decode(temperature * torch.randn(n, model.latent_dim, device=_device(model)))


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


def sp_fixed_unit_noise(model, n, temperature=1.0):
    """Codes of a constant length: the unit direction of eps times the temperature."""
    with torch.no_grad():
        eps = torch.randn(n, model.latent_dim)
        return model.decode(temperature * eps / eps.norm(dim=1, keepdim=True))


# ---------------------------------------------------------------- an edited interpolate


def lerp_missing_end(z_start, z_end, steps):
    """The given interpolate edited into a bug: t = i / steps falls short of z_end."""
    t = torch.arange(steps, dtype=z_start.dtype).unsqueeze(1) / steps
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


class CVAEGenerateNextLabel(RefCVAE):
    """generate() decodes with the label (digit + 1) % 10: an off-by-one in the label."""

    def generate(self, digit, n):
        with torch.no_grad():
            z = torch.randn(n, self.latent_dim, device=_device(self))
            return self.decode(z, torch.full((n,), (digit + 1) % 10, device=_device(self)))


class CVAEGenerateWithGrad(RefCVAE):
    """generate() without torch.no_grad(): the images carry a graph."""

    def generate(self, digit, n):
        z = torch.randn(n, self.latent_dim, device=_device(self))
        return self.decode(z, torch.full((n,), digit, device=_device(self)))


class CVAEGenerateReseeds(RefCVAE):
    """generate() seeds the generator inside: every call returns the same images."""

    def generate(self, digit, n):
        torch.manual_seed(0)
        return super().generate(digit, n)


class CVAEForwardUsesMean(RefCVAE):
    """forward() decodes mu itself: no sampling, so nothing is learned about the spread."""

    def forward(self, x, y):
        mu, logvar = self.encode(x, y)
        return self.decode(mu, y), mu, logvar


# ---------------------------------------------------------------- mutants: sample_quality (q9)


def _entropy(shares):
    """Entropy in nats of a histogram, absent labels left out."""
    shares = shares[shares > 0]
    return -(shares * shares.log()).sum()


def sq_entropy_of_mean_softmax(images, classifier):
    """Entropy of the mean softmax instead of the label histogram."""
    with torch.no_grad():
        probs = torch.softmax(classifier(images), dim=1)
    return {"confidence": probs.max(1).values.mean(), "label_entropy": _entropy(probs.mean(0))}


def sq_log2(images, classifier):
    """Entropy in bits (log2) instead of nats."""
    with torch.no_grad():
        probs = torch.softmax(classifier(images), dim=1)
    shares = torch.bincount(probs.argmax(1), minlength=10) / len(images)
    shares = shares[shares > 0]
    return {
        "confidence": probs.max(1).values.mean(),
        "label_entropy": -(shares * shares.log2()).sum(),
    }


def sq_confidence_mean_logit(images, classifier):
    """Confidence as the mean logit."""
    with torch.no_grad():
        logits = classifier(images)
    shares = torch.bincount(logits.argmax(1), minlength=10) / len(images)
    return {"confidence": logits.mean(), "label_entropy": _entropy(shares)}


def sq_no_softmax(images, classifier):
    """Forgets the softmax: the mean of the largest logit."""
    with torch.no_grad():
        logits = classifier(images)
    shares = torch.bincount(logits.argmax(1), minlength=10) / len(images)
    return {"confidence": logits.max(1).values.mean(), "label_entropy": _entropy(shares)}


def sq_top_of_mean(images, classifier):
    """The largest entry of the mean probabilities, not the mean of each image's largest."""
    with torch.no_grad():
        probs = torch.softmax(classifier(images), dim=1)
    shares = torch.bincount(probs.argmax(1), minlength=10) / len(images)
    return {"confidence": probs.mean(0).max(), "label_entropy": _entropy(shares)}


def sq_mean_of_batch_means(images, classifier):
    """Averages per-batch confidences: the short last batch weighs too much."""
    confidences, counts = [], torch.zeros(10)
    with torch.no_grad():
        for batch in images.split(256):
            probs = torch.softmax(classifier(batch), dim=1)
            confidences.append(probs.max(1).values.mean())
            counts += torch.bincount(probs.argmax(1), minlength=10)
    return {
        "confidence": torch.stack(confidences).mean(),
        "label_entropy": _entropy(counts / counts.sum()),
    }


def sq_mean_of_batch_entropies(images, classifier):
    """Averages the entropies of per-batch histograms."""
    total, entropies = 0.0, []
    with torch.no_grad():
        for batch in images.split(256):
            probs = torch.softmax(classifier(batch), dim=1)
            total += float(probs.max(1).values.sum())
            entropies.append(_entropy(torch.bincount(probs.argmax(1), minlength=10) / len(batch)))
    return {"confidence": total / len(images), "label_entropy": torch.stack(entropies).mean()}


def sq_naive_softmax(images, classifier):
    """exp(logits) / sum without subtracting the maximum: overflows for large logits."""
    with torch.no_grad():
        logits = classifier(images)
    probs = logits.exp() / logits.exp().sum(1, keepdim=True)
    shares = torch.bincount(logits.argmax(1), minlength=10) / len(images)
    return {"confidence": probs.max(1).values.mean(), "label_entropy": _entropy(shares)}


def sq_zero_counts_nan(images, classifier):
    """p log p with absent labels: 0 * log 0 = nan."""
    with torch.no_grad():
        probs = torch.softmax(classifier(images), dim=1)
    shares = torch.bincount(probs.argmax(1), minlength=10) / len(images)
    return {
        "confidence": probs.max(1).values.mean(),
        "label_entropy": -(shares * shares.log()).sum(),
    }


def sq_mean_image_entropy(images, classifier):
    """Mean entropy of each image's softmax instead of the label histogram."""
    with torch.no_grad():
        probs = torch.softmax(classifier(images), dim=1)
    return {
        "confidence": probs.max(1).values.mean(),
        "label_entropy": Categorical(probs=probs).entropy().mean(),
    }


def _batches_of(images, size=256):
    """One tensor split into batches, or the iterable of batches as it is."""
    return images.split(size) if torch.is_tensor(images) else images


def sq_categorical(images, classifier):
    """torch.distributions.Categorical per batch, one-hot counts over the stream."""
    top_sum, counts = 0.0, torch.zeros(10)
    with torch.no_grad():
        for batch in _batches_of(images):
            dist = Categorical(logits=classifier(batch))
            top_sum += float(dist.probs.max(1).values.sum())
            counts += F.one_hot(dist.probs.argmax(dim=1), 10).float().sum(0)
    hist = counts / counts.sum()
    return {
        "confidence": top_sum / float(counts.sum()),
        "label_entropy": Categorical(probs=hist).entropy(),
    }


def sq_numpy(images, classifier):
    """NumPy in float64 with its own stable softmax, batch by batch."""
    top_sum, counts = 0.0, np.zeros(10)
    for batch in _batches_of(images, 100):
        with torch.no_grad():
            logits = classifier(batch).numpy().astype(np.float64)
        shifted = logits - logits.max(1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(1, keepdims=True)
        top_sum += float(probs.max(1).sum())
        counts += np.bincount(logits.argmax(1), minlength=10)
    shares = counts[counts > 0] / counts.sum()
    return {
        "confidence": top_sum / counts.sum(),
        "label_entropy": float(-(shares * np.log(shares)).sum()),
    }


def sq_float64_log_softmax(images, classifier):
    """Batches of 7 for a tensor, float64, log_softmax then exp, xlogy for the entropy."""
    top_sum, hist = torch.zeros((), dtype=torch.float64), torch.zeros(10, dtype=torch.float64)
    for batch in _batches_of(images, 7):
        with torch.no_grad():
            logits = classifier(batch).double()
        top_sum += torch.log_softmax(logits, dim=1).exp().max(1).values.sum()
        hist += F.one_hot(logits.argmax(1), num_classes=10).double().sum(0)
    seen = hist.sum()
    hist = hist / seen
    return {"confidence": top_sum / seen, "label_entropy": -torch.xlogy(hist, hist).sum()}


def sq_numpy_numbers(images, classifier):
    """np.float64 numbers in the dict, counts with a Python loop, a running mean."""
    counts, mean, n = [0] * 10, 0.0, 0
    for batch in [images] if torch.is_tensor(images) else images:
        with torch.no_grad():
            probs = F.softmax(classifier(batch), dim=-1)
        top = probs.max(-1).values.tolist()
        for label, value in zip(probs.argmax(-1).tolist(), top, strict=True):
            n += 1
            counts[label] += 1
            mean += (value - mean) / n  # a running mean: no sum kept
    entropy = -sum(c / n * math.log(c / n) for c in counts if c)
    return {"confidence": np.float64(mean), "label_entropy": np.float64(entropy)}


def _key_like(*, keep: str = "counts", grad: bool = False, two_passes: bool = False):
    """sample_quality with one mistake in what it keeps from each batch of a stream."""

    def sample_quality(images, classifier):
        batches = _batches_of(images, 300)
        tops, sizes, counts, entropies, kept = [], [], torch.zeros(10), [], []
        context = torch.enable_grad() if grad else torch.no_grad()
        with context:
            for batch in batches:
                if keep == "all_batches":
                    kept.append(batch)
                probs = torch.softmax(classifier(batch), dim=1)
                tops.append(probs.max(1).values.sum())
                sizes.append(len(batch))
                counts += torch.bincount(probs.argmax(1), minlength=10).detach()
                shares = torch.bincount(probs.argmax(1), minlength=10) / len(batch)
                entropies.append(_entropy(shares))
            if two_passes:  # labels counted in a second pass, which a generator cannot give
                counts = torch.zeros(10)
                for batch in batches:
                    counts += torch.bincount(classifier(batch).argmax(1), minlength=10)
        seen = sum(sizes)
        if keep == "batch_entropies":  # the mean of per-batch entropies, weighted by size
            entropy = sum(e * n for e, n in zip(entropies, sizes, strict=True)) / seen
        else:
            entropy = _entropy(counts / max(float(counts.sum()), 1.0))
        confidence = sum(tops) / seen
        if keep == "all_batches":  # concatenates everything it read, then scores it at once
            with torch.no_grad():
                probs = torch.softmax(classifier(torch.cat(kept)), dim=1)
            confidence = probs.max(1).values.mean()
        else:
            kept.clear()
        return {"confidence": float(confidence), "label_entropy": float(entropy)}

    return sample_quality


# The decision's mistakes: what is kept from each batch of a stream.
sq_keeps_every_batch = _key_like(keep="all_batches")  # the whole stream held in memory
sq_sums_keep_the_graph = _key_like(grad=True)  # tensor sums with the graph back to each batch
sq_weighted_batch_entropies = _key_like(keep="batch_entropies")
sq_second_pass = _key_like(two_passes=True)  # a generator is empty the second time


def sq_uses_len(images, classifier):
    """len(images) for the number of images: right for one tensor, fails on a generator."""
    top_sum, counts = 0.0, torch.zeros(10)
    with torch.no_grad():
        for batch in _batches_of(images):
            probs = torch.softmax(classifier(batch), dim=1)
            top_sum += float(probs.max(1).values.sum())
            counts += torch.bincount(probs.argmax(1), minlength=10)
    return {
        "confidence": top_sum / len(images),
        "label_entropy": _entropy(counts / len(images)),
    }


MUTANTS: dict[str, tuple[str, str, Any]] = {
    "sp_with_gradients": ("q1", "sample_prior", sp_with_gradients),
    "sp_temperature_on_image": ("q1", "sample_prior", sp_temperature_on_image),
    "sp_temperature_as_exponent": ("q1", "sample_prior", sp_temperature_as_exponent),
    "sp_temperature_is_variance": ("q1", "sample_prior", sp_temperature_is_variance),
    "sp_divides": ("q1", "sample_prior", sp_divides),
    "sp_ignores_temperature": ("q1", "sample_prior", sp_ignores_temperature),
    "sp_uniform_codes": ("q1", "sample_prior", sp_uniform_codes),
    "sp_reseeded": ("q1", "sample_prior", sp_reseeded),
    "sp_hard_coded_20": ("q1", "sample_prior", sp_hard_coded_20),
    "sp_binarised": ("q1", "sample_prior", sp_binarised),
    "sp_fixed_unit_noise": ("q1", "sample_prior", sp_fixed_unit_noise),
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
    "cvae_forward_uses_mean": ("q6", "CVAE", CVAEForwardUsesMean),
    "cvae_logits": ("q6", "CVAE", CVAELogits),
    "cvae_generate_ignores_digit": ("q6", "CVAE", CVAEGenerateIgnoresDigit),
    "cvae_generate_next_label": ("q6", "CVAE", CVAEGenerateNextLabel),
    "cvae_generate_one_code": ("q6", "CVAE", CVAEGenerateOneCode),
    "cvae_generate_from_mean": ("q6", "CVAE", CVAEGenerateFromMean),
    "cvae_generate_with_grad": ("q6", "CVAE", CVAEGenerateWithGrad),
    "cvae_generate_reseeds": ("q6", "CVAE", CVAEGenerateReseeds),
    "cvae_flatten_missing": ("q6", "CVAE", CVAEFlattenMissing),
    "sq_entropy_of_mean_softmax": ("q9", "sample_quality", sq_entropy_of_mean_softmax),
    "sq_log2": ("q9", "sample_quality", sq_log2),
    "sq_confidence_mean_logit": ("q9", "sample_quality", sq_confidence_mean_logit),
    "sq_no_softmax": ("q9", "sample_quality", sq_no_softmax),
    "sq_top_of_mean": ("q9", "sample_quality", sq_top_of_mean),
    "sq_mean_of_batch_means": ("q9", "sample_quality", sq_mean_of_batch_means),
    "sq_mean_of_batch_entropies": ("q9", "sample_quality", sq_mean_of_batch_entropies),
    "sq_naive_softmax": ("q9", "sample_quality", sq_naive_softmax),
    "sq_zero_counts_nan": ("q9", "sample_quality", sq_zero_counts_nan),
    "sq_mean_image_entropy": ("q9", "sample_quality", sq_mean_image_entropy),
    "sq_keeps_every_batch": ("q9", "sample_quality", sq_keeps_every_batch),
    "sq_sums_keep_the_graph": ("q9", "sample_quality", sq_sums_keep_the_graph),
    "sq_weighted_batch_entropies": ("q9", "sample_quality", sq_weighted_batch_entropies),
    "sq_second_pass": ("q9", "sample_quality", sq_second_pass),
    "sq_uses_len": ("q9", "sample_quality", sq_uses_len),
    "q5_density_on_shell": ("q5", "q5_answer", "b"),
    "q5_direction_only": ("q5", "q5_answer", "c"),
    "q5_speed": ("q5", "q5_answer", "d"),
    "q7_label_picks_the_class": ("q7", "q7_answer", "a"),
    "q7_unrelated": ("q7", "q7_answer", "c"),
    "q7_label_ignored": ("q7", "q7_answer", "d"),
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


def sp_model_dtype(model, n, temperature=1.0):
    """Noise made with torch.normal(0, temperature) on the model's device and dtype."""
    param = next(model.parameters())
    with torch.no_grad():
        z = torch.normal(0.0, temperature, size=(n, model.latent_dim), device=param.device)
        return model.decode(z.to(param.dtype))


def slerp_float64_inside(z_start, z_end, steps):
    """The whole computation in float64 with its own line fallback, cast back at the end."""
    a, b = z_start.double(), z_end.double()
    omega = torch.acos(torch.clamp(a @ b / (a.norm() * b.norm()), -1.0, 1.0))
    t = torch.linspace(0, 1, steps, dtype=torch.float64)[:, None]
    if omega < 1e-4:
        path = (1 - t) * a + t * b
    else:
        path = (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)
    return path.to(z_start.dtype)


def slerp_clamp_epsilon(z_start, z_end, steps):
    """cos(Omega) clamped to [-1 + 1e-7, 1 - 1e-7]; the fallback tests sin(Omega)."""
    cos = F.cosine_similarity(z_start, z_end, dim=0).clamp(-1 + 1e-7, 1 - 1e-7)
    omega = torch.acos(cos)
    t = torch.linspace(0, 1, steps).unsqueeze(1)
    if torch.sin(omega) < 1e-4:
        return (1 - t) * z_start + t * z_end
    return (torch.sin((1 - t) * omega) * z_start + torch.sin(t * omega) * z_end) / torch.sin(omega)


class CVAEGenerateLoop(RefCVAE):
    """generate() decodes one code at a time (another order of random draws than randn(n, d))."""

    def generate(self, digit, n):
        with torch.no_grad():
            label = torch.tensor([digit])
            return torch.cat(
                [self.decode(torch.randn(1, self.latent_dim), label) for _ in range(n)]
            )


class CVAEGenerateDistributions(RefCVAE):
    """generate() draws codes with torch.distributions and detaches the result."""

    def generate(self, digit, n):
        z = Normal(0.0, 1.0).sample((n, self.latent_dim))
        return self.decode(z, torch.full((n,), digit, dtype=torch.long)).detach()


class CVAEGenerateModelDtype(RefCVAE):
    """generate() draws z on the device and with the dtype of the model's parameters."""

    @torch.no_grad()
    def generate(self, digit, n):
        param = next(self.parameters())
        z = torch.randn(n, self.latent_dim, device=param.device, dtype=param.dtype)
        return self.decode(z, torch.full((n,), digit, device=param.device))


class CVAEGenerateBypassesDecode(RefCVAE):
    """generate() runs the decoder network itself instead of calling self.decode."""

    @torch.no_grad()
    def generate(self, digit, n):
        z = torch.randn(n, self.latent_dim)
        one_hot = F.one_hot(torch.tensor(digit), self.num_classes).float().expand(n, -1)
        return torch.sigmoid(self.dec(torch.cat([z, one_hot], 1)))


class CVAEDropout(RefCVAE):
    """Dropout in both networks (active in training mode, off in eval), logits then sigmoid."""

    def __init__(self, latent_dim=2, num_classes=10):
        super().__init__(latent_dim, num_classes)
        self.enc = nn.Sequential(nn.Linear(784 + num_classes, 64), nn.ReLU(), nn.Dropout(0.1))
        self.dec = nn.Sequential(
            nn.Linear(latent_dim + num_classes, 64), nn.ReLU(), nn.Dropout(0.1), nn.Linear(64, 784)
        )

    def decode(self, z, y):
        logits = self.dec(torch.cat([z, self.labels(y)], 1))
        return torch.sigmoid(logits)


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "sp_distributions": ("q1", "sample_prior", sp_distributions),
    "sp_one_at_a_time": ("q1", "sample_prior", sp_one_at_a_time),
    "sp_model_dtype": ("q1", "sample_prior", sp_model_dtype),
    "slerp_numpy_float64": ("q4", "slerp", slerp_numpy_float64),
    "slerp_atan2_loop": ("q4", "slerp", slerp_atan2_loop),
    "slerp_float64_inside": ("q4", "slerp", slerp_float64_inside),
    "slerp_clamp_epsilon": ("q4", "slerp", slerp_clamp_epsilon),
    "cvae_sequential": ("q6", "CVAE", RefCVAE),
    "cvae_embedding": ("q6", "CVAE", CVAEEmbedding),
    "cvae_scatter_one_hot": ("q6", "CVAE", CVAESeparateOneHot),
    "cvae_generate_loop": ("q6", "CVAE", CVAEGenerateLoop),
    "cvae_generate_distributions": ("q6", "CVAE", CVAEGenerateDistributions),
    "cvae_generate_model_dtype": ("q6", "CVAE", CVAEGenerateModelDtype),
    "cvae_generate_bypasses_decode": ("q6", "CVAE", CVAEGenerateBypassesDecode),
    "cvae_dropout": ("q6", "CVAE", CVAEDropout),
    "sq_categorical": ("q9", "sample_quality", sq_categorical),
    "sq_numpy": ("q9", "sample_quality", sq_numpy),
    "sq_float64_log_softmax": ("q9", "sample_quality", sq_float64_log_softmax),
    "sq_numpy_numbers": ("q9", "sample_quality", sq_numpy_numbers),
    "q5_upper_case": ("q5", "q5_answer", "A"),
    "q7_padded": ("q7", "q7_answer", " b "),
    "q7_parenthesised": ("q7", "q7_answer", "(b)"),
}

# ---------------------------------------------------------------- tests


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS)


@pytest.mark.parametrize("slerp", ["key", "own_fallback"])
def test_edited_interpolate_costs_no_points(slerp: str) -> None:
    """interpolate is given, not graded: an edited one costs nothing, even through slerp's
    parallel-vector fallback (the key's slerp calls it, slerp_float64_inside has its own line)."""
    replacements: dict[str, Any] = {"interpolate": lerp_missing_end}
    if slerp == "own_fallback":
        replacements["slerp"] = slerp_float64_inside
    check_variant_full_marks(ASSIGNMENT, replacements)


def test_generate_with_another_label_is_named_in_the_feedback() -> None:
    """The off-by-one label in generate fails the generate check, and the message says why."""
    namespace = with_answers(ASSIGNMENT, {"CVAE": CVAEGenerateNextLabel})
    feedback = hidden_feedback(ASSIGNMENT, namespace)["q6"]
    assert "with the label" in feedback and "gave other images" in feedback, feedback


def test_sample_quality_known_values() -> None:
    """The key on a constant classifier, and on evenly spread labels with huge logits."""

    class Given(nn.Module):
        def __init__(self, table):
            super().__init__()
            self.table = nn.Parameter(table, requires_grad=False)

        def forward(self, x):
            return self.table[: len(x)]

    sample_quality = key_namespace(ASSIGNMENT)["sample_quality"]
    constant = torch.tensor([[0.0, 0, 3, 0, 0, 0, 0, 0, 0, 0]]).repeat(1001, 1)
    result = sample_quality(torch.rand(1001, 784), Given(constant))
    assert abs(result["label_entropy"]) < 1e-9
    assert abs(result["confidence"] - math.exp(3) / (math.exp(3) + 9)) < 1e-5
    spread = 500.0 * F.one_hot(torch.arange(20) % 10, 10).float()
    result = sample_quality(torch.rand(20, 784), Given(spread))
    assert abs(result["label_entropy"] - math.log(10)) < 1e-6
    assert abs(result["confidence"] - 1.0) < 1e-6


def test_slerp_key_keeps_prior_lengths() -> None:
    """The reason slerp is taught: between prior samples it keeps typical lengths, lerp does not."""
    namespace = key_namespace(ASSIGNMENT)
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(2, 20, generator=generator)
    middle_line = namespace["interpolate"](z[0], z[1], 3)[1].norm()
    middle_slerp = namespace["slerp"](z[0], z[1], 3)[1].norm()
    assert middle_line < 0.85 * math.sqrt(20) < middle_slerp
