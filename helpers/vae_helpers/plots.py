"""Figures for the course: image grids, reconstructions, loss curves and latent-space views.

Every function returns a matplotlib Figure and does not display it (pyplot has already let go of
it, so nothing is shown twice): make it the last expression of a notebook cell, or call
``display(fig)``; ``fig.savefig(...)`` works everywhere, headless included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from vae_helpers._figures import new_figure
from vae_helpers._validation import as_image_array as _as_images
from vae_helpers._validation import check_positive_int, is_image_shape
from vae_helpers._validation import to_numpy as _to_numpy

DIGIT_COLOURS = "tab10"


def _check_count(value: Any, name: str, caller: str) -> int:
    """Raise a clear error unless `value` is a positive int; return it."""
    return int(check_positive_int(value, name, caller))


def _check_dims(dims: Sequence[int], width: int, name: str, caller: str) -> tuple[int, int]:
    """Two distinct column indices below `width`, or a clear error."""
    dims = tuple(dims)
    if len(dims) != 2 or dims[0] == dims[1] or not all(0 <= d < width for d in dims):
        raise ValueError(
            f"{caller}: dims={dims} must be two different column indices of {name}, "
            f"which has {width} columns (0 to {width - 1})"
        )
    return int(dims[0]), int(dims[1])


def _latents(z: Any, name: str, caller: str) -> np.ndarray:
    """Latent codes as a numpy array (N, D) with D >= 2."""
    array = _to_numpy(z, name, caller)
    if array.ndim != 2 or array.shape[1] < 2 or len(array) == 0:
        raise ValueError(
            f"{caller}: {name} has shape {array.shape}, expected (N, D) with N >= 1 and D >= 2"
        )
    return array


def _hide_frame(ax: Axes) -> None:
    """No ticks and no spines, but keep the axis labels usable."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw_digit(ax: Axes, image: np.ndarray) -> None:
    """Show one 28×28 image in grey levels 0 (black) to 1 (white)."""
    ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    _hide_frame(ax)


def _labels_list(labels: Any, count: int, name: str, caller: str) -> list[str]:
    """`labels` as `count` strings (ints shown without decimals)."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().tolist()
    elif isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"{caller}: {name} must be a sequence of {count} labels")
    if len(labels) != count:
        raise ValueError(f"{caller}: {name} has {len(labels)} entries but there are {count} images")
    return [f"{v:g}" if isinstance(v, float) else str(v) for v in labels]


def show_images(
    images: Any, *, ncols: int = 10, title: str | None = None, labels: Any = None
) -> Figure:
    """A grid of images, `ncols` per row, optionally with a label above each one."""
    caller = "show_images"
    array = _as_images(images, "images", caller)
    ncols = min(_check_count(ncols, "ncols", caller), len(array))
    nrows = math.ceil(len(array) / ncols)
    texts = None if labels is None else _labels_list(labels, len(array), "labels", caller)
    height = 1.15 * nrows + (0.4 if title else 0)
    fig = new_figure(figsize=(1.1 * ncols, height), layout="constrained")
    grid = fig.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(grid.flat):
        if index >= len(array):
            fig.delaxes(ax)
            continue
        _draw_digit(ax, array[index])
        if texts is not None:
            ax.set_title(texts[index], fontsize=9, pad=2)
    if title:
        fig.suptitle(title)
    return fig


def plot_reconstructions(
    originals: Any, reconstructions: Any, *, n: int = 10, title: str | None = None
) -> Figure:
    """Two rows: the first `n` originals above their reconstructions."""
    caller = "plot_reconstructions"
    top = _as_images(originals, "originals", caller)
    bottom = _as_images(reconstructions, "reconstructions", caller)
    if len(top) != len(bottom):
        raise ValueError(
            f"{caller}: originals has {len(top)} images but reconstructions has {len(bottom)}: "
            "pass matching batches"
        )
    n = min(_check_count(n, "n", caller), len(top))
    fig = new_figure(figsize=(1.1 * n + 0.8, 2.5 + (0.4 if title else 0)), layout="constrained")
    grid = fig.subplots(2, n, squeeze=False)
    for col in range(n):
        _draw_digit(grid[0, col], top[col])
        _draw_digit(grid[1, col], bottom[col])
    grid[0, 0].set_ylabel("original", fontsize=9)
    grid[1, 0].set_ylabel("reconstruction", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def plot_loss_curves(
    history: Any, *, terms: Sequence[str] = ("loss",), title: str | None = None
) -> Figure:
    """One panel per loss term: train (solid) and test (dashed) per epoch."""
    caller = "plot_loss_curves"
    data = history.to_dict() if hasattr(history, "to_dict") else history
    if not isinstance(data, Mapping) or not isinstance(data.get("train"), Mapping):
        raise TypeError(
            f"{caller}: history must be a History (from fit) or a mapping with a 'train' "
            f"dict of per-epoch lists, got {type(history).__name__}"
        )
    train, test = data["train"], data.get("test") or {}
    terms = (terms,) if isinstance(terms, str) else tuple(terms)
    if not terms:
        raise ValueError(f"{caller}: terms is empty; name at least one, e.g. terms=('loss',)")
    for term in terms:
        if term not in train:
            raise ValueError(
                f"{caller}: no term {term!r} in the history; recorded terms: {sorted(train)}"
            )
    fig = new_figure(figsize=(4.2 * len(terms), 3.2 + (0.3 if title else 0)), layout="constrained")
    axes = fig.subplots(1, len(terms), squeeze=False)[0]
    for ax, term in zip(axes, terms, strict=True):
        values = list(train[term])
        ax.plot(range(1, len(values) + 1), values, "-o", ms=3, color="C0", label="train")
        if term in test and len(test[term]):
            # A shorter test list (e.g. scored after training only) belongs to the last epochs.
            test_values = list(test[term])
            first = max(len(values) - len(test_values), 0) + 1
            ax.plot(
                range(first, first + len(test_values)),
                test_values,
                "--o",
                ms=3,
                color="C1",
                label="test",
            )
        ax.set_title(term)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats per image")
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_latent_scatter(
    z: Any,
    labels: Any,
    *,
    dims: Sequence[int] = (0, 1),
    title: str | None = None,
    max_points: int = 5000,
) -> Figure:
    """Latent codes in two chosen dimensions, one colour per digit label."""
    caller = "plot_latent_scatter"
    codes = _latents(z, "z", caller)
    digits = _to_numpy(labels, "labels", caller).reshape(-1)
    if len(digits) != len(codes):
        raise ValueError(f"{caller}: z has {len(codes)} rows but labels has {len(digits)} entries")
    d0, d1 = _check_dims(dims, codes.shape[1], "z", caller)
    max_points = _check_count(max_points, "max_points", caller)
    if len(codes) > max_points:
        keep = np.random.default_rng(0).choice(len(codes), max_points, replace=False)
        codes, digits = codes[keep], digits[keep]
    fig = new_figure(figsize=(6.0, 5.2), layout="constrained")
    ax = fig.add_subplot()
    for digit in np.unique(digits):
        mask = digits == digit
        ax.scatter(
            codes[mask, d0],
            codes[mask, d1],
            s=4,
            alpha=0.6,
            color=_digit_colour(int(digit)),
            label=f"{digit:g}",
            rasterized=True,
        )
    legend = ax.legend(title="digit", markerscale=3, loc="center left", bbox_to_anchor=(1, 0.5))
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)
    ax.set_xlabel(f"$z_{{{d0}}}$")
    ax.set_ylabel(f"$z_{{{d1}}}$")
    ax.set_title(title or "latent codes coloured by digit")
    ax.grid(alpha=0.2)
    return fig


def _digit_colour(digit: int) -> Any:
    """The tab10 colour for a digit (labels beyond 9 wrap around)."""
    from matplotlib import colormaps

    return colormaps[DIGIT_COLOURS](digit % 10)


def uniform_latent_grid(
    side: int,
    limit: float = 3.0,
    *,
    latent_dim: int = 2,
    dims: Sequence[int] = (0, 1),
) -> torch.Tensor:
    """(side², latent_dim) codes on a grid over two dims, in plot_manifold's order (others 0)."""
    caller = "uniform_latent_grid"
    side = _check_count(side, "side", caller)
    latent_dim = _check_count(latent_dim, "latent_dim", caller)
    d0, d1 = _check_dims(dims, latent_dim, "the latent code", caller)
    if not limit > 0:
        raise ValueError(f"{caller}: limit must be > 0, got {limit!r}")
    values = torch.linspace(-limit, limit, side)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")  # row 0 = top = +limit
    grid = torch.zeros(side * side, latent_dim)
    grid[:, d0] = cols.reshape(-1)
    grid[:, d1] = rows.reshape(-1)
    return grid


def plot_manifold(
    images: Any,
    *,
    side: int,
    extent: Sequence[float] | None = None,
    title: str | None = None,
) -> Figure:
    """side×side decoded images tiled into one picture (row-major, first row at the top).

    `extent=(x_min, x_max, y_min, y_max)` gives the latent values at the centres of the first and
    last columns and of the bottom and top rows (what ``uniform_latent_grid(side, limit)``
    produces for ``(-limit, limit, -limit, limit)``); the axes are then labelled in latent units.
    """
    caller = "plot_manifold"
    side = _check_count(side, "side", caller)
    array = _as_images(images, "images", caller)
    if len(array) != side * side:
        raise ValueError(
            f"{caller}: got {len(array)} images but side={side} needs side*side = {side * side}"
        )
    canvas = array.reshape(side, side, 28, 28).transpose(0, 2, 1, 3).reshape(side * 28, side * 28)
    fig = new_figure(figsize=(6.0, 6.0), layout="constrained")
    ax = fig.add_subplot()
    if extent is None:
        ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        _hide_frame(ax)
    else:
        bounds = tuple(float(v) for v in extent)
        if len(bounds) != 4 or bounds[0] >= bounds[1] or bounds[2] >= bounds[3]:
            raise ValueError(
                f"{caller}: extent must be (x_min, x_max, y_min, y_max) with min < max, "
                f"got {tuple(extent)}"
            )
        x_min, x_max, y_min, y_max = bounds
        half_x = (x_max - x_min) / max(side - 1, 1) / 2
        half_y = (y_max - y_min) / max(side - 1, 1) / 2
        ax.imshow(
            canvas,
            cmap="gray",
            vmin=0,
            vmax=1,
            interpolation="nearest",
            aspect="auto",
            extent=(x_min - half_x, x_max + half_x, y_min - half_y, y_max + half_y),
        )
        ax.set_xlabel("first latent dimension")
        ax.set_ylabel("second latent dimension")
    ax.set_title(title or f"decoded {side}×{side} latent grid")
    return fig


def plot_interpolation(
    images: Any, *, title: str | None = None, row_labels: Sequence[str] | None = None
) -> Figure:
    """Interpolation strips: images (S, …) give one strip, (R, S, …) give R strips, one per axes."""
    caller = "plot_interpolation"
    array = _to_numpy(images, "images", caller)
    shape = array.shape
    # One strip: (S,784), (S,28,28), (S,1,28,28).  Several: (R,S,784), (R,S,28,28), (R,S,1,28,28).
    if is_image_shape(shape):
        strips = _as_images(array, "images", caller)[None]
    elif array.ndim in (3, 4, 5) and shape[0] >= 1:
        try:
            strips = np.stack([_as_images(row, "images", caller) for row in array])
        except ValueError:
            raise ValueError(_interpolation_shape_message(caller, shape)) from None
    else:
        raise ValueError(_interpolation_shape_message(caller, shape))
    rows, steps = strips.shape[:2]
    if steps == 0:
        raise ValueError(f"{caller}: images holds no steps (shape {shape})")
    labels = None
    if row_labels is not None:
        labels = _labels_list(list(row_labels), rows, "row_labels", caller)
    gap = 2  # pixels of background between neighbouring images
    fig = new_figure(
        figsize=(min(0.75 * steps + 1.2, 16), 0.95 * rows + 0.5 + (0.3 if title else 0)),
        layout="constrained",
    )
    axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
    width = steps * 28 + (steps - 1) * gap
    centres = [i * (28 + gap) + 13.5 for i in range(steps)]
    fractions = np.linspace(0, 1, steps)
    for row, ax in enumerate(axes):
        strip = np.ones((28, width))
        for step in range(steps):
            start = step * (28 + gap)
            strip[:, start : start + 28] = strips[row, step]
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        _hide_frame(ax)
        if labels is not None:
            ax.set_ylabel(labels[row], rotation=0, ha="right", va="center", fontsize=9)
        if row == rows - 1:
            shown = range(steps) if steps <= 12 else (0, steps - 1)
            ax.set_xticks([centres[i] for i in shown], [f"{fractions[i]:.2g}" for i in shown])
            ax.tick_params(length=0, labelsize=8)
            ax.set_xlabel("interpolation weight $t$ (0 = start, 1 = end)", fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def _interpolation_shape_message(caller: str, shape: tuple[int, ...]) -> str:
    """The error message for an interpolation array of the wrong shape."""
    return (
        f"{caller}: images has shape {shape}, expected one strip (S, 784), (S, 28, 28), "
        "(S, 1, 28, 28) or R strips (R, S, 784), (R, S, 28, 28), (R, S, 1, 28, 28)"
    )


def plot_prior_vs_posterior(
    prior_z: Any, posterior_z: Any, *, dims: Sequence[int] = (0, 1), title: str | None = None
) -> Figure:
    """Samples of the prior N(0, I) over the codes of real images, with 1σ and 2σ circles."""
    caller = "plot_prior_vs_posterior"
    prior = _latents(prior_z, "prior_z", caller)
    posterior = _latents(posterior_z, "posterior_z", caller)
    if prior.shape[1] != posterior.shape[1]:
        raise ValueError(
            f"{caller}: prior_z has {prior.shape[1]} latent dims but posterior_z has "
            f"{posterior.shape[1]}: both must come from the same model"
        )
    d0, d1 = _check_dims(dims, prior.shape[1], "the codes", caller)
    fig = new_figure(figsize=(7.6, 5.2), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter(
        prior[:, d0],
        prior[:, d1],
        s=5,
        alpha=0.35,
        color="0.55",
        label="prior samples $z\\sim\\mathcal{N}(0, I)$",
        rasterized=True,
    )
    ax.scatter(
        posterior[:, d0],
        posterior[:, d1],
        s=5,
        alpha=0.5,
        color="C0",
        label="codes of real images (posterior)",
        rasterized=True,
    )
    angle = np.linspace(0, 2 * np.pi, 200)
    for radius, style in ((1, "-"), (2, "--")):
        ax.plot(
            radius * np.cos(angle),
            radius * np.sin(angle),
            style,
            color="k",
            lw=0.9,
            label=f"{radius}σ circle of the prior",
        )
    legend = ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, markerscale=3)
    for handle in legend.legend_handles:
        if handle is not None:
            handle.set_alpha(1.0)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"$z_{{{d0}}}$")
    ax.set_ylabel(f"$z_{{{d1}}}$")
    ax.set_title(title or "prior vs. aggregate posterior")
    ax.grid(alpha=0.2)
    return fig


def plot_kl_per_dimension(
    kl: Any, *, threshold: float | None = None, title: str | None = None
) -> Figure:
    """Bar chart of the average KL (nats) per latent dimension; above `threshold` = active."""
    caller = "plot_kl_per_dimension"
    values = _to_numpy(kl, "kl", caller)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(
            f"{caller}: kl has shape {values.shape}, expected (D,): one average KL per dimension"
        )
    fig = new_figure(figsize=(max(4.5, 0.32 * len(values) + 1.5), 3.4), layout="constrained")
    ax = fig.add_subplot()
    positions = np.arange(len(values))
    if threshold is None:
        ax.bar(positions, values, color="C0")
        heading = "KL per latent dimension"
    else:
        active = values > threshold
        if active.any():
            ax.bar(positions[active], values[active], color="C0", label="active")
        if not active.all():
            ax.bar(positions[~active], values[~active], color="0.7", label="inactive (collapsed)")
        ax.axhline(threshold, color="C3", ls="--", lw=1, label=f"threshold {threshold:g}")
        ax.legend(fontsize=8)
        heading = f"KL per latent dimension: {int(active.sum())} of {len(values)} active"
    ax.set_xticks(positions if len(values) <= 32 else positions[:: math.ceil(len(values) / 32)])
    ax.set_xlabel("latent dimension")
    ax.set_ylabel("KL (nats)")
    ax.set_title(title or heading)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_rate_distortion(
    rates: Any,
    distortions: Any,
    *,
    labels: Sequence[Any] | None = None,
    title: str | None = None,
) -> Figure:
    """Distortion (reconstruction nats) against rate (KL nats), with a line of equal −ELBO."""
    caller = "plot_rate_distortion"
    rate = _to_numpy(rates, "rates", caller).reshape(-1)
    distortion = _to_numpy(distortions, "distortions", caller).reshape(-1)
    if len(rate) == 0 or len(rate) != len(distortion):
        raise ValueError(
            f"{caller}: rates and distortions need the same number (>= 1) of values, got "
            f"{len(rate)} and {len(distortion)}"
        )
    texts = None if labels is None else _labels_list(list(labels), len(rate), "labels", caller)
    fig = new_figure(figsize=(5.6, 4.4), layout="constrained")
    ax = fig.add_subplot()
    order = np.argsort(rate)
    ax.plot(rate[order], distortion[order], "-o", color="C0", label="models")
    if texts is not None:
        for x, y, text in zip(rate, distortion, texts, strict=True):
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    best = int(np.argmin(rate + distortion))
    total = rate[best] + distortion[best]
    span = np.array([min(rate.min(), 0.0), max(rate.max(), total)])
    ax.plot(
        span, total - span, ":", color="0.4", label=f"equal −ELBO = rate + distortion = {total:.1f}"
    )
    pad_y = 0.08 * (distortion.max() - distortion.min() or 1.0)
    ax.set_ylim(distortion.min() - pad_y, distortion.max() + pad_y)
    pad_x = 0.08 * (rate.max() - rate.min() or 1.0)
    ax.set_xlim(rate.min() - pad_x, rate.max() + pad_x)
    ax.set_xlabel("rate: KL (nats per image)")
    ax.set_ylabel("distortion: reconstruction (nats per image)")
    ax.set_title(title or "rate–distortion trade-off")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return fig
