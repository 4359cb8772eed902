"""Plots return Figures with the expected axes and reject bad shapes; diagrams render."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from vae_helpers import diagrams, plots
from vae_helpers.training import History

RNG = np.random.default_rng(0)


def _render(fig: Figure) -> bytes:
    """Draw the figure to PNG bytes (this is where mathtext and layout errors surface)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=40)
    return buffer.getvalue()


@pytest.mark.parametrize("shape", [(12, 784), (12, 28, 28), (12, 1, 28, 28)])
def test_show_images_accepts_every_layout(shape: tuple[int, ...]) -> None:
    fig = plots.show_images(torch.rand(shape), ncols=5, title="t", labels=list(range(12)))
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 12  # 3 rows of 5, the 3 unused cells removed
    assert [ax.get_title() for ax in fig.axes[:3]] == ["0", "1", "2"]
    assert _render(fig).startswith(b"\x89PNG")


def test_show_images_numpy_and_errors() -> None:
    assert len(plots.show_images(RNG.random((3, 784))).axes) == 3
    with pytest.raises(ValueError, match=r"show_images: images has shape \(5, 3\), expected"):
        plots.show_images(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="labels has 2 entries but there are 3 images"):
        plots.show_images(np.zeros((3, 784)), labels=[1, 2])
    with pytest.raises(ValueError, match="contains NaN"):
        plots.show_images(np.full((2, 784), np.nan))
    with pytest.raises(ValueError, match="ncols must be a positive int"):
        plots.show_images(np.zeros((2, 784)), ncols=0)


def test_plot_reconstructions() -> None:
    x = torch.rand(20, 1, 28, 28)
    fig = plots.plot_reconstructions(x, x.reshape(20, 784), n=8, title="r")
    assert len(fig.axes) == 16
    assert fig.axes[0].get_ylabel() == "original"
    assert len(plots.plot_reconstructions(x[:3], x[:3]).axes) == 6  # n capped at the batch
    with pytest.raises(ValueError, match=r"plot_reconstructions: originals has shape \(5, 3\)"):
        plots.plot_reconstructions(np.zeros((5, 3)), np.zeros((5, 784)))
    with pytest.raises(ValueError, match="originals has 4 images but reconstructions has 3"):
        plots.plot_reconstructions(np.zeros((4, 784)), np.zeros((3, 784)))


def test_plot_loss_curves_from_history_and_mapping() -> None:
    history = History(
        train={"loss": [3.0, 2.0, 1.5], "kl": [1.0, 2.0, 2.5]},
        test={"loss": [3.1, 2.2, 1.8], "kl": [1.1, 2.1, 2.4]},
        seconds=[1.0, 1.0, 1.0],
    )
    fig = plots.plot_loss_curves(history, terms=("loss", "kl"), title="curves")
    assert len(fig.axes) == 2
    lines = fig.axes[0].get_lines()
    assert [line.get_linestyle() for line in lines] == ["-", "--"]
    assert list(lines[0].get_ydata()) == [3.0, 2.0, 1.5]
    only_train = plots.plot_loss_curves({"train": {"loss": [2.0, 1.0]}})
    assert len(only_train.axes[0].get_lines()) == 1
    with pytest.raises(ValueError, match=r"no term 'recon' in the history; recorded terms: \["):
        plots.plot_loss_curves(history, terms=("recon",))
    with pytest.raises(TypeError, match="history must be a History"):
        plots.plot_loss_curves([1, 2, 3])
    _render(fig)


def test_plot_latent_scatter() -> None:
    z, labels = torch.randn(300, 5), torch.randint(0, 10, (300,))
    fig = plots.plot_latent_scatter(z, labels, dims=(2, 4), max_points=100)
    assert len(fig.axes) == 1
    assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 100
    assert fig.axes[0].get_xlabel() == "$z_{2}$"
    with pytest.raises(ValueError, match=r"dims=\(0, 5\) must be two different column indices"):
        plots.plot_latent_scatter(z, labels, dims=(0, 5))
    with pytest.raises(ValueError, match="z has 300 rows but labels has 3 entries"):
        plots.plot_latent_scatter(z, labels[:3])
    with pytest.raises(ValueError, match=r"z has shape \(300,\), expected \(N, D\)"):
        plots.plot_latent_scatter(z[:, 0], labels)
    _render(fig)


def test_latent_grid_matches_plot_manifold_order() -> None:
    grid = plots.uniform_latent_grid(3, 2.0, latent_dim=4, dims=(1, 3))
    assert grid.shape == (9, 4)
    assert torch.equal(grid[:, [0, 2]], torch.zeros(9, 2))
    assert grid[0, 1] == -2.0 and grid[0, 3] == 2.0  # top-left: smallest x, largest y
    assert grid[8, 1] == 2.0 and grid[8, 3] == -2.0  # bottom-right
    images = torch.rand(9, 784)
    fig = plots.plot_manifold(images, side=3, extent=(-2, 2, -2, 2))
    assert len(fig.axes) == 1
    tile = fig.axes[0].get_images()[0].get_array()
    assert tile.shape == (84, 84)
    assert np.allclose(tile[:28, 28:56], images[1].reshape(28, 28).numpy())
    with pytest.raises(ValueError, match="got 8 images but side=3 needs side\\*side = 9"):
        plots.plot_manifold(images[:8], side=3)
    with pytest.raises(ValueError, match="extent must be"):
        plots.plot_manifold(images, side=3, extent=(1, 0, 0, 1))
    _render(fig)


@pytest.mark.parametrize(
    ("shape", "strips"),
    [
        ((7, 784), 1),
        ((7, 28, 28), 1),
        ((7, 1, 28, 28), 1),
        ((3, 7, 784), 3),
        ((2, 7, 28, 28), 2),
        ((2, 7, 1, 28, 28), 2),
    ],
)
def test_plot_interpolation_shapes(shape: tuple[int, ...], strips: int) -> None:
    labels = [f"row {i}" for i in range(strips)]
    fig = plots.plot_interpolation(torch.rand(shape), row_labels=labels, title="interp")
    assert len(fig.axes) == strips
    assert fig.axes[0].get_ylabel() == "row 0"


def test_plot_interpolation_errors() -> None:
    with pytest.raises(ValueError, match=r"images has shape \(3, 7, 10\), expected one strip"):
        plots.plot_interpolation(np.zeros((3, 7, 10)))
    with pytest.raises(ValueError, match="row_labels has 1 entries but there are 2"):
        plots.plot_interpolation(np.zeros((2, 5, 784)), row_labels=["a"])


def test_prior_posterior_kl_and_rate_distortion() -> None:
    fig = plots.plot_prior_vs_posterior(torch.randn(200, 3), 0.5 * torch.randn(150, 3))
    assert len(fig.axes) == 1 and len(fig.axes[0].collections) == 2
    with pytest.raises(ValueError, match="prior_z has 3 latent dims but posterior_z has 2"):
        plots.plot_prior_vs_posterior(torch.randn(5, 3), torch.randn(5, 2))
    _render(fig)

    kl = torch.tensor([0.01, 2.0, 0.5, 0.0, 1.2])
    fig = plots.plot_kl_per_dimension(kl, threshold=0.1)
    assert len(fig.axes) == 1 and "3 of 5 active" in fig.axes[0].get_title()
    assert len(fig.axes[0].patches) == 5
    with pytest.raises(ValueError, match=r"kl has shape \(2, 2\), expected \(D,\)"):
        plots.plot_kl_per_dimension(np.zeros((2, 2)))
    _render(fig)

    fig = plots.plot_rate_distortion([5, 15, 25], [160, 120, 95], labels=["β=4", "β=2", "β=1"])
    assert len(fig.axes) == 1 and len(fig.axes[0].texts) == 3
    with pytest.raises(ValueError, match="same number"):
        plots.plot_rate_distortion([1, 2], [3])
    _render(fig)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: diagrams.draw_autoencoder(latent_dim=16),
        diagrams.draw_vae,
        diagrams.draw_reparameterization,
    ],
)
def test_diagrams_render(draw: Callable[[], Figure]) -> None:
    fig = draw()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1 and len(fig.axes[0].patches) >= 8
    assert len(_render(fig)) > 5000


def test_diagram_content_and_errors() -> None:
    texts = [t.get_text() for t in diagrams.draw_vae().axes[0].texts]
    assert any("\\varepsilon" in t for t in texts) and any("\\log\\sigma^2" in t for t in texts)
    labels = [t.get_text() for t in diagrams.draw_reparameterization().axes[0].get_legend().texts]
    assert "gradient blocked" in labels
    assert any("R}^{16}" in t.get_text() for t in diagrams.draw_autoencoder(16).axes[0].texts)
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        diagrams.draw_autoencoder(0)
