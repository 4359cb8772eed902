"""Teaching diagrams drawn with matplotlib: autoencoder, VAE and the reparameterization trick."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Patch, Polygon

from vae_helpers._figures import new_figure
from vae_helpers._validation import check_positive_int

ENCODER = ("#dbe6f4", "#3b6aa8")  # (fill, edge)
DECODER = ("#dcefe1", "#3d8c55")
LATENT = ("#fde6d2", "#c8642a")
RANDOM = ("#ebe4f7", "#6a4fa3")
NEUTRAL = ("#f4f4f4", "#555555")
FORWARD = "#222222"
GRADIENT_OK = "#2a9d4a"
GRADIENT_BLOCKED = "#d1372e"


def _canvas(width: float, height: float, scale: float = 0.62) -> tuple[Figure, Axes]:
    """A figure with one frameless axes in data units where 1 unit is `scale` inches."""
    fig = new_figure(figsize=(width * scale, height * scale))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _box(
    ax: Axes,
    centre: tuple[float, float],
    size: tuple[float, float],
    text: str,
    colours: tuple[str, str],
    *,
    fontsize: float = 13,
    linestyle: str = "-",
) -> None:
    """A rounded box (a deterministic quantity) with centred text."""
    (x, y), (w, h) = centre, size
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0,rounding_size=0.18",
            facecolor=colours[0],
            edgecolor=colours[1],
            linewidth=1.8,
            linestyle=linestyle,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _node(
    ax: Axes, centre: tuple[float, float], radius: float, text: str, *, fontsize: float = 13
) -> None:
    """A circle (a random quantity) with centred text, dashed edge to stress 'sampled'."""
    ax.add_patch(
        Circle(
            centre,
            radius,
            facecolor=RANDOM[0],
            edgecolor=RANDOM[1],
            linewidth=1.8,
            linestyle=(0, (4, 2)),
        )
    )
    ax.text(*centre, text, ha="center", va="center", fontsize=fontsize)


def _trapezoid(
    ax: Axes,
    x_range: tuple[float, float],
    heights: tuple[float, float],
    y: float,
    text: str,
    colours: tuple[str, str],
) -> None:
    """A trapezoid network block whose height goes from heights[0] to heights[1]."""
    (x0, x1), (h0, h1) = x_range, heights
    corners = [(x0, y - h0 / 2), (x1, y - h1 / 2), (x1, y + h1 / 2), (x0, y + h0 / 2)]
    ax.add_patch(
        Polygon(
            corners,
            closed=True,
            facecolor=colours[0],
            edgecolor=colours[1],
            linewidth=1.8,
            joinstyle="round",
        )
    )
    ax.text((x0 + x1) / 2, y, text, ha="center", va="center", fontsize=13)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    color: str = FORWARD,
    dashed: bool = False,
    rad: float = 0.0,
    lw: float = 1.8,
) -> None:
    """An arrow from start to end (dashed for gradients), optionally curved by `rad`."""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=16,
            color=color,
            linewidth=lw,
            linestyle=(0, (5, 3)) if dashed else "-",
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


def _digit_icon(blur: int = 0) -> np.ndarray:
    """A synthetic 28×28 'zero' (an elliptical ring), box-blurred `blur` times."""
    rows, cols = np.mgrid[0:28, 0:28]
    radius = np.sqrt(((cols - 13.5) / 6.5) ** 2 + ((rows - 13.5) / 9.5) ** 2)
    image = np.clip(1.0 - np.abs(radius - 1.0) / 0.28, 0.0, 1.0)
    for _ in range(blur):
        padded = np.pad(image, 1, mode="edge")
        image = (
            sum(
                padded[1 + dr : 29 + dr, 1 + dc : 29 + dc] for dr in (-1, 0, 1) for dc in (-1, 0, 1)
            )
            / 9.0
        )
    return image


def _image(ax: Axes, centre: tuple[float, float], side: float, image: np.ndarray) -> None:
    """Draw a grey-level image as a square of `side` units centred at `centre`, with a frame."""
    x, y = centre
    ax.imshow(
        image,
        cmap="gray",
        vmin=0,
        vmax=1,
        interpolation="nearest",
        zorder=2,
        extent=(x - side / 2, x + side / 2, y - side / 2, y + side / 2),
    )
    ax.add_patch(
        FancyBboxPatch(
            (x - side / 2, y - side / 2),
            side,
            side,
            boxstyle="square,pad=0",
            fill=False,
            edgecolor=NEUTRAL[1],
            linewidth=1.2,
            zorder=3,
        )
    )


def _loss_bracket(
    ax: Axes, x_left: float, x_right: float, y_top: float, y_low: float, text: str
) -> None:
    """A dotted bracket under two items, with the loss that compares them written on it."""
    ax.plot(
        [x_left, x_left, x_right, x_right],
        [y_top, y_low, y_low, y_top],
        ":",
        color=GRADIENT_BLOCKED,
        linewidth=1.6,
    )
    ax.text(
        (x_left + x_right) / 2,
        y_low,
        text,
        ha="center",
        va="center",
        fontsize=12,
        color=GRADIENT_BLOCKED,
        bbox={"facecolor": "white", "edgecolor": "none", "pad": 3},
    )


def draw_autoencoder(latent_dim: int = 2) -> Figure:
    """The autoencoder: image → encoder → bottleneck code z → decoder → reconstruction."""
    check_positive_int(latent_dim, "latent_dim", "draw_autoencoder")
    fig, ax = _canvas(15.0, 6.6)
    y = 3.7
    _image(ax, (1.3, y), 1.8, _digit_icon())
    ax.text(1.3, y + 1.25, "input $x$", ha="center", fontsize=12)
    ax.text(1.3, y - 1.25, "784 pixels", ha="center", va="top", fontsize=10, color="0.35")
    _arrow(ax, (2.3, y), (2.9, y))
    _trapezoid(ax, (2.9, 6.0), (3.4, 1.2), y, "encoder\n$f_\\phi$", ENCODER)
    _arrow(ax, (6.0, y), (6.6, y))
    _box(ax, (7.5, y), (1.8, 1.2), f"$z\\in\\mathbb{{R}}^{{{latent_dim}}}$", LATENT)
    ax.text(7.5, y + 1.0, "bottleneck (code)", ha="center", fontsize=11, color=LATENT[1])
    ax.text(
        7.5,
        y - 1.0,
        f"{latent_dim} number{'s' if latent_dim != 1 else ''}",
        ha="center",
        va="top",
        fontsize=10,
        color="0.35",
    )
    _arrow(ax, (8.4, y), (9.0, y))
    _trapezoid(ax, (9.0, 12.1), (1.2, 3.4), y, "decoder\n$g_\\theta$", DECODER)
    _arrow(ax, (12.1, y), (12.7, y))
    _image(ax, (13.7, y), 1.8, _digit_icon(blur=2))
    ax.text(13.7, y + 1.25, "reconstruction $\\hat x$", ha="center", fontsize=12)
    ax.text(
        13.7, y - 1.25, "784 values in [0, 1]", ha="center", va="top", fontsize=10, color="0.35"
    )
    _loss_bracket(
        ax,
        1.3,
        13.7,
        y - 1.95,
        0.75,
        "reconstruction loss: $\\mathrm{BCE}(x, \\hat x)$, summed over the 784 pixels",
    )
    ax.text(
        7.5,
        6.25,
        "Autoencoder: squeeze the image through a narrow code, then rebuild it",
        ha="center",
        va="center",
        fontsize=14,
        weight="bold",
    )
    return fig


def draw_vae() -> Figure:
    """The VAE: encoder → (μ, log σ²) → z = μ + σ·ε with random ε → decoder, and both loss terms."""
    fig, ax = _canvas(17.0, 9.4)
    y = 4.6
    ax.text(
        8.5,
        9.0,
        "Variational autoencoder: the encoder outputs a distribution over $z$",
        ha="center",
        va="center",
        fontsize=14,
        weight="bold",
    )
    ax.text(
        8.5,
        8.4,
        "loss $=$ reconstruction $+$ KL $= -$ELBO (nats per image)",
        ha="center",
        va="center",
        fontsize=12,
    )
    _image(ax, (1.3, y), 1.8, _digit_icon())
    ax.text(1.3, y + 1.25, "input $x$", ha="center", fontsize=12)
    _arrow(ax, (2.3, y), (2.9, y))
    _trapezoid(ax, (2.9, 5.6), (3.4, 1.6), y, "encoder\n$q_\\phi(z\\mid x)$", ENCODER)
    mu_at, logvar_at = (6.9, y + 1.15), (6.9, y - 1.15)
    _arrow(ax, (5.6, y + 0.45), (6.05, mu_at[1]), rad=-0.2)
    _arrow(ax, (5.6, y - 0.45), (6.05, logvar_at[1]), rad=0.2)
    _box(ax, mu_at, (1.7, 0.9), "$\\mu$", ENCODER)
    _box(ax, logvar_at, (1.7, 0.9), "$\\log\\sigma^2$", ENCODER)
    z_at, eps_at = (10.0, y), (10.0, y + 2.45)
    _node(ax, eps_at, 0.6, "$\\varepsilon$")
    ax.text(
        eps_at[0] + 0.75,
        eps_at[1],
        "$\\sim\\mathcal{N}(0, I)$",
        va="center",
        fontsize=12,
        color=RANDOM[1],
    )
    ax.text(
        eps_at[0] + 0.75,
        eps_at[1] - 0.5,
        "fresh noise each pass",
        va="center",
        fontsize=10,
        color=RANDOM[1],
    )
    _box(ax, z_at, (2.3, 1.1), "$z=\\mu+\\sigma\\odot\\varepsilon$", LATENT, fontsize=12)
    ax.text(
        z_at[0],
        y - 0.8,
        "$\\sigma=\\exp(\\frac{1}{2}\\log\\sigma^2)$",
        ha="center",
        va="top",
        fontsize=10,
        color="0.35",
    )
    _arrow(ax, (7.75, mu_at[1]), (8.85, y + 0.3), rad=-0.15)
    _arrow(ax, (7.75, logvar_at[1]), (8.85, y - 0.3), rad=0.15)
    _arrow(ax, (eps_at[0], eps_at[1] - 0.6), (eps_at[0], y + 0.55))
    _arrow(ax, (11.15, y), (11.7, y))
    _trapezoid(ax, (11.7, 14.4), (1.2, 3.4), y, "decoder\n$p_\\theta(x\\mid z)$", DECODER)
    _arrow(ax, (14.4, y), (14.85, y))
    _image(ax, (15.8, y), 1.8, _digit_icon(blur=2))
    ax.text(15.8, y + 1.25, "$\\hat x$ (pixel means)", ha="center", fontsize=12)
    _loss_bracket(
        ax,
        1.3,
        15.8,
        y - 1.05,
        1.45,
        "reconstruction: $-\\log p_\\theta(x\\mid z)$ = BCE summed over the pixels",
    )
    kl_at = (5.2, 7.25)
    ax.text(
        *kl_at,
        "KL term: $D_{\\mathrm{KL}}\\!\\left(q_\\phi(z\\mid x)\\,\\|\\,\\mathcal{N}(0, I)\\right)$",
        ha="center",
        va="center",
        fontsize=12,
        color=GRADIENT_BLOCKED,
        bbox={
            "facecolor": "white",
            "edgecolor": GRADIENT_BLOCKED,
            "linestyle": ":",
            "boxstyle": "round,pad=0.35",
        },
    )
    ax.plot(
        [mu_at[0], mu_at[0]],
        [kl_at[1] - 0.4, mu_at[1] + 0.45],
        ":",
        color=GRADIENT_BLOCKED,
        linewidth=1.6,
    )
    ax.legend(
        handles=[
            Patch(facecolor=ENCODER[0], edgecolor=ENCODER[1], label="computed (deterministic)"),
            Patch(
                facecolor=RANDOM[0], edgecolor=RANDOM[1], linestyle="--", label="sampled (random)"
            ),
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=2,
        fontsize=10,
        frameon=False,
    )
    return fig


def _blocked_mark(ax: Axes, at: tuple[float, float]) -> None:
    """A red cross marking where a gradient cannot pass."""
    ax.text(
        *at,
        "✗",
        ha="center",
        va="center",
        fontsize=22,
        color=GRADIENT_BLOCKED,
        weight="bold",
        zorder=5,
    )


def draw_reparameterization() -> Figure:
    """Side by side: sampling z directly blocks gradients; z = μ + σ·ε lets them reach μ and σ."""
    fig, ax = _canvas(18.0, 8.6)
    ax.plot([9.0, 9.0], [0.9, 7.5], color="0.8", linewidth=1.2)
    ax.text(
        9.0,
        8.15,
        "Why the reparameterization trick is needed",
        ha="center",
        va="center",
        fontsize=15,
        weight="bold",
    )

    # Left: sample z directly.
    ax.text(
        4.5, 7.3, "Sampling $z\\sim\\mathcal{N}(\\mu,\\sigma^2)$ directly", ha="center", fontsize=13
    )
    mu_at, sigma_at, z_at, loss_at = (1.3, 5.3), (1.3, 2.7), (4.6, 4.0), (7.7, 4.0)
    _box(ax, mu_at, (1.4, 0.9), "$\\mu$", ENCODER)
    _box(ax, sigma_at, (1.4, 0.9), "$\\sigma$", ENCODER)
    _node(ax, z_at, 1.0, "$z$", fontsize=15)
    ax.text(
        z_at[0], z_at[1] - 1.25, "random draw", ha="center", va="top", fontsize=10, color=RANDOM[1]
    )
    _box(ax, loss_at, (1.4, 0.9), "$\\mathcal{L}$", NEUTRAL)
    ax.text(
        loss_at[0],
        loss_at[1] - 0.65,
        "decoder + loss",
        ha="center",
        va="top",
        fontsize=10,
        color="0.35",
    )
    _arrow(ax, (2.0, mu_at[1] - 0.2), (3.75, z_at[1] + 0.55))
    _arrow(ax, (2.0, sigma_at[1] + 0.2), (3.75, z_at[1] - 0.55))
    _arrow(ax, (5.6, z_at[1]), (7.0, loss_at[1]))
    _arrow(
        ax, (7.2, loss_at[1] + 0.5), (5.3, z_at[1] + 0.75), color=GRADIENT_OK, dashed=True, rad=0.35
    )
    _arrow(
        ax,
        (3.75, z_at[1] + 1.0),
        (2.05, mu_at[1] + 0.4),
        color=GRADIENT_BLOCKED,
        dashed=True,
        rad=0.25,
    )
    _arrow(
        ax,
        (3.75, z_at[1] - 1.0),
        (2.05, sigma_at[1] - 0.4),
        color=GRADIENT_BLOCKED,
        dashed=True,
        rad=-0.25,
    )
    _blocked_mark(ax, (2.75, 5.75))
    _blocked_mark(ax, (2.75, 2.25))
    ax.text(
        4.5,
        1.2,
        "no gradient flows back through a random draw:\n"
        "$\\partial z/\\partial\\mu$ and $\\partial z/\\partial\\sigma$ are not defined",
        ha="center",
        va="center",
        fontsize=11,
        color=GRADIENT_BLOCKED,
    )

    # Right: z = mu + sigma * eps.
    ax.text(
        13.5, 7.3, "Reparameterized: $z=\\mu+\\sigma\\odot\\varepsilon$", ha="center", fontsize=13
    )
    mu_at, sigma_at, z_at, loss_at = (10.3, 5.3), (10.3, 2.7), (13.6, 4.0), (16.8, 4.0)
    eps_at = (13.6, 6.15)
    _box(ax, mu_at, (1.4, 0.9), "$\\mu$", ENCODER)
    _box(ax, sigma_at, (1.4, 0.9), "$\\sigma$", ENCODER)
    _node(ax, eps_at, 0.55, "$\\varepsilon$")
    ax.text(
        eps_at[0] + 0.7,
        eps_at[1] + 0.05,
        "$\\sim\\mathcal{N}(0, I)$",
        va="center",
        fontsize=11,
        color=RANDOM[1],
    )
    _box(ax, z_at, (2.2, 1.0), "$\\mu+\\sigma\\odot\\varepsilon$", LATENT, fontsize=12)
    _box(ax, loss_at, (1.4, 0.9), "$\\mathcal{L}$", NEUTRAL)
    ax.text(
        loss_at[0],
        loss_at[1] - 0.65,
        "decoder + loss",
        ha="center",
        va="top",
        fontsize=10,
        color="0.35",
    )
    _arrow(ax, (11.0, mu_at[1] - 0.2), (12.5, z_at[1] + 0.35))
    _arrow(ax, (11.0, sigma_at[1] + 0.2), (12.5, z_at[1] - 0.35))
    _arrow(ax, (eps_at[0], eps_at[1] - 0.55), (eps_at[0], z_at[1] + 0.5))
    _arrow(ax, (14.7, z_at[1]), (16.1, loss_at[1]))
    _arrow(
        ax,
        (16.3, loss_at[1] + 0.5),
        (14.4, z_at[1] + 0.55),
        color=GRADIENT_OK,
        dashed=True,
        rad=0.35,
    )
    _arrow(
        ax,
        (12.6, z_at[1] + 0.55),
        (11.05, mu_at[1] + 0.4),
        color=GRADIENT_OK,
        dashed=True,
        rad=0.25,
    )
    _arrow(
        ax,
        (12.6, z_at[1] - 0.55),
        (11.05, sigma_at[1] - 0.4),
        color=GRADIENT_OK,
        dashed=True,
        rad=-0.25,
    )
    ax.text(
        11.2, 5.95, "$\\partial z/\\partial\\mu=1$", ha="center", fontsize=11, color=GRADIENT_OK
    )
    ax.text(
        11.2,
        1.85,
        "$\\partial z/\\partial\\sigma=\\varepsilon$",
        ha="center",
        fontsize=11,
        color=GRADIENT_OK,
    )
    ax.text(
        13.5,
        1.2,
        "the randomness is an input ($\\varepsilon$ needs no gradient);\n"
        "$z$ is a differentiable function of $\\mu$ and $\\sigma$",
        ha="center",
        va="center",
        fontsize=11,
        color=GRADIENT_OK,
    )

    ax.legend(
        handles=[
            Line2D([], [], color=FORWARD, linewidth=1.8, label="forward pass"),
            Line2D(
                [],
                [],
                color=GRADIENT_OK,
                linewidth=1.8,
                linestyle="--",
                label="gradient flows (backward pass)",
            ),
            Line2D(
                [],
                [],
                color=GRADIENT_BLOCKED,
                linewidth=1.8,
                linestyle="--",
                label="gradient blocked",
            ),
            Patch(facecolor=ENCODER[0], edgecolor=ENCODER[1], label="deterministic"),
            Patch(facecolor=RANDOM[0], edgecolor=RANDOM[1], linestyle="--", label="random"),
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 0.0),
        ncols=5,
        fontsize=10,
        frameon=False,
    )
    return fig
