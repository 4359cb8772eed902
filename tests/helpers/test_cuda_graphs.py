"""fit's CUDA-graph support, as far as a CPU can check it (the GPU run is bench/gpu_check.py)."""

from __future__ import annotations

import warnings

import pytest
import torch

from vae_helpers import cuda_graphs, schedules
from vae_helpers.data import batches, index_batches
from vae_helpers.models import MLPVAE, vae_loss_terms
from vae_helpers.training import fit


def _images(count: int, seed: int = 0) -> torch.Tensor:
    """Random grey images in [0, 1], shape (count, 1, 28, 28)."""
    return torch.rand(count, 1, 28, 28, generator=torch.Generator().manual_seed(seed))


def test_index_batches_match_batches() -> None:
    """Same permutation and chunks (the last one shorter) as batches() under the same generator."""
    x = torch.arange(10).float().unsqueeze(1)
    chunks = list(batches(x, batch_size=4, generator=torch.Generator().manual_seed(3)))
    indices = list(
        index_batches(10, 4, device=x.device, generator=torch.Generator().manual_seed(3))
    )
    assert [len(i) for i in indices] == [4, 4, 2]
    for chunk, index in zip(chunks, indices, strict=True):
        assert torch.equal(chunk, x[index])
    assert sorted(torch.cat(indices).tolist()) == list(range(10))
    with pytest.raises(ValueError, match="index_batches"):
        list(index_batches(10, 0, device=x.device))


def test_tensor_learning_rate_follows_the_onecycle_schedule() -> None:
    """The device tensor a captured step reads takes every rate OneCycleLR sets; betas stay."""
    model = MLPVAE(latent_dim=2, hidden_dim=8)
    optimizer = cuda_graphs.graph_safe_adam(model, 1e-2)
    lr = optimizer.param_groups[0]["lr"]
    assert isinstance(lr, torch.Tensor) and optimizer.param_groups[0]["capturable"]
    pinned = cuda_graphs.TensorLearningRate(optimizer)
    shadow = torch.optim.Adam(MLPVAE(latent_dim=2, hidden_dim=8).parameters(), lr=1e-2)
    schedules = [
        torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=1e-2, total_steps=20, pct_start=0.25, cycle_momentum=False
        )
        for opt in (optimizer, shadow)
    ]
    pinned.restore()
    seen = set()
    for _ in range(19):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()"
            for schedule in schedules:
                schedule.step()
        pinned.restore()
        group, expected = optimizer.param_groups[0], shadow.param_groups[0]
        assert group["lr"] is lr
        assert lr.item() == pytest.approx(expected["lr"], rel=1e-6)
        assert group["betas"] == expected["betas"] == (0.9, 0.999)
        seen.add(round(lr.item(), 8))
    assert len(seen) > 10  # the schedule really moved the rate


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("2.11.0+cu130", True),
        ("2.15.0", True),
        ("3.0.1", True),
        ("2.10.1", False),
        ("2.1", False),
        ("nightly", False),
    ],
)
def test_capture_needs_a_checked_torch(version: str, supported: bool) -> None:
    """Graph mode only on torch versions at least as new as the one checked on a GPU."""
    assert cuda_graphs.torch_supports_capture(version) is supported


def test_fit_cuda_graph_changes_nothing_off_cuda() -> None:
    """On a CPU cuda_graph=True is ignored: the seeded history and weights are the same."""
    x = _images(300, seed=1)
    runs = []
    for cuda_graph in (False, True):
        torch.manual_seed(5)
        model = MLPVAE(latent_dim=3, hidden_dim=16)
        history = fit(
            model,
            vae_loss_terms,
            x,
            epochs=2,
            batch_size=64,
            seed=9,
            schedule="onecycle",
            cuda_graph=cuda_graph,
            progress=False,
        )
        runs.append((history.train, [p.detach().clone() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1], strict=True):
        assert torch.equal(a, b)


def test_graph_safe_adam_takes_the_recipes_betas() -> None:
    model = MLPVAE(latent_dim=2, hidden_dim=8)
    assert cuda_graphs.graph_safe_adam(model, 1e-3).param_groups[0]["betas"] == (0.9, 0.999)
    optimizer = cuda_graphs.graph_safe_adam(model, 1e-3, (0.9, 0.9))
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.9)


def test_learning_rate_in_tensor_follows_the_schedule_fit_builds() -> None:
    """schedules.LearningRate keeps the graph-safe rate tensor in step with fit's one-cycle."""
    model = MLPVAE(latent_dim=2, hidden_dim=8)
    optimizer = cuda_graphs.graph_safe_adam(model, 1e-2)
    rate = optimizer.param_groups[0]["lr"]
    learning_rate = schedules.LearningRate(
        optimizer, schedules.named("onecycle", 1e-2), 20, in_tensor=True
    )
    shadow = torch.optim.Adam(MLPVAE(latent_dim=2, hidden_dim=8).parameters(), lr=1e-2)
    expected = torch.optim.lr_scheduler.OneCycleLR(
        shadow, max_lr=1e-2, total_steps=20, pct_start=0.25, cycle_momentum=False
    )
    for _ in range(19):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "lr_scheduler.step() before optimizer.step()"
            learning_rate.step()
            expected.step()
        assert optimizer.param_groups[0]["lr"] is rate
        assert rate.item() == pytest.approx(shadow.param_groups[0]["lr"], rel=1e-6)
    assert optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_schedules_constant_short_runs_and_bad_names() -> None:
    """ "constant" builds no scheduler, nor does onecycle for fewer than its minimum of steps."""
    optimizer = torch.optim.Adam(MLPVAE(latent_dim=2, hidden_dim=8).parameters(), lr=1e-3)
    assert schedules.named("constant", 1e-3) is None
    factory = schedules.named("onecycle", 1e-3)
    assert factory is not None
    assert factory(optimizer, schedules.ONECYCLE_MIN_STEPS - 1) is None
    assert isinstance(
        factory(optimizer, schedules.ONECYCLE_MIN_STEPS), torch.optim.lr_scheduler.OneCycleLR
    )
    with pytest.raises(ValueError, match="schedule must be 'constant' or 'onecycle'"):
        schedules.named("cosine", 1e-3)  # type: ignore[arg-type]


def test_capture_is_only_offered_on_cuda() -> None:
    assert not cuda_graphs.available(torch.device("cpu"))
