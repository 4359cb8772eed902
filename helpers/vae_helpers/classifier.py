"""A small MNIST digit classifier, trained on first use and cached, to score generated digits.

`load_classifier()` returns a convolutional network in eval mode that maps images of shape
(B, 1, 28, 28) or (B, 784), pixel values in [0, 1], to logits of shape (B, 10). It is trained
once with the checkpoint cache (`vae_helpers.checkpoints.train_or_load`) and loaded afterwards;
`model.test_accuracy` holds its accuracy on the MNIST test images, measured after training.

It is a measuring instrument for generated samples, not a state-of-the-art classifier: a
confident label for a decoded image says that the image resembles one digit class, no more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from vae_helpers import schedules, settings
from vae_helpers.checkpoints import checkpoint_path, seeded_fork, train_or_load
from vae_helpers.data import load_mnist
from vae_helpers.device import resolve_device
from vae_helpers.training import History, default_optimizer, fit_indexed

CACHE_FORMAT = 1  # bump when the training code changes in a way the config does not capture


@dataclass(frozen=True)
class ClassifierRecipe:
    """How the classifier is trained: data sizes, epochs and optimiser settings."""

    epochs: int
    train_limit: int | None
    test_limit: int | None
    lr: float = 3e-3  # the peak of a one-cycle schedule
    batch_size: int = 128
    seed: int = 0


# Five epochs on 20,000 images: about 98.5 % test accuracy, about 5 s of one CPU core.
CLASSIFIER_RECIPE = ClassifierRecipe(epochs=5, train_limit=20_000, test_limit=None)
# VAE_FAST=1 (CI): about a second on a slice; the accuracy is lower (about 96 %).
FAST_CLASSIFIER_RECIPE = ClassifierRecipe(
    epochs=2, train_limit=5_000, test_limit=2_000, lr=1e-2, batch_size=64
)


class DigitClassifier(nn.Module):
    """LeNet-style: two 5x5 convolutions with max pooling (28 -> 24 -> 12 -> 8 -> 4), then MLP."""

    def __init__(self, channels: tuple[int, int] = (6, 16), hidden: int = 120) -> None:
        super().__init__()
        first, second = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, first, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(first, second, kernel_size=5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(
            nn.Flatten(), nn.Linear(second * 4 * 4, hidden), nn.ReLU(), nn.Linear(hidden, 10)
        )
        self.test_accuracy: float | None = None  # set by load_classifier

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for images (B, 1, 28, 28), (B, 28, 28) or (B, 784) in [0, 1]."""
        if x.dim() < 2 or x[0].numel() != 784:
            raise ValueError(
                f"DigitClassifier: expected images of shape (B, 784) or (B, 1, 28, 28), "
                f"got {tuple(x.shape)}"
            )
        return self.head(self.features(x.reshape(len(x), 1, 28, 28)))


@torch.no_grad()
def accuracy(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """Share of `images` whose arg-max logit is the label (the model is put in eval mode)."""
    model.eval()
    correct = 0
    for start in range(0, len(images), batch_size):
        logits = model(images[start : start + batch_size])
        correct += int((logits.argmax(dim=1) == labels[start : start + batch_size]).sum())
    return correct / len(images)


def _train(
    model: DigitClassifier, recipe: ClassifierRecipe, device: torch.device, progress: bool
) -> History:
    """Cross-entropy training with a one-cycle schedule (fit's loop); test accuracy scored once."""
    train_x, train_y = load_mnist("train", device=device, limit=recipe.train_limit)
    test_x, test_y = load_mnist("test", device=device, limit=recipe.test_limit)

    def batch_loss(index: Tensor) -> Tensor:
        """Mean cross-entropy of the rows `index`."""
        return F.cross_entropy(model(train_x[index]), train_y[index])

    history = fit_indexed(
        model,
        batch_loss,
        len(train_x),
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        optimizer=default_optimizer(model, recipe.lr),
        # Cycles Adam's beta1 too (torch's default), as the cached classifiers were trained.
        scheduler=schedules.onecycle(recipe.lr, cycle_momentum=True),
        device=device,
        generator=torch.Generator(device=device).manual_seed(recipe.seed),
        progress=progress,
        desc="digit classifier",
    )
    history.test["accuracy"] = [accuracy(model, test_x, test_y)]
    return history


def load_classifier(
    device: torch.device | str | None = None, *, progress: bool = True
) -> DigitClassifier:
    """The digit classifier in eval mode: trained on the first call, loaded from the cache after.

    It maps images (B, 1, 28, 28) or (B, 784) in [0, 1] to logits (B, 10); its attribute
    `test_accuracy` is the share of MNIST test images it labels correctly.
    """
    target = resolve_device(device)
    recipe = FAST_CLASSIFIER_RECIPE if settings.fast_mode() else CLASSIFIER_RECIPE
    config = {
        "model": "DigitClassifier",
        "channels": [6, 16],
        "hidden": 120,
        **asdict(recipe),
        "cache_format": CACHE_FORMAT,
        "data": "mnist",
    }
    with seeded_fork(target, recipe.seed):
        model = DigitClassifier().to(target)
        cached = checkpoint_path("classifier", config).exists()
        history = train_or_load(
            "classifier", model, lambda: _train(model, recipe, target, progress), config
        )
    model.eval()
    model.test_accuracy = history.test["accuracy"][-1]
    if progress:
        where = "loaded from the cache" if cached else f"trained in {sum(history.seconds):.0f} s"
        print(f"digit classifier ({where}): test accuracy {model.test_accuracy:.1%}")
    return model
