"""The importance-weighted bound of a Bernoulli VAE, averaged over a set of images.

Notebook 03 uses it to score the binarized model beside its ELBO; notebook 05 asks you to write
the per-image bound yourself (Q7), so do not call this there.
"""

from __future__ import annotations

import math
from typing import Protocol

import torch
from torch.distributions import Bernoulli, Independent, Normal


class EncoderDecoder(Protocol):
    """A VAE: `encode(x) -> (mu, logvar)` and `decode(z) -> pixel probabilities`."""

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def decode(self, z: torch.Tensor) -> torch.Tensor: ...


@torch.no_grad()
def importance_weighted_bound(
    model: EncoderDecoder, x: torch.Tensor, k: int, chunk: int = 100
) -> float:
    """Mean over the images `x` of one draw of log (1/k) sum_i p(x, z_i) / q(z_i | x), in nats."""
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError(f"x must be a batch of images (B, 784) or (B, 1, 28, 28), got {x!r:.80}")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of samples >= 1, got {k!r}")
    images = x.reshape(len(x), -1)
    prior = Independent(Normal(0.0, 1.0), 0)
    per_image = []
    for part in images.split(chunk):
        mu, logvar = model.encode(part)
        posterior = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
        codes = posterior.sample((k,))  # (k, b, d)
        probs = model.decode(codes.flatten(0, 1)).reshape(k, len(part), -1)
        tiny = torch.finfo(probs.dtype).tiny
        likelihood = Independent(Bernoulli(probs=probs.clamp(tiny, 1 - 1e-7)), 1)
        log_weights = (
            likelihood.log_prob(part.expand_as(probs))
            + prior.log_prob(codes).sum(-1)
            - posterior.log_prob(codes)
        )
        per_image.append(log_weights.logsumexp(0) - math.log(k))
    return torch.cat(per_image).mean().item()
