"""Reference models, the fit loop, the checkpoint cache and the pretrained models."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from vae_helpers import pretrained, training
from vae_helpers.checkpoints import checkpoint_path, train_or_load
from vae_helpers.models import (
    MLPVAE,
    MLPAutoencoder,
    autoencoder_loss,
    flatten_images,
    vae_loss_terms,
)
from vae_helpers.training import History, evaluate, fit


def _toy_images(count: int = 256, seed: int = 0) -> torch.Tensor:
    """Learnable fake 'digits': a few fixed blurry blobs plus noise, in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    prototypes = torch.rand(4, 1, 28, 28, generator=generator).round()
    which = torch.randint(0, 4, (count,), generator=generator)
    noise = 0.1 * torch.rand(count, 1, 28, 28, generator=generator)
    return (prototypes[which] * 0.9 + noise).clamp(0, 1)


def test_flatten_images_shapes() -> None:
    for shape in [(3, 784), (3, 28, 28), (3, 1, 28, 28)]:
        assert flatten_images(torch.zeros(shape)).shape == (3, 784)
    with pytest.raises(ValueError, match=r"shape \(3, 3, 28, 28\), expected \(N, 784\)"):
        flatten_images(torch.zeros(3, 3, 28, 28))


def test_model_shapes_and_ranges() -> None:
    x = _toy_images(5)
    vae = MLPVAE(latent_dim=7, hidden_dim=32)
    x_hat, mu, logvar = vae(x)
    assert x_hat.shape == (5, 784) and mu.shape == (5, 7) and logvar.shape == (5, 7)
    assert float(x_hat.detach().min()) >= 0.0 and float(x_hat.detach().max()) <= 1.0
    ae = MLPAutoencoder(latent_dim=3, hidden_dims=(16,))
    x_hat, z = ae(x)
    assert x_hat.shape == (5, 784) and z.shape == (5, 3)
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        MLPVAE(latent_dim=0)


def test_vae_loss_terms_match_the_formula() -> None:
    torch.manual_seed(0)
    x = _toy_images(9)
    vae = MLPVAE(latent_dim=4, hidden_dim=16)
    torch.manual_seed(1)
    terms = vae_loss_terms(vae, x, beta=2.0)
    torch.manual_seed(1)  # same noise: recompute by hand from forward()
    x_hat, mu, logvar = vae(x)
    recon = nn.functional.binary_cross_entropy(x_hat, x.reshape(9, -1), reduction="sum") / 9
    kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp()) / 9
    assert torch.allclose(terms["recon"], recon, rtol=1e-4)
    assert torch.allclose(terms["kl"], kl, rtol=1e-4)
    assert torch.allclose(terms["loss"], recon + 2.0 * kl, rtol=1e-4)
    assert float(terms["kl"]) >= 0.0


def test_autoencoder_loss_matches_bce() -> None:
    x = _toy_images(6)
    ae = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    expected = nn.functional.binary_cross_entropy(ae(x)[0], x.reshape(6, -1), reduction="sum") / 6
    assert torch.allclose(autoencoder_loss(ae, x), expected, rtol=1e-4)


def test_fit_reduces_loss_and_records_history() -> None:
    train_x, test_x = _toy_images(512, seed=0), _toy_images(128, seed=0)
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=4, hidden_dim=64)
    before = evaluate(model, vae_loss_terms, test_x)
    history = fit(model, vae_loss_terms, train_x, test_x, epochs=3, lr=3e-3, seed=0, progress=False)
    assert set(history.train) == {"loss", "recon", "kl"} == set(history.test)
    assert len(history.train["loss"]) == 3 == len(history.seconds) == history.epochs
    assert history.train["loss"][-1] < history.train["loss"][0]
    assert history.test["loss"][-1] < 0.8 * before["loss"]
    assert History.from_dict(history.to_dict()) == history


def test_fit_is_reproducible_with_a_seed() -> None:
    x = _toy_images(300)
    results = []
    for _ in range(2):
        torch.manual_seed(5)
        model = MLPAutoencoder(latent_dim=2, hidden_dims=(16,))
        results.append(fit(model, autoencoder_loss, x, epochs=2, seed=3, progress=False))
    assert results[0].train == results[1].train


def test_evaluate_restores_training_mode() -> None:
    model = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    model.train()
    scores = evaluate(model, autoencoder_loss, _toy_images(10), batch_size=3)
    assert model.training and set(scores) == {"loss"}


def test_fit_rejects_bad_input() -> None:
    model = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, autoencoder_loss, _toy_images(8), epochs=0, progress=False)
    with pytest.raises(ValueError, match="is on meta but the model is on cpu"):
        fit(model, autoencoder_loss, torch.zeros(8, 784, device="meta"), epochs=1, progress=False)
    with pytest.raises(TypeError, match="mapping with key 'loss'"):
        fit(
            model,
            lambda m, x: {"recon": autoencoder_loss(m, x)},
            _toy_images(8),
            epochs=1,
            progress=False,
        )


def _train_small(model: nn.Module, calls: list[int]) -> History:
    calls.append(1)
    return fit(model, autoencoder_loss, _toy_images(64), epochs=1, progress=False)


def test_checkpoint_cache_reloads_the_same_weights(private_environment: Path) -> None:
    config = {"latent_dim": 2, "epochs": 1, "lr": 1e-3}
    path = checkpoint_path("toy", config)
    assert path.parent == private_environment and path.name.startswith("toy-")
    assert checkpoint_path("toy", {**config, "lr": 2e-3}) != path
    assert checkpoint_path("toy", dict(reversed(config.items()))) == path  # key order is ignored

    calls: list[int] = []
    trained = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    history = train_or_load("toy", trained, lambda: _train_small(trained, calls), config)
    assert calls == [1] and path.is_file()
    assert not list(path.parent.glob("*.tmp"))  # the atomic write left no temporary file

    fresh = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    loaded = train_or_load("toy", fresh, lambda: _train_small(fresh, calls), config)
    assert calls == [1]  # not retrained
    assert loaded == history
    for key, value in trained.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value)


def test_corrupt_checkpoint_is_set_aside_and_retrained() -> None:
    config = {"latent_dim": 2}
    path = checkpoint_path("toy", config)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    calls: list[int] = []
    model = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    with pytest.warns(RuntimeWarning, match="could not be loaded"):
        train_or_load("toy", model, lambda: _train_small(model, calls), config)
    assert calls == [1]
    assert path.with_name(path.name + ".corrupt").read_bytes() == b"not a checkpoint"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new checkpoint loads cleanly
        train_or_load("toy", model, lambda: _train_small(model, calls), config)
    assert calls == [1]


def test_incompatible_checkpoint_is_retrained_from_a_clean_model() -> None:
    config = {"name": "shape-change"}
    small = MLPAutoencoder(latent_dim=2, hidden_dims=(8,))
    train_or_load("toy", small, lambda: _train_small(small, []), config)
    other = MLPAutoencoder(latent_dim=2, hidden_dims=(9,))
    calls: list[int] = []
    with pytest.warns(RuntimeWarning, match="moved it to"):
        train_or_load("toy", other, lambda: _train_small(other, calls), config)
    assert calls == [1]


def test_checkpoint_config_must_be_json() -> None:
    with pytest.raises(TypeError, match="JSON values"):
        checkpoint_path("toy", {"device": torch.device("cpu")})
    with pytest.raises(ValueError, match="non-empty file-name part"):
        checkpoint_path("a/b", {})


def test_pretrained_vae_trains_once_then_loads(
    mnist_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    monkeypatch.setenv("VAE_FAST", "1")
    monkeypatch.setattr(
        pretrained,
        "FAST_RECIPE",
        pretrained.Recipe(epochs=1, train_limit=1000, test_limit=300, lr=3e-3),
    )
    model, history = pretrained_vae_call()
    assert isinstance(model, MLPVAE) and not model.training and model.latent_dim == 20
    assert history.epochs == 1 and history.test["loss"][0] < 400

    def no_training(*args: object, **kwargs: object) -> History:
        raise AssertionError("the cached model should have been loaded, not retrained")

    monkeypatch.setattr(pretrained, "fit", no_training)
    again, history_again = pretrained_vae_call()
    assert history_again == history
    assert all(
        torch.equal(a, b) for a, b in zip(again.parameters(), model.parameters(), strict=True)
    )
    with pytest.raises(ValueError, match="beta must be a number >= 0"):
        pretrained.pretrained_vae(beta=-1)


def pretrained_vae_call() -> tuple[MLPVAE, History]:
    """The call the test repeats: default latent size, CPU, no progress bar."""
    return pretrained.pretrained_vae(device="cpu", progress=False)


def test_pretrained_autoencoder_fast(mnist_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAE_DATA_DIR", str(mnist_root))
    monkeypatch.setenv("VAE_FAST", "1")
    monkeypatch.setattr(
        pretrained,
        "FAST_RECIPE",
        pretrained.Recipe(epochs=1, train_limit=1000, test_limit=300, lr=3e-3),
    )
    model, history = pretrained.pretrained_autoencoder(latent_dim=2, device="cpu", progress=False)
    assert isinstance(model, MLPAutoencoder) and model.latent_dim == 2
    assert history.test["loss"][0] < 300


def _previous_fit_loop(
    model: nn.Module,
    loss_fn,
    train_x: torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    seed: int,
) -> dict[str, list[float]]:
    """The fit loop before the speed work: for-loop Adam, per-key sums, one sync per epoch."""
    from vae_helpers.data import batches
    from vae_helpers.device import seed_everything

    seed_everything(seed)
    generator = torch.Generator(device=train_x.device).manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, foreach=False)
    history: dict[str, list[float]] = {}
    for _ in range(epochs):
        model.train()
        sums: dict[str, torch.Tensor] = {}
        seen = 0
        for batch in batches(train_x, batch_size=batch_size, generator=generator):
            terms = loss_fn(model, batch)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].backward()
            optimizer.step()
            for key, value in terms.items():
                weighted = value.detach().reshape(()) * len(batch)
                sums[key] = sums[key] + weighted if key in sums else weighted
            seen += len(batch)
        for key, total in sums.items():
            history.setdefault(key, []).append(float(total) / seen)
    return history


def _old_vae_loss_terms(model: MLPVAE, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The reference loss written out by hand, as the package had it before (for comparison)."""
    target = flatten_images(x)
    mu, logvar = model.encode(target)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    logits = model.decode_logits(z)
    recon = nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(x)
    kl = 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum() / len(x)
    return {"loss": recon + kl, "recon": recon, "kl": kl}


def test_fit_matches_the_previous_loop() -> None:
    """A seeded run's history equals the old loop's (and the old hand-written loss) within float
    tolerance: the foreach Adam update, the on-device accumulation, rsample and kl_divergence
    change no result beyond rounding."""
    train_x = _toy_images(400, seed=2)
    torch.manual_seed(7)
    reference = MLPVAE(latent_dim=4, hidden_dim=32, hidden_layers=2, activation="elu")
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    old = _previous_fit_loop(
        reference, _old_vae_loss_terms, train_x, epochs=3, batch_size=64, lr=2e-3, seed=11
    )
    model = MLPVAE(latent_dim=4, hidden_dim=32, hidden_layers=2, activation="elu")
    model.load_state_dict(state)
    new = fit(
        model, vae_loss_terms, train_x, epochs=3, batch_size=64, lr=2e-3, seed=11, progress=False
    )
    assert set(new.train) == set(old) == {"loss", "recon", "kl"}
    for key, values in old.items():
        assert new.train[key] == pytest.approx(values, rel=1e-4, abs=1e-4), key
    for a, b in zip(model.parameters(), reference.parameters(), strict=True):
        assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_fit_onecycle_schedule_and_bad_schedule() -> None:
    x = _toy_images(512)
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=2, hidden_dim=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = fit(
        model,
        vae_loss_terms,
        x,
        epochs=2,
        lr=5e-3,
        batch_size=64,
        optimizer=optimizer,
        schedule="onecycle",
        progress=False,
    )
    assert history.epochs == 2
    assert optimizer.param_groups[0]["lr"] < 5e-3 / 20  # annealed far below the peak
    tiny = fit(model, vae_loss_terms, x[:10], epochs=2, schedule="onecycle", progress=False)
    assert tiny.epochs == 2  # too few steps for a cycle: constant rate, no error
    with pytest.raises(ValueError, match="schedule must be 'constant' or 'onecycle'"):
        fit(model, vae_loss_terms, x, epochs=1, schedule="cosine", progress=False)  # type: ignore[arg-type]


def test_positive_int_check_is_shared() -> None:
    from vae_helpers._validation import check_positive_int

    assert check_positive_int(3, "n", "f") == 3
    assert check_positive_int(None, "n", "f", allow_none=True) is None
    with pytest.raises(ValueError, match="f: n must be a positive int, got True"):
        check_positive_int(True, "n", "f")
    with pytest.raises(ValueError, match="f: n must be an int >= 2, got 1"):
        check_positive_int(1, "n", "f", minimum=2)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        fit(MLPVAE(2, 8), vae_loss_terms, _toy_images(8), epochs=1, batch_size=0, progress=False)


def test_cached_pretrained_model_loads_without_mnist(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A checkpoint-cache hit reads no MNIST at all (the data folder may be empty)."""
    monkeypatch.setenv("VAE_FAST", "1")
    monkeypatch.setattr(
        pretrained,
        "FAST_RECIPE",
        pretrained.Recipe(epochs=1, train_limit=64, test_limit=32, lr=3e-3),
    )
    loads: list[str] = []

    def fake_mnist(split: str, *, device: object = None, limit: int | None = None, **_: object):
        loads.append(split)
        images = _toy_images(limit or 64, seed=0 if split == "train" else 1)
        return images.to(device), torch.zeros(len(images), dtype=torch.int64)

    monkeypatch.setattr(pretrained, "load_mnist", fake_mnist)
    model, history = pretrained.pretrained_vae(latent_dim=3, device="cpu", progress=False)
    assert loads == ["train", "test"] and history.test["loss"]

    def no_mnist(*args: object, **kwargs: object) -> None:
        raise AssertionError("a cache hit must not load MNIST")

    monkeypatch.setattr(pretrained, "load_mnist", no_mnist)
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "empty"))
    again, history_again = pretrained.pretrained_vae(latent_dim=3, device="cpu", progress=False)
    assert history_again == history
    assert all(
        torch.equal(a, b) for a, b in zip(again.parameters(), model.parameters(), strict=True)
    )


def _fit_toy(bf16: bool) -> History:
    """Three seeded epochs of a small MLPVAE, with or without bf16 asked for."""
    train_x = _toy_images(384, seed=3)
    torch.manual_seed(5)
    model = MLPVAE(latent_dim=4, hidden_dim=32, hidden_layers=2, activation="elu")
    return fit(
        model, vae_loss_terms, train_x, epochs=3, batch_size=64, seed=4, bf16=bf16, progress=False
    )


def test_fit_bf16_is_ignored_without_native_bfloat16(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where bfloat16 would be emulated (slower than float32), bf16=True changes nothing."""
    monkeypatch.setattr(training, "has_native_bf16", lambda device: False)
    assert _fit_toy(bf16=True).train == _fit_toy(bf16=False).train


def test_fit_bf16_on_the_cpu_autocasts_and_keeps_the_losses_in_float32(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With native bfloat16 (forced here, so any CPU runs it) the layers run in bfloat16 while the
    loss terms stay float32: the history is close to float32's but not identical to it."""
    monkeypatch.setattr(training, "has_native_bf16", lambda device: True)
    dtypes: set[torch.dtype] = set()
    real_loss = vae_loss_terms

    def spying_loss(model: nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """vae_loss_terms, recording the dtype of the first layer's output and of the terms."""
        dtypes.add(model.encoder[0](x.reshape(len(x), -1)).dtype)
        terms = real_loss(model, x)
        dtypes.update(value.dtype for value in terms.values())
        return terms

    train_x = _toy_images(384, seed=3)
    torch.manual_seed(5)
    model = MLPVAE(latent_dim=4, hidden_dim=32, hidden_layers=2, activation="elu")
    mixed = fit(
        model, spying_loss, train_x, epochs=3, batch_size=64, seed=4, bf16=True, progress=False
    )
    assert dtypes == {torch.bfloat16, torch.float32}
    plain = _fit_toy(bf16=False)
    assert mixed.train["loss"] != plain.train["loss"]
    assert mixed.train["loss"] == pytest.approx(plain.train["loss"], rel=0.02)
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_vae_loss_terms_under_autocast_computes_the_kl_in_float32() -> None:
    """The KL from bfloat16 layer outputs is summed in float32 (a bfloat16 sum of a batch's KL
    would be off by whole nats)."""
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=20, hidden_dim=64, hidden_layers=1)
    x = _toy_images(256, seed=1)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        terms = vae_loss_terms(model, x)
        mu, logvar = model.encode(x)
    assert mu.dtype == torch.bfloat16
    assert all(value.dtype == torch.float32 for value in terms.values())
    exact = 0.5 * (mu.double().pow(2) + logvar.double().exp() - 1 - logvar.double()).sum() / len(x)
    assert terms["kl"].item() == pytest.approx(exact.item(), rel=1e-5)


def test_fit_betas_set_the_default_adam() -> None:
    """betas=(0.9, 0.9) trains as an Adam built with those betas would, and unlike the default."""
    train_x = _toy_images(256, seed=6)

    def run(**kwargs: object) -> list[float]:
        """Two seeded epochs from the same initial weights."""
        torch.manual_seed(8)
        model = MLPVAE(latent_dim=4, hidden_dim=32, hidden_layers=2, activation="elu")
        if kwargs.pop("explicit", False):
            kwargs["optimizer"] = torch.optim.Adam(model.parameters(), lr=3e-3, betas=(0.9, 0.9))
        history = fit(
            model, vae_loss_terms, train_x, epochs=2, lr=3e-3, seed=9, progress=False, **kwargs
        )
        return history.train["loss"]

    chosen = run(betas=(0.9, 0.9))
    assert chosen == pytest.approx(run(explicit=True), rel=1e-5)
    assert chosen != pytest.approx(run(), rel=1e-5)
    model = MLPVAE(latent_dim=2, hidden_dim=8)
    assert training.default_optimizer(model, 1e-3, (0.8, 0.95)).param_groups[0]["betas"] == (
        0.8,
        0.95,
    )


@pytest.mark.parametrize("betas", [(0.9,), (0.9, 1.0), (-0.1, 0.9)])
def test_fit_rejects_bad_betas(betas: tuple[float, ...]) -> None:
    model = MLPVAE(latent_dim=2, hidden_dim=8)
    with pytest.raises(ValueError, match=r"betas must be two numbers in \[0, 1\)"):
        fit(model, vae_loss_terms, _toy_images(16), epochs=1, betas=betas, progress=False)  # type: ignore[arg-type]


def test_reference_recipe_passes_its_betas_to_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """pretrained_vae trains with VAE_RECIPE's betas (the time-to-quality recipe), not Adam's."""
    seen: dict[str, object] = {}

    def recording_fit(*args: object, **kwargs: object) -> History:
        seen.update(kwargs)
        raise RuntimeError("stop after recording")

    monkeypatch.setattr(pretrained, "fit", recording_fit)
    monkeypatch.setattr(pretrained, "load_mnist", lambda *a, **k: (torch.zeros(4, 784), None))
    monkeypatch.delenv("VAE_FAST", raising=False)
    with pytest.raises(RuntimeError, match="stop after recording"):
        pretrained.pretrained_vae(device="cpu", progress=False)
    assert seen["betas"] == pretrained.VAE_RECIPE.betas == (0.9, 0.9)
    assert seen["epochs"] == pretrained.VAE_RECIPE.epochs


def test_fit_indexed_rejects_bad_sizes() -> None:
    from vae_helpers.training import fit_indexed

    model = MLPVAE(latent_dim=2, hidden_dim=8)
    optimizer = torch.optim.Adam(model.parameters())
    for bad in ({"rows": 0}, {"epochs": 0}, {"batch_size": -1}):
        kwargs: dict = {"rows": 10, "epochs": 1, "batch_size": 4, **bad}
        with pytest.raises(ValueError, match=f"fit_indexed: {next(iter(bad))}"):
            fit_indexed(
                model,
                lambda index: torch.zeros(()),
                kwargs.pop("rows"),
                optimizer=optimizer,
                device=torch.device("cpu"),
                progress=False,
                **kwargs,
            )
