"""Creating figures that notebooks display exactly once (private helper of plots and diagrams)."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure


def new_figure(**kwargs: Any) -> Figure:
    """A figure made through pyplot (so Jupyter knows how to render it), then released by pyplot.

    Going through pyplot activates the notebook's inline backend, which registers how to draw a
    Figure as an image; closing it at once stops pyplot from showing it again at the end of the
    cell. The figure stays fully usable: return it as the cell's value, ``display`` or ``savefig``.
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(**kwargs)
    plt.close(fig)
    return fig
