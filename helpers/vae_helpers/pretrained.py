"""Reference models trained on first use (with a progress bar) and cached for every later run.

A cache hit needs neither MNIST on disk nor any training: the checkpoint's key is computed from
the recipe and the model's settings alone, and the data is loaded only when training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any, TypeVar

import torch
from torch import Tensor, nn

from vae_helpers import settings
from vae_helpers._validation import check_positive_int
from vae_helpers.checkpoints import checkpoint_path, seeded_fork, train_or_load
from vae_helpers.data import load_mnist
from vae_helpers.device import resolve_device
from vae_helpers.models import (
    MLPVAE,
    Activation,
    MLPAutoencoder,
    autoencoder_loss,
    vae_loss_terms,
)
from vae_helpers.training import ADAM_BETAS, History, Schedule, evaluate, fit

CACHE_FORMAT = 4  # bump when the training recipe changes in a way the config does not capture

ModelT = TypeVar("ModelT", bound=nn.Module)
LossFn = Callable[[nn.Module, Tensor], "Tensor | Mapping[str, Tensor]"]


@dataclass(frozen=True)
class Recipe:
    """How a reference model is trained: epochs, data sizes and optimiser settings."""

    epochs: int
    train_limit: int | None
    test_limit: int | None
    lr: float  # the peak learning rate when schedule == "onecycle"
    batch_size: int = 128
    seed: int = 0
    schedule: Schedule = "constant"
    betas: tuple[float, float] = ADAM_BETAS  # Adam's


@dataclass(frozen=True)
class VAEArchitecture:
    """The reference VAE's layers (see vae_helpers.models.MLPVAE)."""

    hidden_dim: int = 400
    hidden_layers: int = 2
    activation: Activation = "elu"


# The reference VAE: notebook 03's architecture (784-400-400 ELU encoder, mirrored decoder),
# Adam (betas 0.9, 0.9) with a one-cycle schedule peaking at 4e-3, batch 128, 9 epochs on 20,000
# images: a test -ELBO of 103.9-104.2 nats per image (latent 20, four seeds) after about 4 s of
# training on two CPU cores with bfloat16 (6 s in float32). Chosen for time to quality: with
# Adam's usual beta2 = 0.999, 10 epochs give 105.0 and 12 are needed for 103.6-103.9; notebook
# 03's constant 1e-3 needs 27 epochs for 103.5. Figures: bench/README.md.
VAE_ARCHITECTURE = VAEArchitecture()
VAE_RECIPE = Recipe(
    epochs=9, train_limit=20_000, test_limit=None, lr=4e-3, schedule="onecycle", betas=(0.9, 0.9)
)
# Small latent spaces (2-D plots, explorers) settle in fewer epochs: about 153 nats (latent 2).
SMALL_LATENT_DIM = 2
SMALL_VAE_RECIPE = Recipe(
    epochs=10, train_limit=20_000, test_limit=None, lr=4e-3, schedule="onecycle"
)
AUTOENCODER_RECIPE = Recipe(
    epochs=8, train_limit=20_000, test_limit=None, lr=3e-3, schedule="onecycle"
)
# VAE_FAST=1 (CI): a couple of epochs on a slice, enough for plots and smoke tests.
FAST_RECIPE = Recipe(epochs=2, train_limit=5_000, test_limit=2_000, lr=3e-3)


def reference_vae(latent_dim: int = 20) -> MLPVAE:
    """An untrained reference VAE (the architecture pretrained_vae trains)."""
    return MLPVAE(
        latent_dim,
        VAE_ARCHITECTURE.hidden_dim,
        hidden_layers=VAE_ARCHITECTURE.hidden_layers,
        activation=VAE_ARCHITECTURE.activation,
    )


def reference_autoencoder(latent_dim: int = 2) -> MLPAutoencoder:
    """An untrained reference autoencoder (784-256-128-latent_dim)."""
    return MLPAutoencoder(latent_dim, (256, 128))


def _recipe(default: Recipe, epochs: int | None, caller: str) -> Recipe:
    """The recipe for this call: fast mode's or the default, with `epochs` overriding."""
    recipe = FAST_RECIPE if settings.fast_mode() else default
    check_positive_int(epochs, "epochs", caller, allow_none=True)
    return recipe if epochs is None else replace(recipe, epochs=epochs)


def _train_cached(
    name: str,
    model_factory: Callable[[], ModelT],
    loss_fn: LossFn,
    recipe: Recipe,
    model_config: dict[str, Any],
    device: torch.device,
    progress: bool,
    desc: str,
) -> tuple[ModelT, History]:
    """Build the model under a fixed seed, then load it from the checkpoint cache or train it.

    MNIST is read only on a cache miss. The test set is scored once, after training (the
    History's test lists hold that one value), which keeps evaluation out of the training time.
    """
    config = {
        **model_config,
        **asdict(recipe),
        "cache_format": CACHE_FORMAT,
        "data": "mnist",
    }
    with seeded_fork(device, recipe.seed):
        model = model_factory().to(device)

        def train() -> History:
            """Train from scratch with the recipe (called only on a cache miss)."""
            train_x, _ = load_mnist("train", device=device, limit=recipe.train_limit)
            test_x, _ = load_mnist("test", device=device, limit=recipe.test_limit)
            history = fit(
                model,
                loss_fn,
                train_x,
                epochs=recipe.epochs,
                batch_size=recipe.batch_size,
                lr=recipe.lr,
                schedule=recipe.schedule,
                betas=recipe.betas,
                bf16=True,  # where native (see has_native_bf16); losses: float32, from logits
                cuda_graph=True,  # CUDA only: one graph launch per step
                progress=progress,
                desc=desc,
            )
            for key, value in evaluate(model, loss_fn, test_x).items():
                history.test[key] = [value]
            return history

        path = checkpoint_path(name, config)
        cached = path.exists()
        history = train_or_load(name, model, train, config)
    if progress and cached:
        print(f"{desc}: loaded the cached model from {path}")
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
    """The reference MLP VAE (784-400-400-latent_dim, ELU) trained on MNIST, cached, in eval mode.

    ``history.test`` holds the test-set scores after training (one value per term).
    """
    if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
        raise ValueError(f"pretrained_vae: beta must be a number >= 0, got {beta!r}")
    reference_vae(latent_dim)  # validates latent_dim before anything else happens
    default = VAE_RECIPE if latent_dim > SMALL_LATENT_DIM else SMALL_VAE_RECIPE
    recipe = _recipe(default, epochs, "pretrained_vae")
    beta = float(beta)

    def loss_fn(model: nn.Module, x: Tensor) -> dict[str, Tensor]:
        """The β-weighted negative ELBO and its terms."""
        return vae_loss_terms(model, x, beta=beta)

    return _train_cached(
        "vae",
        lambda: reference_vae(latent_dim),
        loss_fn,
        recipe,
        {"model": "MLPVAE", "latent_dim": latent_dim, **asdict(VAE_ARCHITECTURE), "beta": beta},
        resolve_device(device),
        progress,
        f"VAE (latent {latent_dim}, β={beta:g})",
    )


def pretrained_autoencoder(
    latent_dim: int = 2,
    *,
    epochs: int | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> tuple[MLPAutoencoder, History]:
    """A 784-256-128-latent_dim MLP autoencoder trained on MNIST (cached), in eval mode."""
    reference_autoencoder(latent_dim)  # validates latent_dim before anything else happens
    recipe = _recipe(AUTOENCODER_RECIPE, epochs, "pretrained_autoencoder")
    return _train_cached(
        "autoencoder",
        lambda: reference_autoencoder(latent_dim),
        autoencoder_loss,
        recipe,
        {"model": "MLPAutoencoder", "latent_dim": latent_dim, "hidden_dims": [256, 128]},
        resolve_device(device),
        progress,
        f"autoencoder (latent {latent_dim})",
    )
