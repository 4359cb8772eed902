"""01_autoencoder_recap: the hidden tests give the key full marks, charge each classic mistake to
its own question only, keep every correct variant at full marks, and give guesses nothing.

Every mutant below is a mistake students make; it must lose points on its own question and on no
other (a wrong `reconstruction_loss` must not also cost `train_autoencoder`). Every variant is a
correct answer written differently (epsilon in the log, clamping, torch.distributions, BCE from
logits, float64, other layer choices); it must keep every point.

Namespaces are assembled like a kernel's (`tests.otter_support.with_answers`): the key's functions
are rebound to the same globals as the replaced answers, so `train_autoencoder` really calls a
mutant `reconstruction_loss`, as it would in a student's notebook.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import hidden_questions, with_answers

ASSIGNMENT = "01_autoencoder_recap"
AUTO_GRADED = {"q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8"}


def _mlp(widths: list[int], last: nn.Module | None) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index, (width_in, width_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(width_in, width_out))
        if index < len(widths) - 2:
            layers.append(nn.ReLU())
    if last is not None:
        layers.append(last)
    return nn.Sequential(*layers)


# ---------------------------------------------------------------- AutoEncoder mutants


class AENoSigmoid(nn.Module):
    """The decoder ends with a linear layer: outputs are not probabilities."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], None)

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z), z


class AEFixedWidths(nn.Module):
    """Ignores hidden_dims and always uses (256, 128)."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, 256, 128, latent_dim], None)
        self.decoder = _mlp([latent_dim, 128, 256, 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z), z


class AEFixedLatent(nn.Module):
    """Ignores latent_dim and always uses 2."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, 2], None)
        self.decoder = _mlp([2, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z), z


class AENoFlatten(nn.Module):
    """Works only for (B, 784) inputs."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x)
        return self.decoder(z), z


class AESwappedOutputs(nn.Module):
    """Returns (z, x_hat) instead of (x_hat, z)."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return z, self.decoder(z)


class AEReluOnCode(nn.Module):
    """A ReLU after the last encoder layer: codes can never be negative."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], nn.ReLU())
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z), z


class AEDetachedCode(nn.Module):
    """Detaches z before decoding: the encoder never learns."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z.detach()), z


class AETanhOutput(nn.Module):
    """Tanh instead of sigmoid: outputs in (-1, 1)."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Tanh())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z), z


class AEImageShapedOutput(nn.Module):
    """Returns x_hat as (B, 1, 28, 28)."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = _mlp([784, *hidden_dims, latent_dim], None)
        self.decoder = _mlp([latent_dim, *reversed(hidden_dims), 784], nn.Sigmoid())

    def forward(self, x):
        z = self.encoder(x.reshape(x.shape[0], -1))
        return self.decoder(z).reshape(-1, 1, 28, 28), z


# ---------------------------------------------------------------- AutoEncoder variants


class AESeparateLayers(nn.Module):
    """Encoder and decoder as custom modules with a ModuleList and an explicit loop."""

    class Stack(nn.Module):
        def __init__(self, widths, final):
            super().__init__()
            self.layers = nn.ModuleList(
                nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True)
            )
            self.final = final

        def forward(self, h):
            for layer in self.layers[:-1]:
                h = torch.relu(layer(h))
            h = self.layers[-1](h)
            return torch.sigmoid(h) if self.final == "sigmoid" else h

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        self.encoder = self.Stack([784, *hidden_dims, latent_dim], "none")
        self.decoder = self.Stack([latent_dim, *hidden_dims[::-1], 784], "sigmoid")

    def forward(self, x):
        code = self.encoder(x.view(len(x), -1))
        return self.decoder(code), code


class AEFlattenInside(nn.Module):
    """nn.Flatten as the encoder's first layer, the layer list built with insertions."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        enc: list[nn.Module] = [nn.Flatten()]
        previous = 784
        for width in hidden_dims:
            enc += [nn.Linear(previous, width), nn.ReLU()]
            previous = width
        enc.append(nn.Linear(previous, latent_dim))
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = []
        previous = latent_dim
        for width in reversed(list(hidden_dims)):
            dec += [nn.Linear(previous, width), nn.ReLU()]
            previous = width
        dec += [nn.Linear(previous, 784), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)

    def forward(self, x):
        z = self.encoder(x)
        x_hat = self.decoder(z)
        return x_hat, z


# ---------------------------------------------------------------- other exercises


def rec_pixel_mean(x_hat, x):
    """F.binary_cross_entropy's default: the mean over every pixel of every image."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape))


def rec_batch_sum(x_hat, x):
    """Summed over the batch as well."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="sum")


def rec_no_reshape(x_hat, x):
    """Forgets that x may be image-shaped."""
    return F.binary_cross_entropy(x_hat, x, reduction="sum") / x_hat.shape[0]


def rec_squared_error(x_hat, x):
    """Squared error instead of binary cross-entropy."""
    return (x_hat - x.reshape(x_hat.shape)).pow(2).sum() / x_hat.shape[0]


def rec_swapped(x_hat, x):
    """Prediction and target swapped."""
    return F.binary_cross_entropy(x.reshape(x_hat.shape), x_hat, reduction="sum") / x_hat.shape[0]


def rec_per_image(x_hat, x):
    """No batch reduction: a (B,) vector."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="none").sum(dim=1)


def rec_detached(x_hat, x):
    """Right value, no gradient."""
    loss = F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="sum") / len(x_hat)
    return loss.detach()


def rec_from_logits(x_hat, x):
    """BCE with logits on logit(x_hat): a correct variant."""
    return (
        F.binary_cross_entropy_with_logits(
            torch.logit(x_hat), x.reshape(x_hat.shape), reduction="sum"
        )
        / x_hat.shape[0]
    )


def rec_explicit(x_hat, x):
    """The formula written out, per-image sums then the mean: a correct variant."""
    target = x.flatten(start_dim=1)
    per_image = -(target * torch.log(x_hat) + (1 - target) * torch.log1p(-x_hat)).sum(dim=1)
    return per_image.mean()


def _loader(train_x, batch_size, drop_last=False):
    order = torch.randperm(len(train_x))
    stop = len(order) - (len(order) % batch_size if drop_last else 0)
    for start in range(0, stop, batch_size):
        yield train_x[order[start : start + batch_size]]


def _dataloader(train_x, batch_size, drop_last=False):
    from torch.utils.data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(train_x), batch_size=batch_size, shuffle=True)
    for (images,) in loader:
        yield images


def _split_loader(train_x, batch_size, drop_last=False):
    yield from torch.split(train_x[torch.randperm(train_x.shape[0])], batch_size)


LOADERS = {"randperm": _loader, "dataloader": _dataloader, "split": _split_loader}


def _bce(x_hat, x):
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="sum") / len(x_hat)


def _bce_pixel_mean(x_hat, x):
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape))


def _bce_logits64(x_hat, x):
    """BCE from logits on logit(x_hat), in float64: a correct inline loss."""
    logits = torch.logit(x_hat.double(), eps=1e-7)
    target = x.reshape(x_hat.shape).double()
    return F.binary_cross_entropy_with_logits(logits, target, reduction="sum") / len(x)


def _make_train_autoencoder(
    *,
    optimizer: str = "adam",
    fixed_lr: bool = False,
    loss_fn: Callable = _bce,
    loader: str = "randperm",
    drop_last: bool = False,
    zero_grad: str = "per_batch",
    step: str = "per_batch",
    chunks: str = "weighted",
    record: str = "mean",
    eval_pass: bool = False,
    full_batch: bool = False,
    float64: bool = False,
) -> Callable:
    """A train_autoencoder with one deliberate mistake or one other correct way of writing it;
    the defaults are the key's loop.

    `loss_fn` is the loop's own loss (the key's loop, not these, calls reconstruction_loss).
    `zero_grad`: "per_batch" (before the chunks), "per_chunk" (only the last chunk's gradient
    survives), "after_backward" (every step uses zero gradients), "never" (gradients pile up),
    "per_epoch" (once, at the start of each epoch). `step`: "per_batch", "per_chunk",
    "per_epoch" (one step on the epoch's summed gradient) or "never". `chunks`: how a mini-batch
    is split and weighted:
    "weighted" (each chunk's mean loss times its share of the batch), "summed" (chunk losses
    summed over images, divided by the batch size: correct), "grads_scaled" (summed losses, then
    the gradients divided by the batch size: correct), "unweighted" (the mean of the chunk means),
    "sum_of_means" (chunk means added up), "ignored" (the whole batch at once). `record`: each
    epoch's loss as the "mean" of the batch losses, "weighted" by batch size, their "sum", the
    "last" batch's, the mean as a "tensor", "detached" (tensor sums, one .item() per epoch), or
    "final" (only the last epoch's value, as a float). `float64`: the model and every batch
    converted to float64 first (correct).
    """

    def train_autoencoder(model, train_x, epochs, batch_size=128, lr=1e-3, max_chunk=None):
        if float64:
            model.double()
        make = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[optimizer]
        opt = make(model.parameters(), lr=1e-3 if fixed_lr else lr)
        history = []
        for _ in range(epochs):
            model.train()
            values, sizes = [], []
            source = [train_x] if full_batch else LOADERS[loader](train_x, batch_size, drop_last)
            if zero_grad == "per_epoch":
                opt.zero_grad()
            for x in source:
                x = x.double() if float64 else x
                cap = len(x) if chunks == "ignored" or not max_chunk else max_chunk
                pieces = torch.split(x, cap)
                if zero_grad == "per_batch":
                    opt.zero_grad()
                batch_loss = torch.zeros(())
                for chunk in pieces:
                    mean = loss_fn(model(chunk)[0], chunk)
                    if chunks in ("summed", "grads_scaled"):
                        loss = mean * len(chunk) / (1 if chunks == "grads_scaled" else len(x))
                    elif chunks == "unweighted":
                        loss = mean / len(pieces)
                    elif chunks == "sum_of_means":
                        loss = mean
                    else:
                        loss = mean * len(chunk) / len(x)
                    if zero_grad == "per_chunk":
                        opt.zero_grad()
                    loss.backward()
                    batch_loss = batch_loss + loss.detach().double()
                    if step == "per_chunk":
                        opt.step()
                if chunks == "grads_scaled":
                    batch_loss = batch_loss / len(x)
                    for param in model.parameters():
                        if param.grad is not None:
                            param.grad /= len(x)
                if zero_grad == "after_backward":
                    opt.zero_grad()
                if step == "per_batch":
                    opt.step()
                values.append(batch_loss if record in ("tensor", "detached") else batch_loss.item())
                sizes.append(len(x))
            if step == "per_epoch":
                opt.step()
            if eval_pass:
                model.eval()
                with torch.no_grad():
                    model(train_x[:8])
            if record == "tensor":
                history.append(torch.stack(values).mean())
            elif record == "detached":
                total = sum(v * n for v, n in zip(values, sizes, strict=True))
                history.append((total / sum(sizes)).item())
            elif record == "weighted":
                history.append(sum(v * n for v, n in zip(values, sizes, strict=True)) / sum(sizes))
            elif record == "sum":
                history.append(sum(values))
            elif record == "last":
                history.append(values[-1])
            else:
                history.append(sum(values) / len(values))
        return history[-1] if record == "final" else history

    return train_autoencoder


# The loop's classic mistakes, one each.
train_no_step = _make_train_autoencoder(step="never")
train_no_zero_grad = _make_train_autoencoder(zero_grad="never")  # gradients pile up
train_sum_of_batches = _make_train_autoencoder(record="sum")
train_last_batch = _make_train_autoencoder(record="last")
train_tensors = _make_train_autoencoder(record="tensor")  # tensors, not Python floats
train_fixed_lr = _make_train_autoencoder(fixed_lr=True)  # ignores lr: always 1e-3
train_drop_last = _make_train_autoencoder(drop_last=True)  # drops the last incomplete batch
train_sgd = _make_train_autoencoder(optimizer="sgd")  # plain SGD instead of Adam
# Its own loss inline with F.binary_cross_entropy's default (mean over pixels too).
train_pixel_mean_inline = _make_train_autoencoder(loss_fn=_bce_pixel_mean)
# zero_grad between backward and step: every step uses zero gradients.
train_zero_grad_after_backward = _make_train_autoencoder(zero_grad="after_backward")
train_full_batch = _make_train_autoencoder(full_batch=True)  # ignores batch_size
# Only the last epoch's loss, one float instead of a list.
train_only_final = _make_train_autoencoder(record="final", fixed_lr=True)
# The decision's mistakes: what happens to the chunks of one mini-batch.
train_chunks_ignored = _make_train_autoencoder(chunks="ignored")  # the cap is not honoured
# The mean of the chunk means: a short last chunk weighs as much as a full one.
train_chunks_unweighted = _make_train_autoencoder(chunks="unweighted")
train_chunks_sum_of_means = _make_train_autoencoder(chunks="sum_of_means")
train_step_per_chunk = _make_train_autoencoder(step="per_chunk")  # one step per chunk
train_zero_grad_per_chunk = _make_train_autoencoder(zero_grad="per_chunk")  # last chunk only
# Training that never reaches the model passed in, and one step per epoch (caught by `learns`
# alone: with one mini-batch per epoch, as in the Adam checks, it is the right loop).
train_step_per_epoch = _make_train_autoencoder(zero_grad="per_epoch", step="per_epoch")


def train_made_up_history(model, train_x, epochs, batch_size=128, lr=1e-3, max_chunk=None):
    """Returns a falling history of plausible numbers and never trains."""
    return [550.0 * 0.9**epoch for epoch in range(epochs)]


def train_a_copy(model, train_x, epochs, batch_size=128, lr=1e-3, max_chunk=None):
    """Trains a deep copy (to leave the argument untouched) and returns its history."""
    import copy

    return _key_loop(copy.deepcopy(model), train_x, epochs, batch_size, lr, max_chunk)


def train_restores_start(model, train_x, epochs, batch_size=128, lr=1e-3, max_chunk=None):
    """Trains, then loads the starting weights back (saved "to be safe")."""
    import copy

    start = copy.deepcopy(model.state_dict())
    history = _key_loop(model, train_x, epochs, batch_size, lr, max_chunk)
    model.load_state_dict(start)
    return history


_key_loop = _make_train_autoencoder()

# Correct loops written differently.
train_dataloader_variant = _make_train_autoencoder(loader="dataloader", loss_fn=_bce)
train_with_eval_pass = _make_train_autoencoder(record="weighted", eval_pass=True)
train_unweighted_batches = _make_train_autoencoder(loss_fn=_bce)
train_logits_inline = _make_train_autoencoder(loss_fn=_bce_logits64, record="weighted")
train_detached_sums = _make_train_autoencoder(record="detached", chunks="summed")
train_split_chunks = _make_train_autoencoder(loader="split", chunks="grads_scaled")
train_float64 = _make_train_autoencoder(float64=True, chunks="summed", record="weighted")


def mesh_missing_end(lim, side):
    """linspace with one point too many, then the last dropped: +lim is missing."""
    values = torch.linspace(-lim, lim, side + 1)[:-1]
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1)


def mesh_arange_step(lim, side):
    """A step of 2 lim / side instead of 2 lim / (side - 1)."""
    values = -lim + torch.arange(side) * (2 * lim / side)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1)


def mesh_bottom_first(lim, side):
    """Rows start at -lim (bottom first): the picture comes out upside down."""
    values = torch.linspace(-lim, lim, side)
    rows, cols = torch.meshgrid(values, values, indexing="ij")
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1)


def mesh_transposed(lim, side):
    """Coordinates swapped: (row value, column value)."""
    values = torch.linspace(-lim, lim, side)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([rows.reshape(-1), cols.reshape(-1)], dim=1)


def mesh_grid_shape(lim, side):
    """Returns (side, side, 2) instead of (side * side, 2)."""
    values = torch.linspace(-lim, lim, side)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([cols, rows], dim=-1)


def mesh_positive_only(lim, side):
    """Covers [0, lim] instead of [-lim, lim]."""
    values = torch.linspace(0, lim, side)
    rows, cols = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([cols.reshape(-1), rows.reshape(-1)], dim=1)


def mesh_loops(lim, side):
    """Python loops over rows and columns: a correct variant."""
    step = 2 * lim / (side - 1)
    points = []
    for i in range(side):
        for j in range(side):
            points.append([-lim + j * step, lim - i * step])
    return torch.tensor(points, dtype=torch.float32)


def mesh_xy_indexing(lim, side):
    """meshgrid with indexing='xy' and a descending second axis: a correct variant."""
    xs = torch.linspace(-lim, lim, side)
    ys = torch.linspace(lim, -lim, side)
    grid_x, grid_y = torch.meshgrid(xs, ys, indexing="xy")
    return torch.stack((grid_x, grid_y), dim=-1).reshape(-1, 2)


def mesh_cartesian_prod(lim, side):
    """torch.cartesian_prod, columns reordered: a correct variant."""
    values = torch.linspace(-lim, lim, side)
    pairs = torch.cartesian_prod(values.flip(0), values)
    return pairs[:, [1, 0]]


def interp_missing_end(z_start, z_end, steps):
    """t = k / steps: never reaches z_end."""
    t = torch.arange(steps, dtype=z_start.dtype)[:, None] / steps
    return z_start + t * (z_end - z_start)


def interp_interior_only(z_start, z_end, steps):
    """Drops both endpoints."""
    t = torch.linspace(0, 1, steps + 2, dtype=z_start.dtype)[1:-1, None]
    return z_start + t * (z_end - z_start)


def interp_reversed(z_start, z_end, steps):
    """Runs from z_end to z_start."""
    t = torch.linspace(0, 1, steps, dtype=z_start.dtype)[:, None]
    return t * z_start + (1 - t) * z_end


def interp_one_extra(z_start, z_end, steps):
    """steps + 1 points."""
    t = torch.linspace(0, 1, steps + 1, dtype=z_start.dtype)[:, None]
    return z_start + t * (z_end - z_start)


def interp_quadratic(z_start, z_end, steps):
    """Right endpoints, uneven spacing (t squared)."""
    t = torch.linspace(0, 1, steps, dtype=z_start.dtype)[:, None] ** 2
    return z_start + t * (z_end - z_start)


def interp_lerp(z_start, z_end, steps):
    """torch.lerp with broadcast weights: a correct variant."""
    weights = torch.linspace(0, 1, steps, dtype=z_start.dtype).unsqueeze(1)
    return torch.lerp(z_start.expand(steps, -1), z_end.expand(steps, -1), weights)


def interp_loop(z_start, z_end, steps):
    """A Python loop and torch.stack: a correct variant."""
    rows = []
    for k in range(steps):
        frac = k / (steps - 1)
        rows.append((1 - frac) * z_start + frac * z_end)
    return torch.stack(rows)


# ---------------------------------------------------------------- added mutants (and cascades)


def rec_wrong_sign(x_hat, x):
    """The log-likelihood instead of its negative."""
    x = x.reshape(x_hat.shape)
    return (x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1).mean()


def rec_not_implemented(x_hat, x):
    """Left unfinished: a student who skipped q2 must still earn q4."""
    raise NotImplementedError


def rec_python_float(x_hat, x):
    """Right value as a Python float: no graph, so nothing can train through it."""
    return float(F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="sum")) / len(
        x_hat
    )


def mesh_no_flip_second(lim, side):
    """The second coordinate increases down the rows (no flip) and the first along them."""
    values = torch.linspace(-lim, lim, side)
    return torch.tensor(
        [[values[j].item(), values[i].item()] for i in range(side) for j in range(side)]
    )


def interp_t_from_one(z_start, z_end, steps):
    """t = k / steps for k = 1..steps: misses z_start."""
    t = torch.arange(1, steps + 1, dtype=z_start.dtype)[:, None] / steps
    return z_start + t * (z_end - z_start)


# ---------------------------------------------------------------- added variants (fairness)


def rec_eps_in_log(x_hat, x):
    """An epsilon of 1e-6 inside both logs."""
    x = x.reshape(x_hat.shape)
    eps = 1e-6
    per_image = -(x * torch.log(x_hat + eps) + (1 - x) * torch.log(1 - x_hat + eps)).sum(dim=1)
    return per_image.mean()


def rec_clamped(x_hat, x):
    """Probabilities clamped to [1e-6, 1 - 1e-6] before the formula."""
    p = x_hat.clamp(1e-6, 1 - 1e-6)
    x = x.reshape(p.shape)
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum() / p.shape[0]


def rec_bernoulli_distribution(x_hat, x):
    """torch.distributions.Bernoulli without validation (grey targets)."""
    log_lik = Bernoulli(probs=x_hat, validate_args=False).log_prob(x.reshape(x_hat.shape))
    return -log_lik.sum(dim=-1).mean()


def rec_float64(x_hat, x):
    """Everything in float64."""
    p, target = x_hat.double(), x.reshape(x_hat.shape).double()
    return F.binary_cross_entropy(p, target, reduction="none").sum(dim=1).mean()


def rec_none_reduction(x_hat, x):
    """reduction='none', summed over pixels, averaged over images."""
    return F.binary_cross_entropy(x_hat, x.view(len(x), -1), reduction="none").sum(1).mean()


class AEFunctional(nn.Module):
    """Hand-written layers in ModuleLists, functional relu/sigmoid, flatten with view(-1, 784)."""

    def __init__(self, latent_dim=2, hidden_dims=(256, 128)):
        super().__init__()
        enc = [784, *hidden_dims, latent_dim]
        dec = enc[::-1]
        self.encoder = AESeparateLayers.Stack(enc, "none")
        self.decoder = AESeparateLayers.Stack(dec, "sigmoid")

    def forward(self, x):
        z = self.encoder(x.view(-1, 784))
        return self.decoder(z), z


def mesh_float64(lim, side):
    """Built in float64 with numpy-like broadcasting."""
    values = torch.linspace(-lim, lim, side, dtype=torch.float64)
    first = values.repeat(side)
    second = values.flip(0).repeat_interleave(side)
    return torch.stack([first, second], dim=1)


def interp_convex(z_start, z_end, steps):
    """(1 - t) z_start + t z_end."""
    t = torch.linspace(0, 1, steps).to(z_start.dtype).unsqueeze(1)
    return (1 - t) * z_start + t * z_end


Q3_EXACT = -(100 * math.log(0.1) + 684 * math.log(0.9))

MUTANTS: dict[str, tuple[str, str, Any]] = {
    "ae_no_sigmoid": ("q1", "AutoEncoder", AENoSigmoid),
    "ae_fixed_widths": ("q1", "AutoEncoder", AEFixedWidths),
    "ae_fixed_latent": ("q1", "AutoEncoder", AEFixedLatent),
    "ae_no_flatten": ("q1", "AutoEncoder", AENoFlatten),
    "ae_swapped_outputs": ("q1", "AutoEncoder", AESwappedOutputs),
    "ae_relu_on_code": ("q1", "AutoEncoder", AEReluOnCode),
    "ae_detached_code": ("q1", "AutoEncoder", AEDetachedCode),
    "ae_tanh_output": ("q1", "AutoEncoder", AETanhOutput),
    "ae_image_shaped_output": ("q1", "AutoEncoder", AEImageShapedOutput),
    # reconstruction_loss: the key's train_autoencoder calls these (cascades into q4)
    "rec_pixel_mean": ("q2", "reconstruction_loss", rec_pixel_mean),
    "rec_batch_sum": ("q2", "reconstruction_loss", rec_batch_sum),
    "rec_no_reshape": ("q2", "reconstruction_loss", rec_no_reshape),
    "rec_squared_error": ("q2", "reconstruction_loss", rec_squared_error),
    "rec_swapped": ("q2", "reconstruction_loss", rec_swapped),
    "rec_per_image": ("q2", "reconstruction_loss", rec_per_image),
    "rec_detached": ("q2", "reconstruction_loss", rec_detached),
    "rec_wrong_sign": ("q2", "reconstruction_loss", rec_wrong_sign),
    "rec_not_implemented": ("q2", "reconstruction_loss", rec_not_implemented),
    "rec_python_float": ("q2", "reconstruction_loss", rec_python_float),
    "q3_half_from_the_prose": ("q3", "q3_answer", 784 * math.log(2)),
    "q3_ink_only": ("q3", "q3_answer", -100 * math.log(0.1)),
    "q3_background_only": ("q3", "q3_answer", -684 * math.log(0.9)),
    "q3_every_pixel_inked": ("q3", "q3_answer", -784 * math.log(0.1)),
    "q3_pixel_mean": ("q3", "q3_answer", Q3_EXACT / 784),
    "q3_bits": ("q3", "q3_answer", Q3_EXACT / math.log(2)),
    "train_no_step": ("q4", "train_autoencoder", train_no_step),
    "train_no_zero_grad": ("q4", "train_autoencoder", train_no_zero_grad),
    "train_sum_of_batches": ("q4", "train_autoencoder", train_sum_of_batches),
    "train_last_batch": ("q4", "train_autoencoder", train_last_batch),
    "train_tensors": ("q4", "train_autoencoder", train_tensors),
    "train_fixed_lr": ("q4", "train_autoencoder", train_fixed_lr),
    "train_full_batch": ("q4", "train_autoencoder", train_full_batch),
    "train_drop_last": ("q4", "train_autoencoder", train_drop_last),
    "train_sgd": ("q4", "train_autoencoder", train_sgd),
    "train_only_final": ("q4", "train_autoencoder", train_only_final),
    "train_pixel_mean_inline": ("q4", "train_autoencoder", train_pixel_mean_inline),
    "train_zero_grad_after_backward": ("q4", "train_autoencoder", train_zero_grad_after_backward),
    "train_chunks_ignored": ("q4", "train_autoencoder", train_chunks_ignored),
    "train_chunks_unweighted": ("q4", "train_autoencoder", train_chunks_unweighted),
    "train_chunks_sum_of_means": ("q4", "train_autoencoder", train_chunks_sum_of_means),
    "train_step_per_chunk": ("q4", "train_autoencoder", train_step_per_chunk),
    "train_zero_grad_per_chunk": ("q4", "train_autoencoder", train_zero_grad_per_chunk),
    "train_step_per_epoch": ("q4", "train_autoencoder", train_step_per_epoch),
    "train_made_up_history": ("q4", "train_autoencoder", train_made_up_history),
    "train_a_copy": ("q4", "train_autoencoder", train_a_copy),
    "train_restores_start": ("q4", "train_autoencoder", train_restores_start),
    "q5_lookup_table": ("q5", "q5_answer", "a"),
    "q5_labels": ("q5", "q5_answer", "b"),
    "q5_uniform_square": ("q5", "q5_answer", "c"),
    "mesh_missing_end": ("q6", "latent_mesh", mesh_missing_end),
    "mesh_arange_step": ("q6", "latent_mesh", mesh_arange_step),
    "mesh_bottom_first": ("q6", "latent_mesh", mesh_bottom_first),
    "mesh_transposed": ("q6", "latent_mesh", mesh_transposed),
    "mesh_grid_shape": ("q6", "latent_mesh", mesh_grid_shape),
    "mesh_positive_only": ("q6", "latent_mesh", mesh_positive_only),
    "mesh_no_flip_second": ("q6", "latent_mesh", mesh_no_flip_second),
    "q7_fitted_gaussian_solves_it": ("q7", "q7_answer", "b"),
    "q7_already_standard": ("q7", "q7_answer", "c"),
    "q7_defined_only_at_codes": ("q7", "q7_answer", "d"),
    "interp_missing_end": ("q8", "interpolate", interp_missing_end),
    "interp_interior_only": ("q8", "interpolate", interp_interior_only),
    "interp_reversed": ("q8", "interpolate", interp_reversed),
    "interp_one_extra": ("q8", "interpolate", interp_one_extra),
    "interp_quadratic": ("q8", "interpolate", interp_quadratic),
    "interp_t_from_one": ("q8", "interpolate", interp_t_from_one),
}

VARIANTS: dict[str, tuple[str, str, Any]] = {
    "ae_separate_layers": ("q1", "AutoEncoder", AESeparateLayers),
    "ae_flatten_inside": ("q1", "AutoEncoder", AEFlattenInside),
    "ae_functional": ("q1", "AutoEncoder", AEFunctional),
    "rec_from_logits": ("q2", "reconstruction_loss", rec_from_logits),
    "rec_explicit": ("q2", "reconstruction_loss", rec_explicit),
    "rec_eps_in_log": ("q2", "reconstruction_loss", rec_eps_in_log),
    "rec_clamped": ("q2", "reconstruction_loss", rec_clamped),
    "rec_bernoulli_distribution": ("q2", "reconstruction_loss", rec_bernoulli_distribution),
    "rec_float64": ("q2", "reconstruction_loss", rec_float64),
    "rec_none_reduction": ("q2", "reconstruction_loss", rec_none_reduction),
    "q3_rounded": ("q3", "q3_answer", 302.3),
    "q3_integer": ("q3", "q3_answer", 302),
    "train_dataloader": ("q4", "train_autoencoder", train_dataloader_variant),
    "train_with_eval_pass": ("q4", "train_autoencoder", train_with_eval_pass),
    "train_unweighted_batches": ("q4", "train_autoencoder", train_unweighted_batches),
    "train_logits_inline": ("q4", "train_autoencoder", train_logits_inline),
    "train_detached_sums": ("q4", "train_autoencoder", train_detached_sums),
    "train_split_chunks": ("q4", "train_autoencoder", train_split_chunks),
    "train_float64": ("q4", "train_autoencoder", train_float64),
    "q5_upper_case": ("q5", "q5_answer", "D"),
    "mesh_loops": ("q6", "latent_mesh", mesh_loops),
    "mesh_xy_indexing": ("q6", "latent_mesh", mesh_xy_indexing),
    "mesh_cartesian_prod": ("q6", "latent_mesh", mesh_cartesian_prod),
    "mesh_float64": ("q6", "latent_mesh", mesh_float64),
    "q7_padded": ("q7", "q7_answer", " a"),
    "interp_lerp": ("q8", "interpolate", interp_lerp),
    "interp_loop": ("q8", "interpolate", interp_loop),
    "interp_convex": ("q8", "interpolate", interp_convex),
}


def _history_shape(model, train_x, epochs, *args, **kwargs):
    """What train_autoencoder returns, for its stubs: one float per epoch."""
    return [0.0] * epochs


# ---------------------------------------------------------------- tests


STUB_SHAPES = {"train_autoencoder": _history_shape}


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS, stub_shapes=STUB_SHAPES)


def _as_probe_inputs(value: Any) -> Any:
    """Grader inputs as the kernel sees them: arrays become torch tensors."""
    if isinstance(value, dict) and value.get("__array__") is True:
        dtype = getattr(torch, value["dtype"])
        return torch.tensor(value["data"], dtype=dtype).reshape(value["shape"])
    if isinstance(value, dict):
        return {k: _as_probe_inputs(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_probe_inputs(v) for v in value]
    return value


def test_training_probe_swaps_in_a_stand_in_loss_and_restores_it() -> None:
    """With q2 unfinished, the run as written fails, the run with the stand-in loss does not,
    and the student's reconstruction_loss is back in place afterwards."""
    from vae_grading.probes import KERNEL_RUNTIME, encode_inputs

    question = next(q for q in hidden_questions(ASSIGNMENT) if q.name == "q4")
    scope = with_answers(ASSIGNMENT, {"reconstruction_loss": rec_not_implemented})
    exec(KERNEL_RUNTIME, scope)
    inputs = _as_probe_inputs(encode_inputs(question.make_inputs(np.random.default_rng(7))))
    out = question.probe(scope, inputs)
    assert scope["reconstruction_loss"] is rec_not_implemented
    assert scope["train_autoencoder"].__globals__ is scope
    parts = ("frozen", "bookkeeping", "chunks", "adam", "accumulate", "easy")
    assert all("error" in out["own"][part] for part in parts)
    standin = out["standin"]
    assert not any(isinstance(v, dict) and "error" in v for v in standin.values()), standin


TRAINS_NOTHING_IT_WAS_GIVEN = (
    "train_no_step",
    "train_made_up_history",
    "train_a_copy",
    "train_restores_start",
    "train_step_per_epoch",
)


def test_learns_judges_the_model_passed_in() -> None:
    """`learns` fails every loop that leaves the model passed in (nearly) as it was, whatever
    history it returns, and passes the key and every correct loop; one step per epoch is caught
    by it alone."""
    from tests.otter_support import stub_scores

    def failed(replacements: dict[str, Any], seed: int) -> set[str]:
        score = stub_scores(ASSIGNMENT, {"q4"}, replacements, seed=seed)["q4"]
        return {c.name for c in score.checks if not c.passed}

    for seed, name in enumerate(TRAINS_NOTHING_IT_WAS_GIVEN):
        assert "learns" in failed({"train_autoencoder": MUTANTS[name][2]}, seed), name
    assert failed({"train_autoencoder": train_step_per_epoch}, 11) == {"learns"}
    assert not failed({}, 12)
    for seed, (name, (question, variable, value)) in enumerate(VARIANTS.items()):
        if question == "q4":
            assert not failed({variable: value}, 20 + seed), name
