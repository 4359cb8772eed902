"""vae_helpers.bounds: the importance-weighted bound that notebook 03 reports."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from vae_helpers.bounds import importance_weighted_bound
from vae_helpers.models import MLPVAE


def _direct(model: MLPVAE, x: torch.Tensor, k: int) -> float:
    """The bound written out term by term (the formula of notebook 05)."""
    with torch.no_grad():
        mu, logvar = model.encode(x)
        eps = torch.randn(k, *mu.shape)
        z = mu + (0.5 * logvar).exp() * eps
        probs = model.decode(z.flatten(0, 1)).reshape(k, len(x), -1)
        log_px_z = -F.binary_cross_entropy(probs, x.expand_as(probs), reduction="none").sum(-1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(-1)
        return (torch.logsumexp(log_px_z + log_pz - log_qz, 0) - math.log(k)).mean().item()


@pytest.fixture
def model_and_images() -> tuple[MLPVAE, torch.Tensor]:
    torch.manual_seed(0)
    return MLPVAE(latent_dim=4, hidden_dim=32), (torch.rand(200, 784) < 0.3).float()


def test_matches_the_formula_within_sampling_noise(model_and_images) -> None:
    model, x = model_and_images
    torch.manual_seed(1)
    mine = importance_weighted_bound(model, x, 50)
    torch.manual_seed(2)
    direct = _direct(model, x, 50)
    assert mine == pytest.approx(direct, abs=0.5)


def test_tightens_with_k_and_accepts_image_shapes(model_and_images) -> None:
    model, x = model_and_images
    torch.manual_seed(3)
    one = importance_weighted_bound(model, x, 1)
    torch.manual_seed(3)
    many = importance_weighted_bound(model, x.reshape(-1, 1, 28, 28), 200, chunk=7)
    assert math.isfinite(one) and many > one


@pytest.mark.parametrize("k", [0, 2.5, "3"])
def test_bad_k_is_refused(model_and_images, k) -> None:
    model, x = model_and_images
    with pytest.raises(ValueError, match="k must be a whole number of samples >= 1"):
        importance_weighted_bound(model, x, k)


def test_a_single_image_without_batch_axis_is_refused(model_and_images) -> None:
    model, _ = model_and_images
    with pytest.raises(ValueError, match=r"x must be a batch of images"):
        importance_weighted_bound(model, torch.rand(784), 5)
