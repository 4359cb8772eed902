"""05_latent_analysis: hidden tests pass the key, catch each classic mistake, accept variants.

Every mutant below is a mistake students make; each must fail at least one hidden test. Every
variant is a correct answer written differently; each must pass all tests, public and hidden.
"""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from tests.otter_support import (
    check_blank_fails_public,
    check_expected_questions,
    check_key_passes,
    check_mutant_caught,
    check_variant_passes,
    run_key_notebook,
)

ASSIGNMENT = "05_latent_analysis"
AUTO_GRADED = {"q1", "q2", "q3", "q4", "q6", "q7", "q8"}


def _quantiles(side: int) -> torch.Tensor:
    """The normal quantiles at (k + 0.5) / side (used by layout mutants)."""
    return Normal(0.0, 1.0).icdf((torch.arange(side, dtype=torch.float32) + 0.5) / side)


def _grid_codes(model, values: torch.Tensor, dims, flip_rows=True, transpose=False):
    """Codes of a side×side grid from `values`, with optional layout mistakes."""
    side = len(values)
    rows, cols = torch.meshgrid(values.flip(0) if flip_rows else values, values, indexing="ij")
    if transpose:
        rows, cols = cols, rows
    z = torch.zeros(side * side, model.latent_dim)
    z[:, dims[0]] = cols.reshape(-1)
    z[:, dims[1]] = rows.reshape(-1)
    return z


def _log_weights_parts(model, x, k, std_from=lambda logvar: torch.exp(0.5 * logvar)):
    """Pieces of a correct IWAE computation: x flat, z, log p(x|z), log p(z), log q(z|x)."""
    x = x.reshape(x.shape[0], -1)
    mu, logvar = model.encode(x)
    std = std_from(logvar)
    z = mu + std * torch.randn(k, *mu.shape)
    x_hat = model.decode(z.reshape(-1, mu.shape[1])).reshape(k, x.shape[0], -1)
    log_px_z = -F.binary_cross_entropy(x_hat, x.expand_as(x_hat), reduction="none").sum(-1)
    log_pz = Normal(0.0, 1.0).log_prob(z).sum(-1)
    log_qz = Normal(mu, std).log_prob(z).sum(-1)
    return x, z, log_px_z, log_pz, log_qz


# ---------------------------------------------------------------- mutants: encode_means (q1)


def em_one_batch(model, x, batch_size=1000):
    """Ignores batch_size: encodes everything in one call."""
    with torch.no_grad():
        return model.encode(x)[0].cpu()


def em_drops_last_batch(model, x, batch_size=1000):
    """range(len(x) // batch_size) full batches only: the remainder is lost."""
    with torch.no_grad():
        parts = [
            model.encode(x[i * batch_size : (i + 1) * batch_size])[0]
            for i in range(len(x) // batch_size)
        ]
    return torch.cat(parts).cpu()


def em_returns_logvar(model, x, batch_size=1000):
    """Keeps the second output instead of the first."""
    with torch.no_grad():
        return torch.cat([model.encode(chunk)[1] for chunk in x.split(batch_size)]).cpu()


def em_samples(model, x, batch_size=1000):
    """Returns a sample z instead of the mean."""
    out = []
    with torch.no_grad():
        for chunk in x.split(batch_size):
            mu, logvar = model.encode(chunk)
            out.append(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu))
    return torch.cat(out).cpu()


def em_with_gradients(model, x, batch_size=1000):
    """Forgets torch.no_grad: the result drags the whole graph along."""
    return torch.cat([model.encode(chunk)[0] for chunk in x.split(batch_size)]).cpu()


# ---------------------------------------------------------------- mutants: latent_grid (q2)


def lg_uniform(model, side, dims=(0, 1)):
    """A uniform grid over [-2, 2] instead of normal quantiles."""
    with torch.no_grad():
        return model.decode(_grid_codes(model, torch.linspace(-2, 2, side), dims))


def lg_uniform_wide(model, side, dims=(0, 1)):
    """A uniform grid over [-3, 3]."""
    with torch.no_grad():
        return model.decode(_grid_codes(model, torch.linspace(-3, 3, side), dims))


def lg_other_quantiles(model, side, dims=(0, 1)):
    """Quantiles of linspace(0.05, 0.95), not the (k + 0.5) / side the prompt defines."""
    values = Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, side))
    with torch.no_grad():
        return model.decode(_grid_codes(model, values, dims))


def lg_quantiles_with_ends(model, side, dims=(0, 1)):
    """icdf of linspace(0, 1): infinite codes at the edges."""
    values = Normal(0.0, 1.0).icdf(torch.linspace(0, 1, side))
    with torch.no_grad():
        return model.decode(_grid_codes(model, values, dims))


def lg_ignores_dims(model, side, dims=(0, 1)):
    """Always uses dimensions 0 and 1."""
    with torch.no_grad():
        return model.decode(_grid_codes(model, _quantiles(side), (0, 1)))


def lg_transposed(model, side, dims=(0, 1)):
    """dims[0] varies down the rows and dims[1] across the columns."""
    with torch.no_grad():
        return model.decode(_grid_codes(model, _quantiles(side), dims, transpose=True))


def lg_rows_not_flipped(model, side, dims=(0, 1)):
    """The top row has the smallest dims[1] value (image coordinates, not plot coordinates)."""
    with torch.no_grad():
        return model.decode(_grid_codes(model, _quantiles(side), dims, flip_rows=False))


def lg_other_dims_random(model, side, dims=(0, 1)):
    """Other coordinates drawn from the prior instead of set to 0."""
    z = _grid_codes(model, _quantiles(side), dims)
    others = [d for d in range(model.latent_dim) if d not in dims]
    z[:, others] = torch.randn(len(z), len(others))
    with torch.no_grad():
        return model.decode(z)


# ---------------------------------------------------------------- mutants: kl_per_dimension (q3)


def kpd_sum_over_data(mu, logvar):
    """Sums over the images instead of averaging."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=0)


def kpd_per_image(mu, logvar):
    """Sums over dimensions: the KL of each image, shape (N,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def kpd_wrong_sign(mu, logvar):
    """The sign flipped."""
    return -0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=0)


def kpd_sigma_for_variance(mu, logvar):
    """exp(logvar / 2) = sigma used where sigma^2 belongs."""
    return 0.5 * (mu.pow(2) + torch.exp(0.5 * logvar) - 1 - 0.5 * logvar).mean(dim=0)


def kpd_missing_half(mu, logvar):
    """The factor 1/2 forgotten."""
    return (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=0)


# ---------------------------------------------------------------- mutants: active_units (q4)


def au_variance_over_dims(mu, threshold=0.01):
    """Variance of each image's code across dimensions (dim=1)."""
    return int((mu.var(dim=1) > threshold).sum())


def au_mean_size(mu, threshold=0.01):
    """Counts dimensions whose average code is far from 0."""
    return int((mu.mean(dim=0).abs() > threshold).sum())


def au_second_moment(mu, threshold=0.01):
    """E[mu^2] instead of Var[mu]: constant offsets count as activity."""
    return int((mu.pow(2).mean(dim=0) > threshold).sum())


def au_standard_deviation(mu, threshold=0.01):
    """Standard deviation compared with a variance threshold."""
    return int((mu.std(dim=0) > threshold).sum())


def au_returns_tensor(mu, threshold=0.01):
    """The count left as a tensor."""
    return (mu.var(dim=0) > threshold).sum()


def au_fixed_threshold(mu, threshold=0.01):
    """Ignores the threshold argument."""
    return int((mu.var(dim=0) > 0.01).sum())


def au_counts_inactive(mu, threshold=0.01):
    """Counts the dimensions below the threshold."""
    return int((mu.var(dim=0) <= threshold).sum())


# ---------------------------------------------------------------- mutants: iwae_bound (q7)


def iw_mean_of_log_weights(model, x, k):
    """Averages the log-weights: the ELBO again, whatever k is."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return (log_px_z + log_pz - log_qz).mean(dim=0)


def iw_missing_log_k(model, x, k):
    """logsumexp without subtracting log k."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0)


def iw_naive_exp(model, x, k):
    """log(mean(exp(log w))): underflows to -inf for real images."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return torch.log(torch.exp(log_px_z + log_pz - log_qz).mean(dim=0))


def iw_missing_prior_ratio(model, x, k):
    """Forgets log p(z) - log q(z|x): an average likelihood, not importance weights."""
    with torch.no_grad():
        _, _, log_px_z, _, _ = _log_weights_parts(model, x, k)
        return torch.logsumexp(log_px_z, dim=0) - math.log(k)


def iw_ratio_upside_down(model, x, k):
    """log q(z|x) - log p(z): the ratio inverted."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return torch.logsumexp(log_px_z + log_qz - log_pz, dim=0) - math.log(k)


def iw_logsumexp_over_batch(model, x, k):
    """logsumexp over the wrong axis (the images)."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return torch.logsumexp(log_px_z + log_pz - log_qz, dim=1) - math.log(k)


def iw_exp_logvar_as_std(model, x, k):
    """sigma = exp(logvar) for both the samples and log q."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k, std_from=torch.exp)
        return torch.logsumexp(log_px_z + log_pz - log_qz, dim=0) - math.log(k)


def iw_pixel_mean(model, x, k):
    """log p(x|z) as the mean BCE over pixels instead of the sum."""
    with torch.no_grad():
        _, _, log_px_z, log_pz, log_qz = _log_weights_parts(model, x, k)
        return torch.logsumexp(log_px_z / 784 + log_pz - log_qz, dim=0) - math.log(k)


def iw_samples_from_prior(model, x, k):
    """Draws z from the prior but still weights by p(z) / q(z|x)."""
    with torch.no_grad():
        flat = x.reshape(x.shape[0], -1)
        mu, logvar = model.encode(flat)
        z = torch.randn(k, *mu.shape)
        x_hat = model.decode(z.reshape(-1, mu.shape[1])).reshape(k, flat.shape[0], -1)
        log_px_z = -F.binary_cross_entropy(x_hat, flat.expand_as(x_hat), reduction="none").sum(-1)
        log_w = log_px_z + Normal(0.0, 1.0).log_prob(z).sum(-1)
        log_w = log_w - Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(-1)
        return torch.logsumexp(log_w, dim=0) - math.log(k)


MUTANTS: dict[str, tuple[str, str, Any]] = {
    "em_one_batch": ("q1", "encode_means", em_one_batch),
    "em_drops_last_batch": ("q1", "encode_means", em_drops_last_batch),
    "em_returns_logvar": ("q1", "encode_means", em_returns_logvar),
    "em_samples": ("q1", "encode_means", em_samples),
    "em_with_gradients": ("q1", "encode_means", em_with_gradients),
    "lg_uniform": ("q2", "latent_grid", lg_uniform),
    "lg_uniform_wide": ("q2", "latent_grid", lg_uniform_wide),
    "lg_other_quantiles": ("q2", "latent_grid", lg_other_quantiles),
    "lg_quantiles_with_ends": ("q2", "latent_grid", lg_quantiles_with_ends),
    "lg_ignores_dims": ("q2", "latent_grid", lg_ignores_dims),
    "lg_transposed": ("q2", "latent_grid", lg_transposed),
    "lg_rows_not_flipped": ("q2", "latent_grid", lg_rows_not_flipped),
    "lg_other_dims_random": ("q2", "latent_grid", lg_other_dims_random),
    "kpd_sum_over_data": ("q3", "kl_per_dimension", kpd_sum_over_data),
    "kpd_per_image": ("q3", "kl_per_dimension", kpd_per_image),
    "kpd_wrong_sign": ("q3", "kl_per_dimension", kpd_wrong_sign),
    "kpd_sigma_for_variance": ("q3", "kl_per_dimension", kpd_sigma_for_variance),
    "kpd_missing_half": ("q3", "kl_per_dimension", kpd_missing_half),
    "au_variance_over_dims": ("q4", "active_units", au_variance_over_dims),
    "au_mean_size": ("q4", "active_units", au_mean_size),
    "au_second_moment": ("q4", "active_units", au_second_moment),
    "au_standard_deviation": ("q4", "active_units", au_standard_deviation),
    "au_returns_tensor": ("q4", "active_units", au_returns_tensor),
    "au_fixed_threshold": ("q4", "active_units", au_fixed_threshold),
    "au_counts_inactive": ("q4", "active_units", au_counts_inactive),
    "iw_mean_of_log_weights": ("q7", "iwae_bound", iw_mean_of_log_weights),
    "iw_missing_log_k": ("q7", "iwae_bound", iw_missing_log_k),
    "iw_naive_exp": ("q7", "iwae_bound", iw_naive_exp),
    "iw_missing_prior_ratio": ("q7", "iwae_bound", iw_missing_prior_ratio),
    "iw_ratio_upside_down": ("q7", "iwae_bound", iw_ratio_upside_down),
    "iw_logsumexp_over_batch": ("q7", "iwae_bound", iw_logsumexp_over_batch),
    "iw_exp_logvar_as_std": ("q7", "iwae_bound", iw_exp_logvar_as_std),
    "iw_pixel_mean": ("q7", "iwae_bound", iw_pixel_mean),
    "iw_samples_from_prior": ("q7", "iwae_bound", iw_samples_from_prior),
    "q6_mean_near_zero": ("q6", "q6_answer", "a"),
    "q6_variance_over_dims": ("q6", "q6_answer", "c"),
    "q8_decoder": ("q8", "q8_answer", "a"),
    "q8_kl_to_prior": ("q8", "q8_answer", "d"),
}

# ---------------------------------------------------------------- variants (correct, different)


def em_split_comprehension(model, x, batch_size=1000):
    """torch.split in a comprehension, inference_mode instead of no_grad."""
    device = next(model.parameters()).device
    with torch.inference_mode():
        return torch.cat([model.encode(part.to(device))[0].cpu() for part in x.split(batch_size)])


def em_preallocated(model, x, batch_size=1000):
    """Fills a preallocated output tensor slice by slice."""
    out = None
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            mu = model.encode(x[start : start + batch_size])[0]
            if out is None:
                out = torch.empty(x.shape[0], mu.shape[1])
            out[start : start + len(mu)] = mu.cpu()
    return out


def lg_stdlib_loops(model, side, dims=(0, 1)):
    """statistics.NormalDist for the quantiles and two nested loops."""
    values = [statistics.NormalDist().inv_cdf((k + 0.5) / side) for k in range(side)]
    z = torch.zeros(side * side, model.latent_dim)
    for r in range(side):
        for c in range(side):
            z[r * side + c, dims[0]] = values[c]
            z[r * side + c, dims[1]] = values[side - 1 - r]
    with torch.no_grad():
        return model.decode(z)


def lg_ndtri_one_row_at_a_time(model, side, dims=(0, 1)):
    """torch.special.ndtri in float64, one decode call per row of the picture."""
    values = torch.special.ndtri((torch.arange(side, dtype=torch.float64) + 0.5) / side).float()
    rows = []
    with torch.no_grad():
        for r in range(side):
            z = torch.zeros(side, model.latent_dim)
            z[:, dims[0]] = values
            z[:, dims[1]] = values[side - 1 - r]
            rows.append(model.decode(z))
    return torch.cat(rows)


def kpd_distributions(mu, logvar):
    """kl_divergence between Normal distributions, averaged over the images."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    return kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).mean(0)


def kpd_textbook(mu, logvar):
    """The -1/2 (1 + logvar - mu^2 - sigma^2) form, summed then divided by N."""
    return -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=0) / mu.shape[0]


def au_numpy_population_variance(mu, threshold=0.01):
    """NumPy, population variance (ddof=0), Python sum."""
    variances = np.var(mu.numpy(), axis=0)
    return sum(1 for v in variances if v > threshold)


def au_centred_by_hand(mu, threshold=0.01):
    """Variance by hand: centre each column, square, average."""
    centred = mu - mu.mean(dim=0, keepdim=True)
    return int((centred.pow(2).mean(dim=0) > threshold).sum().item())


def iw_python_loop(model, x, k):
    """One sample at a time, log-weights collected in a list, then logsumexp."""
    flat = x.reshape(len(x), -1)
    with torch.no_grad():
        mu, logvar = model.encode(flat)
        std = logvar.mul(0.5).exp()
        log_ws = []
        for _ in range(k):
            z = mu + std * torch.randn_like(std)
            probs = model.decode(z)
            log_lik = (flat * torch.log(probs) + (1 - flat) * torch.log1p(-probs)).sum(1)
            log_prior = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1)
            log_q = (
                -0.5 * ((z - mu) / std) ** 2 - torch.log(std) - 0.5 * math.log(2 * math.pi)
            ).sum(1)
            log_ws.append(log_lik + log_prior - log_q)
        return torch.logsumexp(torch.stack(log_ws), dim=0) - math.log(k)


def iw_distributions_manual_max(model, x, k):
    """torch.distributions throughout and a hand-written max-shifted log-mean-exp."""
    flat = x.flatten(1)
    with torch.no_grad():
        mu, logvar = model.encode(flat)
        q = Independent(Normal(mu, torch.exp(0.5 * logvar)), 1)
        z = q.sample((k,))
        probs = model.decode(z.flatten(0, 1)).view(k, len(flat), -1)
        log_lik = Independent(Bernoulli(probs=probs, validate_args=False), 1).log_prob(flat)
        prior = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
        log_w = log_lik + prior.log_prob(z) - q.log_prob(z)
        top = log_w.max(dim=0).values
        return top + torch.log(torch.exp(log_w - top).mean(dim=0))


def iw_float64_logits(model, x, k):
    """Bernoulli term from logits (BCE with logits on logit(x_hat)), weights in float64."""
    flat = x.reshape(x.shape[0], 784)
    with torch.no_grad():
        mu, logvar = model.encode(flat)
        eps = torch.randn(k, *mu.shape)
        z = mu + eps * torch.exp(logvar / 2)
        logits = torch.logit(model.decode(z.reshape(k * len(flat), -1)))
        bce = (
            F.binary_cross_entropy_with_logits(logits, flat.repeat(k, 1), reduction="none")
            .sum(1)
            .view(k, -1)
        )
        log_ratio = (-0.5 * z**2 + 0.5 * eps**2 + 0.5 * logvar).sum(-1)
        log_w = (-bce + log_ratio).double()
        return (torch.logsumexp(log_w, 0) - math.log(k)).float()


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "em_split_comprehension": ("q1", "encode_means", em_split_comprehension),
    "em_preallocated": ("q1", "encode_means", em_preallocated),
    "lg_stdlib_loops": ("q2", "latent_grid", lg_stdlib_loops),
    "lg_ndtri_one_row_at_a_time": ("q2", "latent_grid", lg_ndtri_one_row_at_a_time),
    "kpd_distributions": ("q3", "kl_per_dimension", kpd_distributions),
    "kpd_textbook": ("q3", "kl_per_dimension", kpd_textbook),
    "au_numpy_population_variance": ("q4", "active_units", au_numpy_population_variance),
    "au_centred_by_hand": ("q4", "active_units", au_centred_by_hand),
    "iw_python_loop": ("q7", "iwae_bound", iw_python_loop),
    "iw_distributions_manual_max": ("q7", "iwae_bound", iw_distributions_manual_max),
    "iw_float64_logits": ("q7", "iwae_bound", iw_float64_logits),
    "q6_upper_case": ("q6", "q6_answer", "B"),
    "q8_padded": ("q8", "q8_answer", " b"),
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


@pytest.mark.slow
def test_key_notebook_runs_top_to_bottom_in_fast_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_key_notebook(ASSIGNMENT, tmp_path, monkeypatch)
