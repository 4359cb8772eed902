"""Hidden tests of 03_vae_implementation: probes run in the student's kernel, verdicts here.

Inputs are drawn fresh for every grading; float32 and float64 answers both pass.

One mistake costs one question. `evaluate`, `train_vae` and `reconstruct` are probed on a small
model the probe builds from the grader's weights (never the student's `VAE`): `probe_model`, one
of the kernel prelude's pieces, shipped with the probes that name it (`Question.prelude`).
`evaluate` and `train_vae` run twice: as written, and with stand-ins swapped into the notebook's
namespace for `vae_loss`, `bernoulli_nll`, `gaussian_kl` (and, for `train_vae`, `evaluate`) for
the duration of the call. The stand-ins are
the answer to no question: random quadratics in place of the loss terms, and an `evaluate` that
returns numbers drawn here and records how it was called. A check passes when the run as written
passes it against the true loss or the stand-in run passes it against the stand-ins, so an edited
copy of the provided loss costs nothing, a bug in Q4 is charged there and not again in Q5, and no
correct loss or evaluate ever reaches the kernel. The verdicts know the probe model's weights, so
the expected scores are computed here, in numpy, from the inputs alone. `binarize` (Q10) is judged
from statistics over many calls, never from one draw; `ConvVAE` (Q11) by the contract of Q1, at a
random latent size, plus the presence of a convolution and a parameter count far below the
fully connected VAE's, never by one architecture. Each question's checks are declared once, where
they are decided (`ev.Verdicts`), in the order Gradescope lists them.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from vae_grading import evidence as ev
from vae_grading.evidence import (
    MalformedOutput,
    as_array,
    as_float,
    choice_question,
    close,
    first_passing,
    number_question,
)
from vae_grading.references import ref_kl, sigmoid

PIXELS = 784

# ------------------------------------------------------------------ references (grader only)


def bce_from_logits(logits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of sigmoid(logits) against x, summed over the last axis (stable)."""
    return (np.logaddexp(0.0, logits) - x * logits).sum(axis=-1)


def f32(array: np.ndarray) -> np.ndarray:
    """The float32 values the kernel sees, as float64."""
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def tiny_weights(rng: np.random.Generator, latent: int, mu_range: float = 1.2) -> dict:
    """Weights of the reference model: Linear(784, 2d) encoder, Linear(d, 784) decoder."""
    enc_bias = np.concatenate(
        [rng.uniform(-mu_range, mu_range, latent), rng.uniform(-0.3, 0.6, latent)]
    )
    return {
        "enc_w": (0.05 * rng.standard_normal((2 * latent, PIXELS))).astype(np.float32),
        "enc_b": enc_bias.astype(np.float32),
        "dec_w": (0.6 * rng.standard_normal((PIXELS, latent))).astype(np.float32),
        "dec_b": (0.5 * rng.standard_normal(PIXELS)).astype(np.float32),
    }


def tiny_encode(weights: dict, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, logvar) of the reference model for flat images x (float64)."""
    out = x @ f32(weights["enc_w"]).T + f32(weights["enc_b"])
    latent = out.shape[1] // 2
    return out[:, :latent], out[:, latent:]


def tiny_logits(weights: dict, z: np.ndarray) -> np.ndarray:
    """Decoder logits of the reference model for codes z (..., d)."""
    # einsum: a BLAS product with an inner size of 2 or 3 is slow and competes for threads
    return np.einsum("...d,pd->...p", z, f32(weights["dec_w"])) + f32(weights["dec_b"])


def standin_coefficients(rng: np.random.Generator) -> dict:
    """Coefficients of the stand-in loss terms: nll_s(x_hat, x) = a sum_j (x_hat_j - x_j)^2 and
    kl_s(mu, logvar) = sum_d (d mu^2 + f logvar^2), both never negative, neither a cross-entropy
    nor a KL."""
    return {"a": float(rng.uniform(1.0, 3.0)), "d": float(rng.uniform(0.3, 1.0)),
            "f": float(rng.uniform(0.3, 1.0))}  # fmt: skip


def standin_nll_from_logits(coef: dict, logits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The stand-in for bernoulli_nll at x_hat = sigmoid(logits), summed over the last axis."""
    return coef["a"] * ((sigmoid(logits) - x) ** 2).sum(axis=-1)


def standin_kl(coef: dict, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """The stand-in for gaussian_kl, summed over the last axis."""
    return (coef["d"] * mu**2 + coef["f"] * logvar**2).sum(axis=-1)


def standin_terms(coef: dict) -> tuple[Callable, Callable]:
    """The stand-in (nll from logits, kl) pair, for the expectations below."""
    return (
        lambda logits, x: standin_nll_from_logits(coef, logits, x),
        lambda mu, logvar: standin_kl(coef, mu, logvar),
    )


def probe_model_scale(rng: np.random.Generator) -> float:
    """The probe model draws z = mu + scale * sigma * eps: it is not a VAE's sampler (a copy of
    its reparameterize is no answer to Q1 or Q11), and the verdicts know the scale."""
    return float(np.round(rng.uniform(0.55, 0.8), 3))


def sampled_loss_stats(
    weights: dict,
    images: np.ndarray,
    terms: tuple[Callable, Callable] = (bce_from_logits, ref_kl),
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per image: the mean of the one-sample loss nll + KL over z = mu + scale * sigma * eps, its
    variance over z, and the loss at z = mu, for the true terms or the stand-ins. The expectation
    over z is a Gauss-Hermite product rule (exact to far below the tolerances for this smooth
    integrand in two or three dimensions)."""
    nll_of_logits, kl_of = terms
    mu, logvar = tiny_encode(weights, images)
    latent = mu.shape[1]
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(12 if latent <= 2 else 7)
    node_weights = node_weights / node_weights.sum()
    grid = np.stack(np.meshgrid(*[nodes] * latent, indexing="ij"), -1).reshape(-1, latent)
    mass = np.prod(np.stack(np.meshgrid(*[node_weights] * latent, indexing="ij"), -1), -1)
    mass = mass.reshape(-1)
    kl = kl_of(mu, logvar)
    means, variances = np.empty(len(images)), np.empty(len(images))
    for i, image in enumerate(images):
        z = mu[i] + scale * np.exp(0.5 * logvar[i]) * grid
        nll = nll_of_logits(tiny_logits(weights, z), image)
        first = float(mass @ nll)
        means[i], variances[i] = first + kl[i], max(float(mass @ nll**2) - first**2, 0.0)
    at_mean = nll_of_logits(tiny_logits(weights, mu), images) + kl
    return means, variances, at_mean


RUNS = ("as_written", "standins")


# ------------------------------------------------------------------ kernel prelude
# Helpers several probes share. Each runs in the student's kernel, self-contained like a probe:
# a Question names the ones its probe needs (`prelude=`), their source travels in its probe cell,
# and the probe takes them from ns["_vae_grading_prelude_<name>"] on its first lines.


def probe_model(inputs: dict) -> Any:
    """(kernel) The probe model handed to evaluate, train_vae and reconstruct: a Linear(784, 2d)
    encoder and a Linear(d, 784) decoder holding the grader's weights, whose reparameterize draws
    z = mu + scale * sigma * eps (not a VAE's sampler: the verdicts know the scale)."""
    import torch
    from torch import nn

    class TinyVAE(nn.Module):
        def __init__(self):
            super().__init__()
            d = inputs["latent"]
            self.latent_dim, self.input_dim = d, 784
            self.enc, self.dec = nn.Linear(784, 2 * d), nn.Linear(d, 784)
            with torch.no_grad():
                for layer, name in ((self.enc, "enc"), (self.dec, "dec")):
                    layer.weight.copy_(inputs[name + "_w"])
                    layer.bias.copy_(inputs[name + "_b"])

        def encode(self, x):
            return self.enc(x.reshape(x.shape[0], -1)).chunk(2, dim=1)

        def reparameterize(self, mu, logvar):
            return mu + inputs["scale"] * torch.exp(0.5 * logvar) * torch.randn_like(mu)

        def decode(self, z):
            return torch.sigmoid(self.dec(z))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return self.decode(self.reparameterize(mu, logvar)), mu, logvar

    return TinyVAE()


def sampled_decodes(model: Any, images: Any, seed: int, attempt: Callable) -> tuple:
    """(kernel) encode(images) without gradients, and decode(z) for z drawn after seeding torch
    with `seed` in each way a VAE may sample its code (model.reparameterize, mu + sigma * eps,
    Normal.rsample): forward(x) under the same seed must equal one of them."""
    import torch
    from torch.distributions import Normal

    with torch.no_grad():
        mu, logvar = model.encode(images)
        candidates = []
        samplers = (
            lambda: model.reparameterize(mu, logvar),
            lambda: mu + torch.exp(0.5 * logvar) * torch.randn_like(mu),
            lambda: Normal(mu, torch.exp(0.5 * logvar)).rsample(),
        )
        for sampler in samplers:
            torch.manual_seed(seed)
            candidates.append(attempt(lambda draw=sampler: model.decode(draw())))
    return mu, logvar, candidates


def standin_losses(inputs: dict) -> dict:
    """(kernel) The stand-ins for vae_loss, bernoulli_nll and gaussian_kl, keyed by the names
    they replace: quadratics with the grader's coefficients inputs["standin"], the answer to no
    question."""

    def standin_nll(x_hat, x):
        return inputs["standin"]["a"] * ((x_hat - x.reshape(x_hat.shape)) ** 2).sum(dim=-1)

    def standin_kl(mu, logvar):
        coef = inputs["standin"]
        return (coef["d"] * mu**2 + coef["f"] * logvar**2).sum(dim=-1)

    def standin_loss(x_hat, x, mu, logvar, beta=1.0):
        return (standin_nll(x_hat, x) + beta * standin_kl(mu, logvar)).mean()

    return {"vae_loss": standin_loss, "bernoulli_nll": standin_nll, "gaussian_kl": standin_kl}


def swapped_in(ns: dict, standins: dict, call: Callable) -> Any:
    """(kernel) call() with `standins` in the notebook's namespace; afterwards the notebook's own
    functions are put back (a name it did not define is removed)."""
    saved = {name: ns[name] for name in standins if name in ns}
    ns.update(standins)
    try:
        return call()
    finally:
        for name in standins:
            if name in saved:
                ns[name] = saved[name]
            else:
                ns.pop(name, None)


# ------------------------------------------------------------------ q1: VAE


def vae_inputs(rng: np.random.Generator) -> dict:
    """Random sizes, images and codes; per-dimension means and variances for the statistics."""
    variances = np.array([rng.uniform(0.15, 0.3), rng.uniform(2.0, 4.0), rng.uniform(1.3, 1.7)])[
        rng.permutation(3)
    ]
    latent, hidden = int(rng.integers(2, 6)), int(rng.integers(9, 25))
    batch = int(rng.choice([5, 7, 9, 11]))
    return {
        "seed": int(rng.integers(0, 2**31)),
        "latent": latent,
        "hidden": hidden,
        "images": rng.uniform(0, 1, (batch, 1, 28, 28)).astype(np.float32),
        "sizes": {
            "latent": int(rng.integers(2, 5)),
            "hidden": int(rng.integers(7, 15)),
            "input_dim": int(rng.integers(30, 70)),
            "batch": int(rng.choice([3, 5, 7])),
        },
        "z_big": (25.0 * rng.standard_normal((11, latent))).astype(np.float32),
        "stat_mu": rng.uniform(-3.0, 3.0, 3).astype(np.float32),
        "stat_logvar": np.log(variances).astype(np.float32),
        "rows": 200000,
        "grad_mu": rng.standard_normal((9, latent)).astype(np.float32),
        "grad_logvar": rng.standard_normal((9, latent)).astype(np.float32),
        "flat": rng.uniform(0, 1, (int(rng.choice([5, 6, 7])), PIXELS)).astype(np.float32),
        "weights": rng.standard_normal(PIXELS).astype(np.float32),
    }


def vae_probe(ns: dict, inputs: dict) -> dict:
    """Build the student's VAE at random sizes and report what each method returns."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    sampled_decodes = ns["_vae_grading_prelude_sampled_decodes"]
    VAE = ns["VAE"]
    seed, latent, hidden = inputs["seed"], inputs["latent"], inputs["hidden"]
    images = inputs["images"]

    def model():
        torch.manual_seed(seed)
        return VAE(latent_dim=latent, hidden_dim=hidden)

    def encode():
        m = model()
        with torch.no_grad():
            mu, logvar = m.encode(images)
            mu_flat, logvar_flat = m.encode(images.reshape(len(images), -1))
        return {"mu": mu, "logvar": logvar, "mu_flat": mu_flat, "logvar_flat": logvar_flat}

    def sizes():
        s = inputs["sizes"]
        torch.manual_seed(seed + 1)
        m = VAE(latent_dim=s["latent"], hidden_dim=s["hidden"], input_dim=s["input_dim"])
        with torch.no_grad():
            x_hat, mu, logvar = m(torch.rand(s["batch"], s["input_dim"]))
        return {"x_hat": list(x_hat.shape), "mu": list(mu.shape), "logvar": list(logvar.shape)}

    def decode():
        with torch.no_grad():
            return model().decode(inputs["z_big"])

    def statistics():
        rows = inputs["rows"]
        mu = inputs["stat_mu"].reshape(1, 3).repeat(rows, 1)
        logvar = inputs["stat_logvar"].reshape(1, 3).repeat(rows, 1)
        m = VAE(latent_dim=3, hidden_dim=hidden)
        with torch.no_grad():
            z = m.reparameterize(mu, logvar)
        return {"shape": list(z.shape), "mean": z.mean(dim=0), "var": z.var(dim=0)}

    def gradients():
        m = model()
        mu = inputs["grad_mu"].clone().requires_grad_()
        logvar = inputs["grad_logvar"].clone().requires_grad_()
        first = m.reparameterize(mu, logvar)
        second = m.reparameterize(mu, logvar)
        if not first.requires_grad:
            return {"connected": False, "first": first.detach(), "second": second.detach()}
        d_mu, d_logvar = torch.autograd.grad(first.sum(), (mu, logvar), allow_unused=True)
        missing = "none"
        return {
            "connected": True,
            "first": first.detach(),
            "second": second.detach(),
            "mu": missing if d_mu is None else d_mu,
            "logvar": missing if d_logvar is None else d_logvar,
        }

    def composition():
        m = model()
        torch.manual_seed(seed + 2)
        x_hat, mu_f, logvar_f = m(images)
        again = m(images)[0]
        mu, logvar, candidates = sampled_decodes(m, images, seed + 2, attempt)
        return {
            "x_hat": x_hat.detach(),
            "again": again.detach(),
            "mu_f": mu_f.detach(),
            "logvar_f": logvar_f.detach(),
            "mu": mu,
            "logvar": logvar,
            "candidates": candidates,
        }

    def gradient_path():
        m = model()
        x = inputs["flat"]
        params = [p for p in m.parameters() if p.requires_grad]
        mu, logvar = m.encode(x)
        grads = torch.autograd.grad(mu.sum() + logvar.sum(), params, allow_unused=True)
        encoder = [0.0 if g is None else float(g.abs().sum()) for g in grads]
        x_hat = m(x)[0]
        if not x_hat.requires_grad:
            return {"connected": False}
        weights = inputs["weights"][: x_hat.shape[-1]]
        grads = torch.autograd.grad((x_hat * weights).sum(), params, allow_unused=True)
        through = [0.0 if g is None else float(g.abs().sum()) for g in grads]
        return {"connected": True, "encoder": encoder, "through": through}

    return {
        "encode": attempt(encode),
        "sizes": attempt(sizes),
        "decode": attempt(decode),
        "statistics": attempt(statistics),
        "gradients": attempt(gradients),
        "composition": attempt(composition),
        "gradient_path": attempt(gradient_path),
    }


vae_checks = ev.Verdicts()


def _vae_sizes(inputs: dict) -> tuple[int, int]:
    """(batch, latent) of the q1 probe's images and model."""
    return len(inputs["images"]), inputs["latent"]


@vae_checks.check(
    ev.part(
        "encode", "encode flattens (B, 1, 28, 28) or (B, input_dim); (mu, logvar), deterministic"
    )
)
def vae_encode(inputs: dict, out: dict) -> tuple[bool, str]:
    """encode gives the same (mu, logvar) for image-shaped and flat input."""
    batch, latent = _vae_sizes(inputs)
    enc = out["encode"]
    error = ev.raised(enc)
    if error:
        return False, (
            f"encode failed on ({batch}, 1, 28, 28) images ({error}): flatten x to "
            "(B, input_dim) first"
        )
    shape = (batch, latent)
    mu = as_array(enc["mu"], f"mu of VAE(latent_dim={latent}).encode", shape)
    logvar = as_array(enc["logvar"], f"logvar of VAE(latent_dim={latent}).encode", shape)
    mu_flat = as_array(enc["mu_flat"], "mu for flat input", shape)
    logvar_flat = as_array(enc["logvar_flat"], "logvar for flat input", shape)
    same = close(mu, mu_flat, atol=1e-5) and close(logvar, logvar_flat, atol=1e-5)
    return same, (
        "encode must give the same (mu, logvar) for (B, 1, 28, 28) and (B, 784) inputs, "
        "and must be deterministic (no dropout, no sampling)"
    )


@vae_checks.check(
    ev.part("sizes", "the constructor's latent_dim, hidden_dim and input_dim are respected")
)
def vae_sizes(inputs: dict, out: dict) -> tuple[bool, str]:
    """The shapes of forward at the constructor's sizes."""
    s = inputs["sizes"]
    got = out["sizes"]
    error = ev.raised(got)
    if error:
        return False, f"VAE(input_dim={s['input_dim']}) failed on flat input: {error}"
    want = {
        "x_hat": [s["batch"], s["input_dim"]],
        "mu": [s["batch"], s["latent"]],
        "logvar": [s["batch"], s["latent"]],
    }
    return got == want, (
        f"VAE(latent_dim={s['latent']}, hidden_dim={s['hidden']}, input_dim={s['input_dim']}) "
        f"should give shapes {want}, got {got}: use the constructor's sizes, not 784 and 20"
    )


@vae_checks.check(ev.part("decode", "decode gives (B, input_dim) values in [0, 1]"))
def vae_decode(inputs: dict, out: dict) -> tuple[bool, str]:
    """decode(z) gives probabilities that depend on z, even for large z."""
    x_hat = as_array(out["decode"], "decode(z)", (11, PIXELS))
    if not np.all(np.isfinite(x_hat)):
        return False, "decode returned NaN or inf"
    if x_hat.min() < 0 or x_hat.max() > 1:
        return False, (
            f"decode gave values in [{x_hat.min():.3g}, {x_hat.max():.3g}] for large z: "
            "finish the decoder with a sigmoid so every output is a probability"
        )
    return bool(x_hat.std() > 0), "decode gives the same value everywhere: it must use z"


@vae_checks.check(
    ev.part(
        "statistics",
        "reparameterize: z = mu + exp(logvar / 2) * eps, fresh noise at every call",
    )
)
def vae_statistics(inputs: dict, out: dict) -> tuple[bool, str]:
    """reparameterize's sample means and variances over many rows are mu and exp(logvar)."""
    stats = ev.reported(out["statistics"], "reparameterize on 200000 rows")
    if stats.get("shape") != [inputs["rows"], 3]:
        return False, f"reparameterize must keep the shape of mu, got {stats.get('shape')}"
    mean = as_array(stats["mean"], "the sample mean", (3,))
    var = as_array(stats["var"], "the sample variance", (3,))
    mu, logvar = f32(inputs["stat_mu"]), f32(inputs["stat_logvar"])
    variance = np.exp(logvar)
    if var.min() < 1e-6:
        return False, "z does not vary: every row needs its own fresh noise"
    if not close(mean, mu, atol=0.01 + 5 * np.sqrt(variance.max() / inputs["rows"])):
        return False, f"the sample means {np.round(mean, 3)} should be mu = {np.round(mu, 3)}"
    return bool(np.abs(var / variance - 1).max() < 0.03), (
        f"the sample variances {np.round(var, 3)} should be exp(logvar) = "
        f"{np.round(variance, 3)}: sigma is exp(logvar / 2); check the 1/2, do not use "
        "logvar itself as sigma"
    )


@vae_checks.check(ev.part("gradients", "reparameterize is differentiable in mu and logvar"))
def vae_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Fresh z at each call, dz/dmu = 1 and dz/dlogvar = (z - mu) / 2."""
    grads = ev.reported(out["gradients"], "reparameterize(mu, logvar)")
    shape = inputs["grad_mu"].shape
    first = as_array(grads["first"], "reparameterize(mu, logvar)", shape)
    second = as_array(grads["second"], "reparameterize(mu, logvar)", shape)
    if close(first, second, atol=1e-7):
        return False, "two calls gave the same z: draw fresh noise each call (randn_like)"
    if grads.get("connected") is False:
        return (
            False,
            "z is cut from the graph: detached, drawn without gradients or by a sampler",
        )
    if isinstance(grads["mu"], str) or isinstance(grads["logvar"], str):
        return False, "no gradient reaches mu or logvar through z"
    d_mu = as_array(grads["mu"], "dz/dmu", shape)
    d_logvar = as_array(grads["logvar"], "dz/dlogvar", shape)
    if not close(d_mu, np.ones(shape), atol=1e-4):
        return (
            False,
            "dz/dmu must be 1: the sample must move with mu (a sampler has no gradient)",
        )
    expected = 0.5 * (first - f32(inputs["grad_mu"]))
    return close(d_logvar, expected, atol=1e-4, rtol=1e-3), (
        "dz/dlogvar must be (z - mu) / 2: build sigma as exp(logvar / 2) inside the graph"
    )


@vae_checks.check(
    ev.goal(
        "composition",
        "forward encodes, samples one z with self.reparameterize and decodes it",
    )
)
def vae_composition(inputs: dict, out: dict) -> tuple[bool, str]:
    """forward returns encode's (mu, logvar) and decodes one freshly sampled z."""
    batch, latent = _vae_sizes(inputs)
    comp = ev.reported(out["composition"], "forward(x)")
    shape = (batch, latent)
    x_hat = as_array(comp["x_hat"], "forward's x_hat", (batch, PIXELS))
    again = as_array(comp["again"], "forward's x_hat", (batch, PIXELS))
    mu, logvar = as_array(comp["mu"], "mu", shape), as_array(comp["logvar"], "logvar", shape)
    mu_f = as_array(comp["mu_f"], "forward's mu", shape)
    logvar_f = as_array(comp["logvar_f"], "forward's logvar", shape)
    if not (close(mu_f, mu, atol=1e-5) and close(logvar_f, logvar, atol=1e-5)):
        return False, "forward must return the mu and logvar that encode(x) gives"
    return _decodes_a_sample(comp, x_hat, again, batch)


def _decodes_a_sample(
    comp: dict, x_hat: np.ndarray, again: np.ndarray, batch: int
) -> tuple[bool, str]:
    """Whether forward's x_hat is decode(z) for one freshly drawn z (the prelude piece
    `sampled_decodes` reports the candidates), for Q1's VAE and Q11's ConvVAE alike."""
    if close(x_hat, again, atol=0.0):
        return False, "forward gave the same x_hat twice: it must decode a sampled z, not mu"
    candidates = []
    for value in comp["candidates"]:
        with contextlib.suppress(MalformedOutput):
            candidates.append(as_array(value, "decode(z)", (batch, PIXELS)))
    ok = any(close(x_hat, c, atol=1e-5) for c in candidates)
    return ok, (
        "forward's x_hat is not decode(z) for one z = mu + exp(logvar / 2) * eps drawn the way "
        "reparameterize draws it: the reconstruction must come from a sampled code"
    )


@vae_checks.check(
    ev.goal(
        "gradient_path",
        "forward encodes, samples one z with self.reparameterize and decodes it",
    )
)
def vae_gradient_path(inputs: dict, out: dict) -> tuple[bool, str]:
    """The reconstruction sends gradient to the encoder's parameters."""
    path = ev.reported(out["gradient_path"], "forward(x) and encode(x)")
    if path.get("connected") is False:
        return False, "forward's x_hat is cut from the graph: do not detach it"
    encoder = [as_float(v, "a gradient norm") for v in path["encoder"]]
    through = [as_float(v, "a gradient norm") for v in path["through"]]
    if not any(v > 0 for v in encoder):
        return False, "encode(x) does not depend on any parameter of the model"
    ok = any(e > 0 and t > 0 for e, t in zip(encoder, through, strict=True))
    return ok, (
        "the reconstruction sends no gradient to the encoder: z must not be detached "
        "between reparameterize and decode"
    )


# ------------------------------------------------------------------ q4: evaluate


def evaluate_inputs(rng: np.random.Generator) -> dict:
    """A probe model and 4,000-odd images from six prototypes (bright ones, then dark ones in the
    last, partial chunk of 1000), and the coefficients of the stand-in loss terms."""
    latent = int(rng.integers(2, 4))
    bright = (rng.uniform(0, 1, (3, PIXELS)) < 0.35) * rng.uniform(0.6, 1.0, (3, PIXELS))
    dark = rng.uniform(0, 0.2, (3, PIXELS)) * (rng.uniform(0, 1, (3, PIXELS)) < 0.5)
    count = int(rng.integers(4101, 5900)) | 1  # odd
    split = count - count % 1000
    index = np.concatenate([rng.integers(0, 3, split), rng.integers(3, 6, count - split)])
    inputs = {
        "seed": int(rng.integers(0, 2**31)),
        "latent": latent,
        **tiny_weights(rng, latent),
        "prototypes": np.round(np.concatenate([bright, dark]), 3).astype(np.float32),
        "index": index.astype(np.int64),
        "flat_count": int(rng.integers(201, 400)) | 1,
        "scale": probe_model_scale(rng),
    }
    while True:  # stand-ins whose expected score no true-loss score can match by chance
        inputs["standin"] = standin_coefficients(rng)
        if _standins_stand_apart(inputs, (len(index), inputs["flat_count"])):
            return inputs


def _standins_stand_apart(inputs: dict, counts: tuple[int, ...]) -> bool:
    """Whether, for every image count and z scale the verdict accepts, the stand-in run's
    expected score lies more than twice its tolerance away from every value the true loss
    gives (sampled or at mu): else an evaluate that ignores the stand-ins could pass on it."""
    prototypes = f32(inputs["prototypes"])
    standins = standin_terms(inputs["standin"])
    for scale in (1.0, inputs["scale"]):
        true_means, _, true_at_mean = sampled_loss_stats(inputs, prototypes, scale=scale)
        means, variances, _ = sampled_loss_stats(inputs, prototypes, standins, scale)
        for count in counts:
            index = inputs["index"][:count]
            want = float(means[index].mean())
            tolerance = 6 * math.sqrt(variances[index].sum()) / count + 1e-4 * abs(want) + 1e-3
            for other in (true_means[index].mean(), true_at_mean[index].mean()):
                if abs(want - float(other)) <= 2 * tolerance:
                    return False
    return True


def evaluate_probe(ns: dict, inputs: dict) -> dict:
    """evaluate on a probe model (image-shaped and flat x), as written and with stand-in loss
    terms swapped in."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    probe_model = ns["_vae_grading_prelude_probe_model"]
    standin_losses = ns["_vae_grading_prelude_standin_losses"]
    swapped_in = ns["_vae_grading_prelude_swapped_in"]
    evaluate = ns["evaluate"]

    def with_standins(call):
        return swapped_in(ns, standin_losses(inputs), call)

    torch.manual_seed(inputs["seed"])
    model = probe_model(inputs)
    images = inputs["prototypes"][inputs["index"]]
    flat = images[: inputs["flat_count"]].clone()
    images = images.reshape(-1, 1, 28, 28)
    as_written = {
        "score": attempt(lambda: evaluate(model, images)),
        "flat_score": attempt(lambda: evaluate(model, flat)),
    }
    standins = {
        "score": attempt(lambda: with_standins(lambda: evaluate(model, images))),
        "flat_score": attempt(lambda: with_standins(lambda: evaluate(model, flat))),
    }
    return {
        "as_written": as_written,
        "standins": standins,
        "params": [
            p.detach().clone()
            for p in (model.enc.weight, model.enc.bias, model.dec.weight, model.dec.bias)
        ],
    }


evaluate_checks = ev.Verdicts()


def _evaluate_expected(
    inputs: dict, run: str, count: int, scale: float
) -> tuple[float, float, float]:
    """The expected score of the first `count` images, its tolerance, and the score at z = mu,
    for the true loss (as_written) or the stand-ins, z drawn at `scale`."""
    terms = {"as_written": (bce_from_logits, ref_kl), "standins": standin_terms(inputs["standin"])}
    means, variances, at_mean = sampled_loss_stats(
        inputs, f32(inputs["prototypes"]), terms[run], scale
    )
    index = inputs["index"][:count]
    spread = math.sqrt(variances[index].sum()) / count
    tolerance = 6 * spread + 1e-4 * abs(means[index].mean()) + 1e-3
    return float(means[index].mean()), tolerance, float(at_mean[index].mean())


def _evaluate_run(
    inputs: dict, out: dict, run: str, key: str, count: int, what: str
) -> tuple[bool, str]:
    """One run's score against the mean negative ELBO at the model's scale or at 1."""
    got = as_float(out[run][key], what)
    for scale in (1.0, inputs["scale"]):
        want, tolerance, decoded_mean = _evaluate_expected(inputs, run, count, scale)
        if abs(got - want) <= tolerance:
            return True, ""
    if abs(got - decoded_mean) <= tolerance:
        return False, f"{what} decodes mu: sample z as in training (call model(x))"
    if abs(got - count * want) <= count * tolerance:
        return False, f"{what} is the total over images: divide by the number of images"
    if run == "as_written":
        prototypes = f32(inputs["prototypes"])
        index = inputs["index"][:count]
        mu, logvar = tiny_encode(inputs, prototypes[index])
        per_pixel = float(
            (bce_from_logits(tiny_logits(inputs, mu), prototypes[index]) / PIXELS).mean()
            + ref_kl(mu, logvar).mean()
        )
        if abs(got - per_pixel) <= 1.0:
            return False, f"{what} averages the reconstruction term over pixels: sum it"
    return False, (
        f"{what} gave {got:.2f}, but the mean negative ELBO per image is about {want:.2f}: "
        "average vae_loss (beta = 1) over the images with z sampled, weighting each batch by "
        "its size"
    )


@evaluate_checks.check(ev.guard("float", "returns a Python float"))
def evaluate_float(inputs: dict, out: dict) -> tuple[bool, str]:
    """evaluate returns a Python float (in either run)."""
    values = [out[run]["score"] for run in RUNS]
    if any(type(value) is float for value in values):
        return True, ""
    as_float(values[0], "evaluate(model, x)")
    return False, "evaluate must return a Python float, not a tensor"


@evaluate_checks.check(
    ev.goal("value", "the mean negative ELBO (beta = 1) per image, z sampled by the model")
)
def evaluate_value(inputs: dict, out: dict) -> tuple[bool, str]:
    """The mean one-sample negative ELBO over image-shaped x, as written or with stand-ins."""
    count, what = len(inputs["index"]), "evaluate on (B, 1, 28, 28) images"
    return first_passing(RUNS, lambda run: _evaluate_run(inputs, out, run, "score", count, what))


@evaluate_checks.check(ev.part("flat", "x may be image-shaped or flat"))
def evaluate_flat(inputs: dict, out: dict) -> tuple[bool, str]:
    """The same score for flat (B, 784) x."""
    count, what = inputs["flat_count"], "evaluate on flat (B, 784) x"
    return first_passing(
        RUNS, lambda run: _evaluate_run(inputs, out, run, "flat_score", count, what)
    )


@evaluate_checks.check(ev.guard("unchanged", "evaluation mode, no_grad, the parameters unchanged"))
def evaluate_unchanged(inputs: dict, out: dict) -> tuple[bool, str]:
    """The model's parameters are untouched (judged once evaluate returns a float)."""
    # a property of a working evaluate: a stub that returns nothing earns nothing
    if not ev.holds(lambda: evaluate_float(inputs, out)):
        return False, "evaluate must return the score before its side effects are judged"
    params = out["params"]
    names = ("enc_w", "enc_b", "dec_w", "dec_b")
    same = all(
        close(as_array(p, "a parameter", inputs[n].shape), f32(inputs[n]), atol=0.0)
        for p, n in zip(params, names, strict=True)
    )
    return same, "evaluate changed the model's parameters: it must only measure, never train"


# ------------------------------------------------------------------ q5: train_vae


def train_inputs(rng: np.random.Generator) -> dict:
    """A probe model, 60-odd binary training images from 4 prototypes, bright test images, the
    stand-in loss terms and the scores the stand-in evaluate returns."""
    latent = 2
    count = int(rng.integers(56, 68))
    return {
        "seed": int(rng.integers(0, 2**31)),
        "latent": latent,
        "enc_w": rng.uniform(-0.035, 0.035, (2 * latent, PIXELS)).astype(np.float32),
        "enc_b": rng.uniform(-0.035, 0.035, 2 * latent).astype(np.float32),
        "dec_w": rng.uniform(-0.57, 0.57, (PIXELS, latent)).astype(np.float32),
        "dec_b": rng.uniform(-0.57, 0.57, PIXELS).astype(np.float32),
        "prototypes": (rng.uniform(0, 1, (4, PIXELS)) < 0.2).astype(np.float32),
        "index": rng.integers(0, 4, count).astype(np.int64),
        "test_x": np.round(rng.uniform(0.85, 1.0, (int(rng.choice([21, 25, 27])), PIXELS)), 3),
        "epochs": 4,
        "batch_size": 16,
        "lr": 3e-2,
        "beta": float(np.round(rng.uniform(2.5, 3.5), 2)),
        "standin": standin_coefficients(rng),
        "scores": [float(v) for v in np.round(rng.uniform(100.0, 600.0, 32), 3)],
        "scale": probe_model_scale(rng),
    }


def train_probe(ns: dict, inputs: dict) -> dict:
    """train_vae on a probe model, as written and with stand-in loss, terms and evaluate."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    probe_model = ns["_vae_grading_prelude_probe_model"]
    standin_losses = ns["_vae_grading_prelude_standin_losses"]
    swapped_in = ns["_vae_grading_prelude_swapped_in"]
    train_vae = ns["train_vae"]

    def fingerprint(model):
        return sum(float(p.detach().double().sum()) for p in model.parameters())

    def run(standins):
        torch.manual_seed(inputs["seed"])
        model = probe_model(inputs)
        train_x = inputs["prototypes"][inputs["index"]].reshape(-1, 1, 28, 28)
        test_x = inputs["test_x"].float().requires_grad_()
        test_values = test_x.detach().clone().reshape(len(test_x), -1)
        calls = []

        def standin_evaluate(model, x):
            x = x.detach().to("cpu").reshape(len(x), -1).float()
            is_test = x.shape == test_values.shape and bool(torch.equal(x, test_values))
            calls.append({"test": is_test, "fingerprint": fingerprint(model)})
            return inputs["scores"][(len(calls) - 1) % len(inputs["scores"])]

        def train():
            return train_vae(
                model,
                train_x,
                test_x,
                epochs=inputs["epochs"],
                batch_size=inputs["batch_size"],
                lr=inputs["lr"],
                beta=inputs["beta"],
            )

        swapped = {**standin_losses(inputs), "evaluate": standin_evaluate}
        history = swapped_in(ns, swapped, train) if standins else train()
        if isinstance(history, dict):
            history = {
                str(k): list(v) if isinstance(v, (list, tuple)) else v for k, v in history.items()
            }
        return {
            "history": history,
            "test_grad": test_x.grad is not None,
            "params": [
                p.detach().clone()
                for p in (model.enc.weight, model.enc.bias, model.dec.weight, model.dec.bias)
            ],
            "calls": calls,
            "fingerprint": fingerprint(model),
        }

    return {"as_written": attempt(lambda: run(False)), "standins": attempt(lambda: run(True))}


train_checks = ev.Verdicts()
TRAINED = ("enc_w", "enc_b", "dec_w", "dec_b")


def _train_run(out: dict, run: str) -> dict:
    """What one run of train_vae reported."""
    return ev.reported(out[run], "train_vae")


def _train_series(inputs: dict, out: dict, run: str, key: str) -> list[float]:
    """history[key] of one run: one float per epoch, else MalformedOutput."""
    epochs = inputs["epochs"]
    history = _train_run(out, run)["history"]
    if not isinstance(history, dict) or key not in history:
        raise MalformedOutput(f"the history must be a dict with the key {key!r}")
    values = history[key]
    if not isinstance(values, list) or len(values) != epochs:
        raise MalformedOutput(f"history[{key!r}] must be a list of {epochs} values (one per epoch)")
    return [as_float(v, f"history[{key!r}]") for v in values]


def _trained(inputs: dict, out: dict, run: str) -> dict:
    """The probe model's weights after one run."""
    params = _train_run(out, run)["params"]
    return {
        n: as_array(p, "a parameter", inputs[n].shape) for p, n in zip(params, TRAINED, strict=True)
    }


def _deterministic_score(inputs: dict, weights: dict, run: str) -> float:
    """The mean loss at z = mu over the training images, true or stand-in."""
    train_x = f32(inputs["prototypes"])[inputs["index"]]
    coef = inputs["standin"]
    mu, logvar = tiny_encode(weights, train_x)
    logits = tiny_logits(weights, mu)
    if run == "standins":
        return float((standin_nll_from_logits(coef, logits, train_x)
                      + standin_kl(coef, mu, logvar)).mean())  # fmt: skip
    return float((bce_from_logits(logits, train_x) + ref_kl(mu, logvar)).mean())


def _train_shape(inputs: dict, out: dict, run: str) -> tuple[bool, str]:
    """One run's history holds finite Python floats under every key."""
    history = _train_run(out, run)["history"]
    for key in ("train", "test", "recon", "kl"):
        _train_series(inputs, out, run, key)
        if not all(type(v) is float and math.isfinite(v) for v in history[key]):
            return False, f"history[{key!r}] must hold finite Python floats, not tensors"
    return True, ""


def _train_learns(inputs: dict, out: dict, run: str) -> tuple[bool, str]:
    """One run lowers the training loss at z = mu."""
    before = _deterministic_score(inputs, inputs, run)
    after = _deterministic_score(inputs, _trained(inputs, out, run), run)
    drop = 30.0 if run == "as_written" else 0.1 * before
    return after < before - drop, (
        f"{inputs['epochs']} epochs of Adam at lr={inputs['lr']} should lower the training loss "
        f"by far more than 30 nats: {before:.1f} -> {after:.1f}: every batch needs a backward "
        "pass and an optimiser step"
    )


def _train_terms(inputs: dict, out: dict, run: str) -> tuple[bool, str]:
    """One run records train = recon + beta * kl, both terms never negative."""
    beta = inputs["beta"]
    rows = zip(
        _train_series(inputs, out, run, "train"),
        _train_series(inputs, out, run, "recon"),
        _train_series(inputs, out, run, "kl"),
        strict=True,
    )
    for epoch, (total, recon, kl) in enumerate(rows, start=1):
        if recon <= 0 or kl < 0:
            return False, "the reconstruction and KL terms are never negative"
        if abs(total - (recon + beta * kl)) > 1e-3 * abs(total) + 1e-3:
            return False, (
                f"epoch {epoch}: train = {total:.3f} but recon + beta * kl = "
                f"{recon + beta * kl:.3f} (beta = {beta}): train with vae_loss(..., beta=beta) "
                "and record the two terms of the same batches"
            )
    return True, ""


def _train_test_untouched(inputs: dict, out: dict, run: str) -> tuple[bool, str]:
    """One run computed no gradient from test_x."""
    return _train_run(out, run)["test_grad"] is False, (
        "a gradient was computed from test_x: the test images may only be evaluated"
    )


def _train_test_score(inputs: dict, out: dict, run: str) -> tuple[bool, str]:
    """One run records evaluate(model, test_x) after each epoch's training."""
    epochs = inputs["epochs"]
    recorded = _train_series(inputs, out, run, "test")
    message = (
        "history['test'] should hold evaluate(model, test_x), recorded after each epoch's training"
    )
    if run == "standins":
        calls = _train_run(out, run)["calls"]
        if not isinstance(calls, list) or not all(isinstance(c, dict) for c in calls):
            raise MalformedOutput("the record of evaluate's calls could not be read")
        scores = inputs["scores"]
        returned = [
            (scores[i % len(scores)], c) for i, c in enumerate(calls) if c.get("test") is True
        ]
        if len(returned) < epochs:
            return False, message
        final = as_float(_train_run(out, run)["fingerprint"], "the trained parameters")
        last = as_float(returned[-1][1].get("fingerprint"), "the parameters at evaluation")
        same = [v for v, _ in returned[-epochs:]] == recorded
        return same and close(last, final, atol=1e-9, rtol=1e-12), message
    test_x = f32(inputs["test_x"])
    last = recorded[-1]
    for scale in (1.0, inputs["scale"]):  # the student's own sampler, or the model's
        means, variances, _ = sampled_loss_stats(_trained(inputs, out, run), test_x, scale=scale)
        want = float(means.mean())
        tolerance = 6 * math.sqrt(variances.sum()) / len(test_x) + 0.5
        if abs(last - want) < tolerance:
            return True, ""
    return False, (
        f"history['test'][-1] = {last:.1f}, but the trained model scores about {want:.1f} on "
        "test_x: record evaluate(model, test_x) after each epoch's training"
    )


@train_checks.check(
    ev.guard("history", "a dict with train, test, recon and kl, each a list of epochs floats")
)
def train_history(inputs: dict, out: dict) -> tuple[bool, str]:
    """A history of finite floats per epoch (either run)."""
    return first_passing(RUNS, lambda run: _train_shape(inputs, out, run))


@train_checks.check(
    ev.goal("learns", "Adam on shuffled batches of train_x with vae_loss(beta=beta)")
)
def train_learns(inputs: dict, out: dict) -> tuple[bool, str]:
    """The training loss falls (either run)."""
    return first_passing(RUNS, lambda run: _train_learns(inputs, out, run))


@train_checks.check(ev.guard("terms", "recon and kl are the two terms of the training loss"))
def train_terms(inputs: dict, out: dict) -> tuple[bool, str]:
    """train = recon + beta * kl at every epoch (either run)."""
    return first_passing(RUNS, lambda run: _train_terms(inputs, out, run))


@train_checks.check(ev.guard("test_untouched", "never compute a gradient from test_x"))
def train_test_untouched(inputs: dict, out: dict) -> tuple[bool, str]:
    """No gradient from test_x (judged once the history is well formed)."""
    # a property of a working train_vae: a stub that trains nothing earns nothing
    if not ev.holds(lambda: train_history(inputs, out)):
        return False, "train_vae must return its history before its side effects are judged"
    return first_passing(RUNS, lambda run: _train_test_untouched(inputs, out, run))


@train_checks.check(ev.part("test_score", "test is the evaluate score of test_x after each epoch"))
def train_test_score(inputs: dict, out: dict) -> tuple[bool, str]:
    """history['test'] holds evaluate's score after each epoch (either run)."""
    return first_passing(RUNS, lambda run: _train_test_score(inputs, out, run))


# ------------------------------------------------------------------ q7: reconstruct


def reconstruct_inputs(rng: np.random.Generator) -> dict:
    """A reference model and a few image-shaped inputs."""
    latent = int(rng.integers(2, 5))
    return {
        "seed": int(rng.integers(0, 2**31)),
        "latent": latent,
        **tiny_weights(rng, latent),
        "scale": probe_model_scale(rng),
        "x": np.round(rng.uniform(0, 1, (int(rng.choice([5, 7, 9])), 1, 28, 28)), 3),
    }


def reconstruct_probe(ns: dict, inputs: dict) -> dict:
    """reconstruct twice on a reference model; whether the result carries a graph."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    probe_model = ns["_vae_grading_prelude_probe_model"]
    reconstruct = ns["reconstruct"]

    torch.manual_seed(inputs["seed"])
    model = probe_model(inputs)
    x = inputs["x"].float()

    def call():
        out = reconstruct(model, x)
        return {"values": out.detach(), "grad": bool(out.requires_grad)}

    return {"first": attempt(call), "second": attempt(call)}


reconstruct_checks = ev.Verdicts()


def _reconstruct_first(out: dict, key: str = "first") -> np.ndarray:
    """The reconstructions one call of reconstruct reported."""
    return as_array(ev.reported(out[key], "reconstruct")["values"], "reconstruct(model, x)")


@reconstruct_checks.check(
    ev.goal("values", "model.decode(mu) with mu from model.encode(x), x image-shaped or flat")
)
def reconstruct_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """decode(mu) of shape (B, 784) for the probe model."""
    x = f32(inputs["x"]).reshape(len(inputs["x"]), -1)
    mu, _ = tiny_encode(inputs, x)
    expected = sigmoid(tiny_logits(inputs, mu))
    first = _reconstruct_first(out)
    if first.shape != expected.shape:
        return False, f"reconstruct must return shape {expected.shape}, got {first.shape}"
    return close(first, expected, atol=1e-5), (
        "reconstruct must decode the encoder's mean of each image, without sampling"
    )


@reconstruct_checks.check(ev.guard("deterministic", "no sampling: two calls give the same result"))
def reconstruct_deterministic(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two calls give the same reconstructions."""
    first, second = _reconstruct_first(out), _reconstruct_first(out, "second")
    return close(first, second, atol=0.0), (
        "two calls gave different pictures: decode mu, do not sample z"
    )


@reconstruct_checks.check(ev.guard("no_grad", "no gradient"))
def reconstruct_no_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """The reconstructions carry no graph."""
    return ev.reported(out["first"], "reconstruct")[
        "grad"
    ] is False, "the reconstructions are attached to a graph: reconstructing needs no gradients"


# ------------------------------------------------------------------ q10: binarize

BINARIZE_DRAWS = 400


def binarize_inputs(rng: np.random.Generator) -> dict:
    """Grey values (some exactly 0 or 1; skewed, so that thresholding at 0.5 changes the mean) in a
    flat batch for the statistics, and an image batch for the shape."""
    rows = int(rng.choice([3, 5, 7]))
    grey = rng.uniform(0.0, 1.0, (rows, PIXELS)) ** 1.5  # mean 0.4, but 37% above 0.5
    mask = rng.uniform(0, 1, grey.shape)
    grey[mask < 0.1] = 0.0
    grey[mask > 0.95] = 1.0
    return {
        "grey": np.round(grey, 3).astype(np.float32),
        "images": rng.uniform(0, 1, (int(rng.choice([2, 4, 6])), 1, 28, 28)).astype(np.float32),
        "draws": BINARIZE_DRAWS,
    }


def binarize_probe(ns: dict, inputs: dict) -> dict:
    """Statistics of many calls of binarize: never a single draw's values."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    binarize = ns["binarize"]

    def form():
        images = inputs["images"]
        out = binarize(images.clone())
        if not isinstance(out, torch.Tensor):
            return {"tensor": False}
        return {
            "tensor": True,
            "shape": list(out.shape),
            "dtype": str(out.dtype),
            "binary": bool(((out == 0) | (out == 1)).all()),
        }

    def statistics():
        grey = inputs["grey"]
        total = torch.zeros(grey.shape, dtype=torch.float64)
        pairs = torch.zeros((grey.shape[0], grey.shape[1] - 1), dtype=torch.float64)
        not_binary = 0
        first = second = None
        for draw in range(inputs["draws"]):
            out = binarize(grey.clone())
            out = torch.as_tensor(out).detach().to("cpu", torch.float64).reshape(grey.shape)
            not_binary += int((~((out == 0) | (out == 1))).sum())
            total += out
            pairs += out[:, :-1] * out[:, 1:]  # neighbours both on: x_i x_(i+1) if independent
            if draw == 0:
                first = out
            elif draw == 1:
                second = out
        return {
            "frequency": total / inputs["draws"],
            "pairs": pairs / inputs["draws"],
            "not_binary": not_binary,
            "calls_differ": bool((first != second).any()),
        }

    return {"form": attempt(form), "statistics": attempt(statistics)}


binarize_checks = ev.Verdicts()


def _binarize_form(out: dict) -> dict:
    """What binarize returned for the image batch (a tensor, else MalformedOutput)."""
    value = ev.reported(out["form"], "binarize(x)")
    if value.get("tensor") is not True:
        raise MalformedOutput("binarize must return a torch tensor")
    return value


def _binarize_stats(inputs: dict, out: dict) -> dict:
    """The statistics of the many calls."""
    return ev.reported(out["statistics"], f"{inputs['draws']} calls of binarize")


def _draws_are_binary(inputs: dict, out: dict) -> None:
    """Frequencies of 1s mean nothing for images that are not 0/1 (x itself has x's mean)."""
    if _binarize_stats(inputs, out)["not_binary"] != 0:
        raise MalformedOutput("binarize must return images of 0s and 1s, drawn at random")


@binarize_checks.check(ev.guard("binary", "every entry exactly 0.0 or 1.0"))
def binarize_binary(inputs: dict, out: dict) -> tuple[bool, str]:
    """Every value of every call is 0.0 or 1.0."""
    bad = _binarize_stats(inputs, out)["not_binary"]
    if type(bad) is not int:
        raise MalformedOutput("binarize: the count of non-binary values is not an integer")
    return bad == 0 and _binarize_form(out)["binary"] is True, (
        "every value of binarize(x) must be exactly 0.0 or 1.0: draw a Bernoulli variable per "
        "pixel, do not return probabilities or add noise to them"
    )


@binarize_checks.check(ev.guard("shape", "the same shape and dtype as x"))
def binarize_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """x's shape and dtype kept."""
    got = _binarize_form(out)
    want = list(inputs["images"].shape)
    if got.get("shape") != want:
        return False, f"binarize must keep x's shape {want}, got {got.get('shape')}"
    return got.get("dtype") == "torch.float32", (
        f"binarize must keep x's dtype (float32), got {str(got.get('dtype'))[6:]}: "
        "return a float tensor, not a boolean one"
    )


@binarize_checks.check(ev.goal("mean", "entry i is 1 with probability x[i]"))
def binarize_mean(inputs: dict, out: dict) -> tuple[bool, str]:
    """The mean frequency of 1s is the mean grey value."""
    grey, draws = f32(inputs["grey"]), inputs["draws"]
    _draws_are_binary(inputs, out)
    freq = as_array(_binarize_stats(inputs, out)["frequency"], "the frequency of 1s", grey.shape)
    spread = math.sqrt(float((grey * (1 - grey)).sum()) / draws) / grey.size
    got, want = float(freq.mean()), float(grey.mean())
    return abs(got - want) <= 6 * spread + 1e-6, (
        f"the mean of binarize(x) over many calls is {got:.3f}, but the mean grey value is "
        f"{want:.3f}: each pixel must be 1 with probability x (not x > 0.5)"
    )


@binarize_checks.check(ev.guard("fresh", "fresh random numbers at every call, no reseeding"))
def binarize_fresh(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two calls on the same x differ."""
    return _binarize_stats(inputs, out)["calls_differ"] is True, (
        "two calls of binarize on the same x gave the same image: draw fresh random numbers "
        "at every call and do not reseed the generator"
    )


@binarize_checks.check(
    ev.goal("frequency", "entry i is 1 with probability x[i], independently of the others")
)
def binarize_frequency(inputs: dict, out: dict) -> tuple[bool, str]:
    """Each pixel's frequency of 1s tracks its grey value; neighbours are independent."""
    grey, draws = f32(inputs["grey"]), inputs["draws"]
    stats = _binarize_stats(inputs, out)
    _draws_are_binary(inputs, out)
    freq = as_array(stats["frequency"], "the frequency of 1s", grey.shape)
    variance = grey * (1 - grey) / draws
    ends = (grey == 0) | (grey == 1)
    if not np.array_equal(freq[ends], grey[ends]):
        return False, "pixels at exactly 0 or 1 must always give 0 or 1"
    inner = ~ends
    z2 = float(((freq[inner] - grey[inner]) ** 2 / variance[inner]).mean())
    worst = float(np.abs(freq - grey).max())
    if not (z2 < 1.5 and worst < 0.2):
        return False, (
            f"over {draws} calls the frequency of 1s at each pixel should track its grey "
            f"value (largest difference {worst:.2f}): pixel i must be 1 with probability x[i]"
        )
    pairs = as_array(stats["pairs"], "the frequency of neighbouring 1s", freq[:, 1:].shape)
    both = grey[:, :-1] * grey[:, 1:]
    inner = (both > 0) & (both < 1)
    z2 = float(((pairs[inner] - both[inner]) ** 2 / (both * (1 - both) / draws)[inner]).mean())
    return z2 < 1.5, (
        "neighbouring pixels are on together more often than x[i] * x[i+1]: draw each pixel "
        "independently (one random number per pixel, not one per image or per call)"
    )


# ------------------------------------------------------------------ q11: ConvVAE


def dense_parameters(latent: int, hidden: int = 400) -> int:
    """Parameters of section 2's fully connected VAE (two hidden layers of `hidden` each side)."""
    encoder = (PIXELS + 1) * hidden + (hidden + 1) * hidden + 2 * (hidden + 1) * latent
    decoder = (latent + 1) * hidden + (hidden + 1) * hidden + (hidden + 1) * PIXELS
    return encoder + decoder


def conv_inputs(rng: np.random.Generator) -> dict:
    """A random latent size, odd batches of images and codes, moments for the sampling check."""
    latent = int(rng.integers(2, 7))
    return {
        "seed": int(rng.integers(0, 2**31)),
        "latent": latent,
        "images": rng.uniform(0, 1, (int(rng.choice([3, 5, 7])), 1, 28, 28)).astype(np.float32),
        "z": (3.0 * rng.standard_normal((int(rng.choice([1, 5, 9])), latent))).astype(np.float32),
        "stat_mu": rng.uniform(-2.0, 2.0, latent).astype(np.float32),
        "stat_logvar": rng.uniform(-1.5, 1.0, latent).astype(np.float32),
        "rows": 20000,
        # the budget holds at every latent size: the drawn one, the prompt's 20, and a large one
        "budget_latents": sorted({latent, 20, 64}),
    }


def conv_probe(ns: dict, inputs: dict) -> dict:
    """Build the student's ConvVAE at a random latent size and report what each method returns."""
    import torch
    from torch import nn

    attempt = ns["_vae_grading_attempt"]
    sampled_decodes = ns["_vae_grading_prelude_sampled_decodes"]
    ConvVAE = ns["ConvVAE"]
    latent, images = inputs["latent"], inputs["images"]

    def model():
        torch.manual_seed(inputs["seed"])
        return ConvVAE(latent_dim=latent)

    def encode():
        m = model()
        with torch.no_grad():
            mu, logvar = m.encode(images)
            mu_flat, logvar_flat = m.encode(images.reshape(len(images), -1))
        return {"mu": mu, "logvar": logvar, "mu_flat": mu_flat, "logvar_flat": logvar_flat}

    def decode():
        with torch.no_grad():
            return model().decode(inputs["z"])

    def forward():
        m = model()
        out = m(images)
        if not isinstance(out, tuple) or len(out) != 3:
            return {"triple": False}
        x_hat, mu, logvar = out
        with torch.no_grad():
            mu_enc, logvar_enc = m.encode(images)
        return {
            "triple": True,
            "x_hat": x_hat.detach(),
            "mu": mu.detach(),
            "logvar": logvar.detach(),
            "mu_enc": mu_enc,
            "logvar_enc": logvar_enc,
        }

    def sampling():
        rows, m = inputs["rows"], model()
        mu = inputs["stat_mu"].reshape(1, -1).repeat(rows, 1).requires_grad_()
        logvar = inputs["stat_logvar"].reshape(1, -1).repeat(rows, 1).requires_grad_()
        z = m.reparameterize(mu, logvar)
        again = m.reparameterize(mu, logvar)
        d_mu, d_logvar = torch.autograd.grad(z.sum(), (mu, logvar), allow_unused=True)
        return {
            "mean": z.detach().mean(dim=0),
            "var": z.detach().var(dim=0),
            "differ": bool((z != again).any()),
            "grads": d_mu is not None and d_logvar is not None,
        }

    def gradients():
        m = model()
        x_hat, mu, logvar = m(images)
        params = [p for p in m.parameters() if p.requires_grad]
        total = x_hat.sum() + mu.sum() + logvar.sum()
        grads = torch.autograd.grad(total, params, allow_unused=True)
        convs = [
            mod.weight for mod in m.modules() if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d))
        ]
        conv_ids = {id(w) for w in convs}
        conv_grad = any(
            g is not None and float(g.abs().sum()) > 0
            for p, g in zip(params, grads, strict=True)
            if id(p) in conv_ids
        )
        reached = sum(1 for g in grads if g is not None and float(g.abs().sum()) > 0)
        return {"reached": reached, "params": len(params), "conv_grad": conv_grad}

    def composition():
        m = model()
        torch.manual_seed(inputs["seed"] + 2)
        x_hat = m(images)[0]
        again = m(images)[0]
        _, _, candidates = sampled_decodes(m, images, inputs["seed"] + 2, attempt)
        return {"x_hat": x_hat.detach(), "again": again.detach(), "candidates": candidates}

    def convolutional():
        modules = list(model().modules())
        counts = {}
        for size in inputs["budget_latents"]:
            counts[str(size)] = int(sum(p.numel() for p in ConvVAE(latent_dim=size).parameters()))
        return {"conv2d": any(isinstance(mod, nn.Conv2d) for mod in modules), "counts": counts}

    return {
        "encode": attempt(encode),
        "decode": attempt(decode),
        "forward": attempt(forward),
        "sampling": attempt(sampling),
        "gradients": attempt(gradients),
        "composition": attempt(composition),
        "convolutional": attempt(convolutional),
    }


conv_checks = ev.Verdicts()


@conv_checks.check(
    ev.part(
        "encode",
        "encode(x) gives (mu, logvar) for (B, 1, 28, 28) or (B, 784), deterministic",
    )
)
def conv_encode(inputs: dict, out: dict) -> tuple[bool, str]:
    """encode gives the same (mu, logvar) for image-shaped and flat input."""
    batch, latent = len(inputs["images"]), inputs["latent"]
    enc = ev.reported(out["encode"], f"ConvVAE(latent_dim={latent}).encode")
    shape = (batch, latent)
    mu = as_array(enc["mu"], f"mu of ConvVAE(latent_dim={latent}).encode", shape)
    logvar = as_array(enc["logvar"], "logvar of encode", shape)
    mu_flat = as_array(enc["mu_flat"], "mu for flat input (B, 784)", shape)
    logvar_flat = as_array(enc["logvar_flat"], "logvar for flat input (B, 784)", shape)
    same = close(mu, mu_flat, atol=1e-5) and close(logvar, logvar_flat, atol=1e-5)
    return same, (
        "encode must give the same (mu, logvar) for (B, 1, 28, 28) and (B, 784) inputs "
        "(reshape x to (B, 1, 28, 28)), and must be deterministic"
    )


@conv_checks.check(ev.part("decode", "decode(z) gives (B, 784) values in [0, 1]"))
def conv_decode(inputs: dict, out: dict) -> tuple[bool, str]:
    """decode(z) gives probabilities that depend on z."""
    z = inputs["z"]
    x_hat = as_array(out["decode"], f"decode(z) for {len(z)} codes", (len(z), PIXELS))
    if not np.all(np.isfinite(x_hat)) or x_hat.min() < 0 or x_hat.max() > 1:
        return False, "decode must give probabilities in [0, 1]: end with a sigmoid"
    return bool(x_hat.std() > 0), "decode gives the same value everywhere: it must use z"


@conv_checks.check(
    ev.part("forward", "forward returns (x_hat, mu, logvar) with the mu and logvar of encode")
)
def conv_forward(inputs: dict, out: dict) -> tuple[bool, str]:
    """forward returns (x_hat, mu, logvar) with encode's mu and logvar."""
    batch, latent = len(inputs["images"]), inputs["latent"]
    got = ev.reported(out["forward"], "ConvVAE forward")
    if got.get("triple") is not True:
        return False, "forward must return the tuple (x_hat, mu, logvar)"
    x_hat = as_array(got["x_hat"], "forward's x_hat", (batch, PIXELS))
    mu = as_array(got["mu"], "forward's mu", (batch, latent))
    logvar = as_array(got["logvar"], "forward's logvar", (batch, latent))
    if x_hat.min() < 0 or x_hat.max() > 1:
        return False, "forward's x_hat must hold probabilities in [0, 1]"
    same = close(mu, as_array(got["mu_enc"], "mu"), atol=1e-5) and close(
        logvar, as_array(got["logvar_enc"], "logvar"), atol=1e-5
    )
    return same, "forward must return the (mu, logvar) that encode gives for the same x"


@conv_checks.check(
    ev.part(
        "sampling",
        "reparameterize: fresh noise at every call, differentiable in mu and logvar",
    )
)
def conv_sampling(inputs: dict, out: dict) -> tuple[bool, str]:
    """reparameterize samples mean mu and variance exp(logvar), fresh and differentiable."""
    latent = inputs["latent"]
    stats = ev.reported(out["sampling"], "ConvVAE.reparameterize")
    mean = as_array(stats["mean"], "the sample mean", (latent,))
    var = as_array(stats["var"], "the sample variance", (latent,))
    mu, variance = f32(inputs["stat_mu"]), np.exp(f32(inputs["stat_logvar"]))
    if stats.get("differ") is not True:
        return False, "reparameterize must draw fresh noise at every call"
    if stats.get("grads") is not True:
        return False, "reparameterize must be differentiable in mu and logvar"
    spread = 5 * math.sqrt(variance.max() / inputs["rows"]) + 0.005
    ok = close(mean, mu, atol=spread) and bool(np.abs(var / variance - 1).max() < 0.08)
    return ok, "reparameterize must sample z with mean mu and variance exp(logvar)"


@conv_checks.check(ev.part("gradients", "every layer used, a gradient reaches the convolutions"))
def conv_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Every parameter tensor, convolutions included, gets a gradient from forward."""
    grads = ev.reported(out["gradients"], "a backward pass through ConvVAE")
    if grads.get("conv_grad") is not True:
        return False, "no gradient reaches a convolution's weights: are they used in forward?"
    return grads.get("reached") == grads.get("params"), (
        f"only {grads.get('reached')} of {grads.get('params')} parameter tensors get a "
        "gradient from forward: every layer built in __init__ should be used"
    )


@conv_checks.check(
    ev.goal(
        "convolutional",
        "a Conv2d, under half the dense VAE's parameters at several latent sizes",
    )
)
def conv_convolutional(inputs: dict, out: dict) -> tuple[bool, str]:
    """A Conv2d, and under half the dense VAE's parameters at every budget latent size."""
    got = ev.reported(out["convolutional"], "ConvVAE's modules")
    if got.get("conv2d") is not True:
        return False, "ConvVAE must use at least one 2-d convolution layer"
    counts = got.get("counts")
    if not isinstance(counts, dict) or set(counts) != {
        str(size) for size in inputs["budget_latents"]
    }:
        raise MalformedOutput("the parameter counts are missing")
    for size in inputs["budget_latents"]:
        count = counts[str(size)]
        if type(count) is not int:
            raise MalformedOutput("a parameter count is not an integer")
        dense = dense_parameters(size)
        if count >= dense // 2:
            return False, (
                f"ConvVAE(latent_dim={size}) has {count:,} parameters, not fewer than half "
                f"the {dense:,} of the fully connected VAE: the budget holds at every "
                "latent size, so keep the layers whose size grows with latent_dim small"
            )
    return True, ""


@conv_checks.check(ev.goal("composition", "forward decodes one sampled z"))
def conv_composition(inputs: dict, out: dict) -> tuple[bool, str]:
    """forward decodes one freshly sampled z."""
    batch = len(inputs["images"])
    comp = ev.reported(out["composition"], "ConvVAE forward")
    x_hat = as_array(comp["x_hat"], "forward's x_hat", (batch, PIXELS))
    again = as_array(comp["again"], "forward's x_hat", (batch, PIXELS))
    return _decodes_a_sample(comp, x_hat, again, batch)


# ------------------------------------------------------------------ the questions

#: The clauses of each graded prompt; every one is the clause of some check (tests/grading).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q1": (
        "encode flattens (B, 1, 28, 28) or (B, input_dim); (mu, logvar), deterministic",
        "the constructor's latent_dim, hidden_dim and input_dim are respected",
        "decode gives (B, input_dim) values in [0, 1]",
        "reparameterize: z = mu + exp(logvar / 2) * eps, fresh noise at every call",
        "reparameterize is differentiable in mu and logvar",
        "forward encodes, samples one z with self.reparameterize and decodes it",
    ),
    "q4": (
        "returns a Python float",
        "the mean negative ELBO (beta = 1) per image, z sampled by the model",
        "x may be image-shaped or flat",
        "evaluation mode, no_grad, the parameters unchanged",
    ),
    "q5": (
        "a dict with train, test, recon and kl, each a list of epochs floats",
        "Adam on shuffled batches of train_x with vae_loss(beta=beta)",
        "recon and kl are the two terms of the training loss",
        "never compute a gradient from test_x",
        "test is the evaluate score of test_x after each epoch",
    ),
    "q7": (
        "model.decode(mu) with mu from model.encode(x), x image-shaped or flat",
        "no sampling: two calls give the same result",
        "no gradient",
    ),
    "q10": (
        "every entry exactly 0.0 or 1.0",
        "the same shape and dtype as x",
        "entry i is 1 with probability x[i]",
        "fresh random numbers at every call, no reseeding",
        "entry i is 1 with probability x[i], independently of the others",
    ),
    "q11": (
        "encode(x) gives (mu, logvar) for (B, 1, 28, 28) or (B, 784), deterministic",
        "decode(z) gives (B, 784) values in [0, 1]",
        "forward returns (x_hat, mu, logvar) with the mu and logvar of encode",
        "forward decodes one sampled z",
        "reparameterize: fresh noise at every call, differentiable in mu and logvar",
        "every layer used, a gradient reaches the convolutions",
        "a Conv2d, under half the dense VAE's parameters at several latent sizes",
    ),
}

QUESTIONS = [
    vae_checks.question("q1", vae_inputs, vae_probe, prelude=(sampled_decodes,)),
    number_question(
        "q3",
        "q3_answer",
        84 * math.log(2),
        0.05,
        "black and white pixels can be matched at no cost; each pixel at 0.5 costs the entropy "
        "of a fair coin, in nats",
    ),
    evaluate_checks.question(
        "q4", evaluate_inputs, evaluate_probe, prelude=(probe_model, standin_losses, swapped_in)
    ),
    train_checks.question(
        "q5", train_inputs, train_probe, prelude=(probe_model, standin_losses, swapped_in)
    ),
    choice_question(
        "q6",
        "q6_answer",
        "b",
        "the early crossing comes from when each number is measured: scored the same way, after "
        "the epoch, the training images fit at least as well as the test images",
    ),
    reconstruct_checks.question(
        "q7", reconstruct_inputs, reconstruct_probe, prelude=(probe_model,)
    ),
    binarize_checks.question("q10", binarize_inputs, binarize_probe),
    conv_checks.question("q11", conv_inputs, conv_probe, prelude=(sampled_decodes,)),
]
