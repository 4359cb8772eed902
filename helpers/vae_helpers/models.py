"""Reference MLP autoencoder and VAE used by the helpers (not the students' exercises).

The VAE's posterior is a ``torch.distributions.Normal``: sampling is its ``rsample()`` and the KL to
the prior is ``torch.distributions.kl_divergence``, so nothing here spells out the formulas the
notebooks ask students to write themselves.
"""

from __future__ import annotations

from typing import Literal, cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Normal, kl_divergence

from vae_helpers._validation import (
    IMAGE_PIXELS,
    check_positive_int,
    image_shape_error,
    is_image_shape,
)

__all__ = [
    "IMAGE_PIXELS",
    "MLPAutoencoder",
    "MLPVAE",
    "autoencoder_loss",
    "flatten_images",
    "vae_loss_terms",
]

Activation = Literal["relu", "elu"]
_ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "elu": nn.ELU}


def flatten_images(x: Tensor) -> Tensor:
    """Reshape (B, 1, 28, 28), (B, 28, 28) or (B, 784) images to (B, 784)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"flatten_images: expected a torch.Tensor, got {type(x).__name__}")
    if not is_image_shape(tuple(x.shape)):
        raise image_shape_error("flatten_images", "images", tuple(x.shape))
    return x.reshape(x.shape[0], IMAGE_PIXELS)


def _mlp(widths: tuple[int, ...], activation: Activation = "relu") -> nn.Sequential:
    """Linear layers between consecutive `widths`, an activation between them (none at the end)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        if index:
            layers.append(_ACTIVATIONS[activation]())
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def _check_activation(activation: str, owner: str) -> Activation:
    """`activation` if it is a known name, else a clear error."""
    if activation not in _ACTIVATIONS:
        raise ValueError(
            f"{owner}: activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
        )
    return cast(Activation, activation)


class MLPAutoencoder(nn.Module):
    """Deterministic MLP autoencoder: 784 → hidden_dims → latent_dim → reversed → 784 (sigmoid)."""

    def __init__(self, latent_dim: int = 2, hidden_dims: tuple[int, ...] = (256, 128)) -> None:
        """Build encoder and decoder with ReLU hidden layers of sizes `hidden_dims`."""
        super().__init__()
        check_positive_int(latent_dim, "latent_dim", "MLPAutoencoder")
        hidden_dims = tuple(hidden_dims)
        for width in hidden_dims:
            check_positive_int(width, "every hidden width", "MLPAutoencoder")
        self.latent_dim = latent_dim
        self.hidden_dims = hidden_dims
        self.encoder = _mlp((IMAGE_PIXELS, *hidden_dims, latent_dim))
        self.decoder = _mlp((latent_dim, *reversed(hidden_dims), IMAGE_PIXELS))

    def encode(self, x: Tensor) -> Tensor:
        """Latent code z (B, latent_dim) of images x."""
        return self.encoder(flatten_images(x))

    def decode_logits(self, z: Tensor) -> Tensor:
        """Pre-sigmoid pixel logits (B, 784) for codes z."""
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        """Reconstructed pixels in [0, 1], shape (B, 784)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(x_hat, z) for images x."""
        z = self.encode(x)
        return self.decode(z), z


class MLPVAE(nn.Module):
    """Gaussian encoder, Bernoulli decoder on flat images.

    Encoder 784 → `hidden_layers` × hidden_dim → (μ, log σ²); decoder the mirror image
    latent_dim → `hidden_layers` × hidden_dim → 784 logits. The defaults (one ReLU layer of 400)
    are the classic 784-400-20 VAE; the course's reference model uses two ELU layers
    (see vae_helpers.pretrained).
    """

    def __init__(
        self,
        latent_dim: int = 20,
        hidden_dim: int = 400,
        *,
        hidden_layers: int = 1,
        activation: Activation = "relu",
    ) -> None:
        """Build the encoder (one linear head for μ and log σ² together) and the decoder."""
        super().__init__()
        check_positive_int(latent_dim, "latent_dim", "MLPVAE")
        check_positive_int(hidden_dim, "hidden_dim", "MLPVAE")
        check_positive_int(hidden_layers, "hidden_layers", "MLPVAE")
        self.activation = _check_activation(activation, "MLPVAE")
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.hidden_layers = hidden_layers
        hidden = (hidden_dim,) * hidden_layers
        # The last activation of the encoder body sits before the head (widths end in hidden).
        self.encoder = nn.Sequential(
            *_mlp((IMAGE_PIXELS, *hidden), activation), _ACTIVATIONS[activation]()
        )
        self.to_posterior = nn.Linear(hidden_dim, 2 * latent_dim)
        self.decoder = _mlp((latent_dim, *hidden, IMAGE_PIXELS), activation)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior parameters (mu, logvar), each (B, latent_dim)."""
        mu, logvar = self.to_posterior(self.encoder(flatten_images(x))).chunk(2, dim=1)
        return mu, logvar

    @staticmethod
    def posterior(mu: Tensor, logvar: Tensor) -> Normal:
        """q(z | x) as a diagonal Normal distribution (arguments not re-validated: no sync)."""
        return Normal(mu, logvar.mul(0.5).exp(), validate_args=False)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        """One differentiable sample of q(z | x): the posterior's rsample()."""
        return MLPVAE.posterior(mu, logvar).rsample()

    def decode_logits(self, z: Tensor) -> Tensor:
        """Pre-sigmoid Bernoulli logits (B, 784) for codes z."""
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli means in [0, 1], shape (B, 784)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(x_hat, mu, logvar), decoding one sampled z per image."""
        posterior = self.encode(x)
        codes = self.reparameterize(*posterior)
        return (self.decode(codes), *posterior)


def _at_least_float32(t: Tensor) -> Tensor:
    """`t` in float32 when it is in a lower precision (bfloat16 autocast), else unchanged."""
    return t.to(torch.promote_types(t.dtype, torch.float32))


def _per_image_mean(total: Tensor, target: Tensor) -> Tensor:
    """A sum over the batch divided by the number of images (nats per image)."""
    return total / target.shape[0]


def _bce_from_logits(logits: Tensor, target: Tensor) -> Tensor:
    """Bernoulli negative log-likelihood from logits, summed over pixels, mean over images."""
    return _per_image_mean(
        F.binary_cross_entropy_with_logits(logits, target, reduction="sum"), target
    )


def _bce_from_probabilities(x_hat: Tensor, target: Tensor) -> Tensor:
    """The same from probabilities (models without decode_logits), clamped away from 0 and 1."""
    eps = 1e-6
    total = F.binary_cross_entropy(x_hat.clamp(eps, 1 - eps), target, reduction="sum")
    return _per_image_mean(total, target)


_STANDARD_NORMAL_CACHE: dict[tuple[torch.device, torch.dtype], Normal] = {}


def _prior(like: Tensor) -> Normal:
    """The prior N(0, I) as a scalar Normal that broadcasts against `like` (no allocation)."""
    key = (like.device, like.dtype)
    if key not in _STANDARD_NORMAL_CACHE:
        zero = torch.zeros((), device=like.device, dtype=like.dtype)
        _STANDARD_NORMAL_CACHE[key] = Normal(zero, zero + 1, validate_args=False)
    return _STANDARD_NORMAL_CACHE[key]


def autoencoder_loss(model: nn.Module, x: Tensor) -> Tensor:
    """BCE summed over the 784 pixels, averaged over the batch (nats per image)."""
    target = flatten_images(x)
    if isinstance(model, MLPAutoencoder):
        return _bce_from_logits(model.decode_logits(model.encode(target)), target)
    x_hat, _ = model(target)
    return _bce_from_probabilities(flatten_images(x_hat), target)


def vae_loss_terms(model: nn.Module, x: Tensor, beta: float = 1.0) -> dict[str, Tensor]:
    """Batch means in nats per image: recon (BCE), kl (to N(0, I)) and loss = recon + beta * kl.

    For an MLPVAE the reconstruction term is computed from the decoder's logits (cheaper and
    exact); any other model is called as ``x_hat, mu, logvar = model(x)``.
    """
    target = flatten_images(x)
    # Under bfloat16 autocast the layers' outputs are bfloat16; the loss arithmetic (the KL's
    # exp and sums, the BCE) runs in float32 so the reported nats keep their precision.
    if isinstance(model, MLPVAE):
        mu, logvar = map(_at_least_float32, model.encode(target))
        q = model.posterior(mu, logvar)
        recon = _bce_from_logits(model.decode_logits(q.rsample()), target)
    else:
        x_hat, mu, logvar = map(_at_least_float32, model(target))
        q = MLPVAE.posterior(mu, logvar)
        recon = _bce_from_probabilities(flatten_images(x_hat), target)
    kl = _per_image_mean(kl_divergence(q, _prior(mu)).sum(), target)
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}
