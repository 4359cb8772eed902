"""Checks shared by every helper module: positive ints, the image-shape rule, a module's device.

Private to the package: notebooks use the public modules (data, models, plots, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch is imported inside the functions: diagrams stays torch-free
    import torch
    from torch import nn

IMAGE_SIDE = 28
IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE
IMAGE_SHAPES = "(N, 784), (N, 28, 28) or (N, 1, 28, 28)"


def check_positive_int(
    value: Any, name: str, caller: str, *, minimum: int = 1, allow_none: bool = False
) -> Any:
    """`value` as an int >= `minimum` (None passes when allow_none), else a clear ValueError."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        suffix = " or None" if allow_none else ""
        raise ValueError(f"{caller}: {name} must be {kind}{suffix}, got {value!r}")
    return int(value)


def is_image_shape(shape: tuple[int, ...]) -> bool:
    """The one image-shape rule: (N, 784), (N, 28, 28) or (N, 1, 28, 28)."""
    side = (IMAGE_SIDE, IMAGE_SIDE)
    return (
        (len(shape) == 2 and shape[1] == IMAGE_PIXELS)
        or (len(shape) == 3 and shape[1:] == side)
        or (len(shape) == 4 and shape[1:] == (1, *side))
    )


def image_shape_error(caller: str, name: str, shape: tuple[int, ...]) -> ValueError:
    """The error raised for images of any other shape."""
    return ValueError(f"{caller}: {name} has shape {shape}, expected {IMAGE_SHAPES}")


def to_numpy(values: Any, name: str, caller: str) -> np.ndarray:
    """`values` (tensor on any device, array or list) as a float numpy array without NaN/inf."""
    import torch

    if isinstance(values, torch.Tensor):
        array = values.detach().to("cpu", torch.float32).numpy()
    else:
        try:
            array = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{caller}: {name} must be a tensor or array of numbers, "
                f"got {type(values).__name__}"
            ) from None
    if array.size and not np.all(np.isfinite(array)):
        raise ValueError(f"{caller}: {name} contains NaN or infinite values")
    return array


def as_image_array(images: Any, name: str, caller: str) -> np.ndarray:
    """Images as a numpy array (N, 28, 28); clear error for any other shape or no images."""
    array = to_numpy(images, name, caller)
    if not is_image_shape(array.shape):
        raise image_shape_error(caller, name, array.shape)
    if len(array) == 0:
        raise ValueError(f"{caller}: {name} holds no images (shape {array.shape})")
    return array.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)


def module_device(owner: nn.Module | Callable[..., Any] | None) -> torch.device | None:
    """Device of a module's first parameter or buffer (a bound method's module counts), or None."""
    from torch import nn

    module = getattr(owner, "__self__", owner)
    if isinstance(module, nn.Module):
        for tensor in (*module.parameters(), *module.buffers()):
            return tensor.device
    return None
