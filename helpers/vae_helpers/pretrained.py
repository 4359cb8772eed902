"""Reference models trained on first use (with a progress bar) and cached for every later run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from vae_helpers import settings
from vae_helpers.checkpoints import checkpoint_path, train_or_load
from vae_helpers.data import load_mnist
from vae_helpers.device import resolve_device
from vae_helpers.models import MLPVAE, MLPAutoencoder, autoencoder_loss, vae_loss_terms
from vae_helpers.training import History, fit

CACHE_FORMAT = 1  # bump when the training recipe changes in a way the config does not capture


@dataclass(frozen=True)
class Recipe:
    """How a reference model is trained: epochs, data sizes and optimiser settings."""

    epochs: int
    train_limit: int | None
    test_limit: int | None
    lr: float
    batch_size: int = 128
    seed: int = 0


# Measured on 2 CPU threads: about 2 s per epoch on 20,000 images, so the full recipes take
# about a minute; the VAE reaches a test -ELBO of about 108-109 nats per image (latent 20).
VAE_RECIPE = Recipe(epochs=15, train_limit=20_000, test_limit=None, lr=3e-3)
AUTOENCODER_RECIPE = Recipe(epochs=15, train_limit=20_000, test_limit=None, lr=3e-3)
# VAE_FAST=1 (CI): a couple of epochs on a slice, enough for plots and smoke tests.
FAST_RECIPE = Recipe(epochs=2, train_limit=5_000, test_limit=2_000, lr=3e-3)


def _recipe(default: Recipe, epochs: int | None, caller: str) -> Recipe:
    """The recipe for this call: fast mode's or the default, with `epochs` overriding."""
    recipe = FAST_RECIPE if settings.fast_mode() else default
    if epochs is None:
        return recipe
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"{caller}: epochs must be a positive int or None, got {epochs!r}")
    return Recipe(
        epochs, recipe.train_limit, recipe.test_limit, recipe.lr, recipe.batch_size, recipe.seed
    )


def _train_cached(
    name: str,
    model_factory: Any,
    loss_fn: Any,
    recipe: Recipe,
    model_config: dict[str, Any],
    device: torch.device,
    progress: bool,
    desc: str,
) -> tuple[nn.Module, History]:
    """Build the model under a fixed seed, then train it or load it from the checkpoint cache."""
    train_x, _ = load_mnist("train", device=device, limit=recipe.train_limit)
    test_x, _ = load_mnist("test", device=device, limit=recipe.test_limit)
    config = {
        **model_config,
        "cache_format": CACHE_FORMAT,
        "epochs": recipe.epochs,
        "lr": recipe.lr,
        "batch_size": recipe.batch_size,
        "seed": recipe.seed,
        "train_limit": recipe.train_limit,
        "train_size": len(train_x),
        "test_size": len(test_x),
    }
    cuda_devices = []
    if device.type == "cuda":
        cuda_devices = [torch.cuda.current_device() if device.index is None else device.index]
    # Fork the RNG so the notebook's own random stream is the same whether we train or load.
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(recipe.seed)
        model = model_factory().to(device)

        def train() -> History:
            """Train from scratch with the recipe (called only on a cache miss)."""
            return fit(
                model,
                loss_fn,
                train_x,
                test_x,
                epochs=recipe.epochs,
                batch_size=recipe.batch_size,
                lr=recipe.lr,
                progress=progress,
                desc=desc,
            )

        cached = checkpoint_path(name, config).exists()
        history = train_or_load(name, model, train, config)
    if progress and cached:
        print(f"{desc}: loaded the cached model from {checkpoint_path(name, config)}")
    model.eval()
    return model, history


def pretrained_vae(
    latent_dim: int = 20,
    *,
    beta: float = 1.0,
    epochs: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[MLPVAE, History]:
    """A 784-400-latent_dim MLP VAE trained on MNIST (cached after the first call), in eval mode."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
        raise ValueError(f"pretrained_vae: beta must be a number >= 0, got {beta!r}")
    MLPVAE(latent_dim)  # validates latent_dim before any data is loaded
    recipe = _recipe(VAE_RECIPE, epochs, "pretrained_vae")
    beta = float(beta)

    def loss_fn(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The β-weighted negative ELBO and its terms."""
        return vae_loss_terms(model, x, beta=beta)

    model, history = _train_cached(
        "vae",
        lambda: MLPVAE(latent_dim),
        loss_fn,
        recipe,
        {"model": "MLPVAE", "latent_dim": latent_dim, "hidden_dim": 400, "beta": beta},
        resolve_device(device),
        progress,
        f"VAE (latent {latent_dim}, β={beta:g})",
    )
    return model, history  # type: ignore[return-value]


def pretrained_autoencoder(
    latent_dim: int = 2,
    *,
    epochs: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[MLPAutoencoder, History]:
    """A 784-256-128-latent_dim MLP autoencoder trained on MNIST (cached), in eval mode."""
    MLPAutoencoder(latent_dim)  # validates latent_dim before any data is loaded
    recipe = _recipe(AUTOENCODER_RECIPE, epochs, "pretrained_autoencoder")
    model, history = _train_cached(
        "autoencoder",
        lambda: MLPAutoencoder(latent_dim),
        autoencoder_loss,
        recipe,
        {"model": "MLPAutoencoder", "latent_dim": latent_dim, "hidden_dims": [256, 128]},
        resolve_device(device),
        progress,
        f"autoencoder (latent {latent_dim})",
    )
    return model, history  # type: ignore[return-value]
