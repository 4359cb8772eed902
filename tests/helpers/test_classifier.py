"""The digit classifier that scores generated samples: shapes, training, cache and RNG."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from vae_helpers import classifier
from vae_helpers.classifier import DigitClassifier, load_classifier


def test_classifier_accepts_flat_and_image_batches() -> None:
    torch.manual_seed(0)
    model = DigitClassifier().eval()
    images = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        from_images, from_flat = model(images), model(images.reshape(5, 784))
    assert from_images.shape == (5, 10)
    assert torch.allclose(from_images, from_flat)
    with pytest.raises(ValueError, match=r"\(B, 784\) or \(B, 1, 28, 28\)"):
        model(torch.rand(5, 3, 28, 28))


def test_load_classifier_trains_once_then_loads(
    mnist_root: Path, monkeypatch: pytest.MonkeyPatch, private_environment: Path
) -> None:
    """Fast mode: trains on a slice in seconds, labels test digits well, then loads from cache."""
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    monkeypatch.setenv("VAE_FAST", "1")
    torch.manual_seed(123)
    state = torch.get_rng_state()
    model = load_classifier(device="cpu", progress=False)
    assert torch.equal(torch.get_rng_state(), state), "training must not move the caller's RNG"
    assert not model.training, "load_classifier must return the model in eval mode"
    assert model.test_accuracy is not None and model.test_accuracy > 0.9, model.test_accuracy
    assert list(private_environment.glob("classifier-*.pt")), "the checkpoint was not saved"

    from vae_helpers.data import load_mnist

    test_x, test_y = load_mnist("test", device="cpu", limit=500)
    with torch.no_grad():
        logits = model(test_x)
    assert logits.shape == (500, 10) and torch.isfinite(logits).all()
    assert (logits.argmax(dim=1) == test_y).float().mean() > 0.9

    def no_mnist(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cached classifier must load without reading MNIST")

    monkeypatch.setattr(classifier, "load_mnist", no_mnist)
    again = load_classifier(device="cpu", progress=False)
    assert again.test_accuracy == model.test_accuracy
    with torch.no_grad():
        assert torch.equal(again(test_x), logits)
