"""Reference MLP autoencoder and VAE used by the helpers (not the students' exercises)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

IMAGE_PIXELS = 28 * 28


def flatten_images(x: Tensor) -> Tensor:
    """Reshape (B, 1, 28, 28), (B, 28, 28) or (B, 784) images to (B, 784)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"flatten_images: expected a torch.Tensor, got {type(x).__name__}")
    shape = tuple(x.shape)
    if (
        (x.dim() == 2 and shape[1] == IMAGE_PIXELS)
        or (x.dim() == 3 and shape[1:] == (28, 28))
        or (x.dim() == 4 and shape[1:] == (1, 28, 28))
    ):
        return x.reshape(shape[0], IMAGE_PIXELS)
    raise ValueError(
        f"flatten_images: images have shape {shape}, expected (B, 784), (B, 28, 28) "
        "or (B, 1, 28, 28)"
    )


def _check_positive_int(value: int, name: str, owner: str) -> None:
    """Raise a clear error unless `value` is a positive int."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value!r}")


class MLPAutoencoder(nn.Module):
    """Deterministic MLP autoencoder: 784 → hidden_dims → latent_dim → reversed → 784 (sigmoid)."""

    def __init__(self, latent_dim: int = 2, hidden_dims: tuple[int, ...] = (256, 128)) -> None:
        """Build encoder and decoder with ReLU hidden layers of sizes `hidden_dims`."""
        super().__init__()
        _check_positive_int(latent_dim, "latent_dim", "MLPAutoencoder")
        hidden_dims = tuple(hidden_dims)
        for width in hidden_dims:
            _check_positive_int(width, "every hidden width", "MLPAutoencoder")
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
    """Gaussian encoder, Bernoulli decoder: 784 → hidden → (μ, log σ²); z → hidden → 784."""

    def __init__(self, latent_dim: int = 20, hidden_dim: int = 400) -> None:
        """Build the encoder heads and the decoder."""
        super().__init__()
        _check_positive_int(latent_dim, "latent_dim", "MLPVAE")
        _check_positive_int(hidden_dim, "hidden_dim", "MLPVAE")
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.encoder_hidden = nn.Linear(IMAGE_PIXELS, hidden_dim)
        self.to_mu = nn.Linear(hidden_dim, latent_dim)
        self.to_logvar = nn.Linear(hidden_dim, latent_dim)
        self.decoder = _mlp((latent_dim, hidden_dim, IMAGE_PIXELS))

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Posterior parameters (mu, logvar), each (B, latent_dim)."""
        hidden = F.relu(self.encoder_hidden(flatten_images(x)))
        return self.to_mu(hidden), self.to_logvar(hidden)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor) -> Tensor:
        """One sample z = mu + sigma * eps with eps ~ N(0, I)."""
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode_logits(self, z: Tensor) -> Tensor:
        """Pre-sigmoid Bernoulli logits (B, 784) for codes z."""
        return self.decoder(z)

    def decode(self, z: Tensor) -> Tensor:
        """Bernoulli means in [0, 1], shape (B, 784)."""
        return torch.sigmoid(self.decode_logits(z))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(x_hat, mu, logvar), decoding one sampled z per image."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


def _mlp(widths: tuple[int, ...]) -> nn.Sequential:
    """Linear layers between consecutive `widths` with ReLU between them (none at the end)."""
    layers: list[nn.Module] = []
    for index, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        if index:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(fan_in, fan_out))
    return nn.Sequential(*layers)


def _bce_sum(model: nn.Module, z: Tensor, x_hat: Tensor | None, target: Tensor) -> Tensor:
    """BCE summed over pixels, averaged over the batch, from logits when the model offers them."""
    if x_hat is None:
        logits = model.decode_logits(z)
        total = F.binary_cross_entropy_with_logits(logits, target, reduction="sum")
    else:
        eps = 1e-6
        total = F.binary_cross_entropy(x_hat.clamp(eps, 1 - eps), target, reduction="sum")
    return total / target.shape[0]


def autoencoder_loss(model: nn.Module, x: Tensor) -> Tensor:
    """BCE summed over the 784 pixels, averaged over the batch (nats per image)."""
    target = flatten_images(x)
    if isinstance(model, MLPAutoencoder):
        return _bce_sum(model, model.encode(target), None, target)
    x_hat, _ = model(target)
    return _bce_sum(model, None, flatten_images(x_hat), target)


def vae_loss_terms(model: nn.Module, x: Tensor, beta: float = 1.0) -> dict[str, Tensor]:
    """Batch means in nats per image: recon (BCE), kl (to N(0, I)) and loss = recon + beta * kl."""
    target = flatten_images(x)
    if isinstance(model, MLPVAE):
        mu, logvar = model.encode(target)
        recon = _bce_sum(model, model.reparameterize(mu, logvar), None, target)
    else:
        x_hat, mu, logvar = model(target)
        recon = _bce_sum(model, None, flatten_images(x_hat), target)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum() / target.shape[0]
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}
