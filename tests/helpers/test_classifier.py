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


def test_classifier_training_equals_the_hand_written_loop_it_replaced() -> None:
    """fit_indexed with labels gives the old loop's weights bit for bit (cached models stay valid).

    The old loop: batches(x, y) under the seeded generator, fused Adam, OneCycleLR with torch's
    default momentum cycling, scheduler stepped after every optimizer step.
    """
    import torch.nn.functional as F

    from vae_helpers import schedules
    from vae_helpers.data import batches
    from vae_helpers.training import default_optimizer, fit_indexed

    images = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    labels = torch.randint(0, 10, (200,), generator=torch.Generator().manual_seed(5))
    torch.manual_seed(0)
    old = DigitClassifier()
    new = DigitClassifier()
    new.load_state_dict(old.state_dict())
    lr, epochs, batch_size = 3e-3, 2, 64  # 4 batches per epoch, the last one short

    optimizer = default_optimizer(old, lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=lr, total_steps=epochs * 4, pct_start=0.25
    )
    generator = torch.Generator().manual_seed(7)
    old.train()
    for _ in range(epochs):
        for x, y in batches(images, labels, batch_size=batch_size, generator=generator):
            loss = F.cross_entropy(old(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()

    history = fit_indexed(
        new,
        lambda index: F.cross_entropy(new(images[index]), labels[index]),
        len(images),
        epochs=epochs,
        batch_size=batch_size,
        optimizer=default_optimizer(new, lr),
        scheduler=schedules.onecycle(lr, cycle_momentum=True),
        device=torch.device("cpu"),
        generator=torch.Generator().manual_seed(7),
        progress=False,
    )
    assert history.epochs == epochs and len(history.train["loss"]) == epochs
    for name, value in old.state_dict().items():
        assert torch.equal(value, new.state_dict()[name]), name
