"""Hidden tests of 07_modern_generators: probes run in the student's kernel, verdicts in the grader.

Inputs are drawn fresh for every grading. Every expected value is computed here, in the grader:
the nearest codes and the loss terms of Q1/Q2, the codebook usage of Q4 on new encoder outputs
that are never given to the student's function, the noise that made each z_t in Q7 (recovered
from what the stand-in denoiser was shown), and the exact output distribution of the DDPM
sampler in Q8, which for Gaussian data and the exact noise predictor is Gaussian with a mean
and variance given by a linear recursion.
The one downstream question, diffusion_loss (Q7, which may call noise_latents of Q5), is also
run with a stand-in noise_latents whose coefficients are drawn here, so a Q5 mistake costs Q5 only.
"""

from __future__ import annotations

import math

import numpy as np

from vae_grading.evidence import (
    MalformedOutput,
    Verdicts,
    as_array,
    as_float,
    choice_question,
    close,
    first_passing,
    goal,
    guard,
    part,
)


def is_error(value: object) -> bool:
    """A probe part that raised."""
    return isinstance(value, dict) and type(value.get("error")) is str


def report(value: object, what: str) -> dict:
    """A probe part's dict of outputs, or MalformedOutput naming what went wrong."""
    if is_error(value):
        raise MalformedOutput(f"{what} raised {value['error'][:200]}")  # type: ignore[index]
    if not isinstance(value, dict):
        raise MalformedOutput(f"{what} could not be called")
    return value


def perplexity(codebook: np.ndarray, z: np.ndarray) -> float:
    """exp(entropy) of the nearest-code histogram of z: the number of codes in effective use."""
    distances = ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)
    counts = np.bincount(distances.argmin(1), minlength=len(codebook)).astype(np.float64)
    shares = counts[counts > 0] / counts.sum()
    return float(np.exp(-(shares * np.log(shares)).sum()))


# ------------------------------------------------------------------ q1: quantize


def quantize_inputs(rng: np.random.Generator) -> dict:
    """Encoder outputs, a codebook whose vectors have unequal lengths, an upstream gradient."""
    n, d, k = int(rng.integers(150, 300)), int(rng.integers(3, 7)), int(rng.integers(12, 40))
    scales = rng.uniform(0.3, 2.0, (k, 1))
    codebook = (rng.standard_normal((k, d)) * scales).astype(np.float32)
    z = (1.2 * rng.standard_normal((n, d))).astype(np.float32)
    return {
        "z": z,
        "codebook": codebook,
        "grad": rng.standard_normal((n, d)).astype(np.float32),
    }


def quantize_probe(ns: dict, inputs: dict) -> dict:
    """quantize(z, codebook): indices, codes, and the gradients a loss on the codes sends back."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    quantize = ns["quantize"]

    def run() -> dict:
        z = inputs["z"].clone().requires_grad_(True)
        codebook = torch.nn.Parameter(inputs["codebook"].clone())
        result = quantize(z, codebook)
        codes, indices = result
        out = {
            "codes": codes.detach().float(),
            "indices": indices.detach().double(),
            "index_dtype": str(indices.dtype),
            "codes_shape": list(codes.shape),
        }

        def backward() -> dict:
            (codes * inputs["grad"]).sum().backward()
            return {
                "z": None if z.grad is None else z.grad.detach(),
                "codebook": None if codebook.grad is None else codebook.grad.detach(),
            }

        out["grads"] = attempt(backward)
        return out

    return {"run": attempt(run)}


quantize_checks = Verdicts()

QZ_WHAT = "quantize(z, codebook)"


def _qz_distances(inputs: dict) -> np.ndarray:
    """Squared distances from every input to every codebook vector, (N, K)."""
    z, codebook = inputs["z"].astype(np.float64), inputs["codebook"].astype(np.float64)
    return ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)


def _qz_indices(inputs: dict, out: dict) -> np.ndarray:
    """The reported indices: whole numbers in 0 .. K-1, shape (N,)."""
    n, k = inputs["z"].shape[0], inputs["codebook"].shape[0]
    rep = report(out["run"], QZ_WHAT)
    got = as_array(rep["indices"], "the indices", (n,))
    if not np.all(got == np.round(got)) or got.min() < 0 or got.max() >= k:
        raise MalformedOutput("the indices must be whole numbers in 0 .. K-1")
    return got.astype(int)


def _qz_grads(out: dict) -> dict:
    """The gradients a loss on the quantized codes sent to z and to the codebook."""
    rep = report(out["run"], QZ_WHAT)
    return report(rep["grads"], "backward through the quantized codes")


@quantize_checks.check(
    goal(
        "nearest",
        "indices of shape (N,): the index of the nearest codebook vector of each row of z, in "
        "Euclidean distance",
    )
)
def qz_nearest(inputs: dict, out: dict) -> tuple[bool, str]:
    """Every input gets its nearest code by squared distance."""
    z, codebook = inputs["z"].astype(np.float64), inputs["codebook"].astype(np.float64)
    n = z.shape[0]
    distances = _qz_distances(inputs)
    got = _qz_indices(inputs, out)
    chosen = distances[np.arange(n), got]
    ok = bool(np.all(chosen <= distances.min(1) + 1e-4 * (1 + distances.min(1))))
    if not ok and np.array_equal(got, (z @ codebook.T).argmax(1)):
        return False, (
            "the indices maximise the dot product z·e: that ignores the lengths of the "
            "codebook vectors; compare squared Euclidean distances"
        )
    return ok, (
        f"{int((chosen > distances.min(1) + 1e-4).sum())} of {n} inputs do not get the "
        "index of their nearest codebook vector (smallest Euclidean distance)"
    )


@quantize_checks.check(goal("codes", "the value of z_q is codebook[indices]"))
def qz_codes(inputs: dict, out: dict) -> tuple[bool, str]:
    """The forward value is the codebook vector of each reported index."""
    z, codebook = inputs["z"].astype(np.float64), inputs["codebook"].astype(np.float64)
    got_idx = _qz_indices(inputs, out)
    rep = report(out["run"], QZ_WHAT)
    got = as_array(rep["codes"], "the quantized codes", z.shape)
    ok = close(got, codebook[got_idx], atol=1e-4, rtol=1e-4)
    if not ok and close(got, z, atol=1e-4, rtol=1e-4):
        return (
            False,
            "the codes equal the inputs z: the forward value must be the codebook vector",
        )
    return ok, "the quantized output must equal codebook[index] for every input (forward value)"


@quantize_checks.check(
    part(
        "straight_through",
        "a loss computed from z_q sends its gradient to z unchanged (straight-through)",
    )
)
def qz_straight_through(inputs: dict, out: dict) -> tuple[bool, str]:
    """The gradient at the quantized output reaches z unchanged, given the right forward value."""
    passed, _ = qz_codes(inputs, out)
    if not passed:  # an identity passes gradients unchanged too: the lookup must happen
        return False, "straight-through needs the quantized codes as the forward value"
    g = _qz_grads(out)
    if g["z"] is None:
        return False, (
            "no gradient reaches z through the quantized codes: the decoder's gradient must be "
            "copied to the encoder output (straight-through)"
        )
    got = as_array(g["z"], "the gradient with respect to z", inputs["z"].shape)
    ok = close(got, inputs["grad"], atol=1e-5, rtol=1e-4)
    return ok, (
        "the gradient reaching z must equal the gradient at the quantized output, unchanged "
        "(straight-through): the nearest-code lookup itself is not differentiable"
    )


@quantize_checks.check(guard("codebook_no_grad", "and sends nothing to the codebook"))
def qz_codebook_no_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """No gradient reaches the codebook through the quantized output."""
    g = _qz_grads(out)
    if g["codebook"] is None:
        return True, ""
    got = as_array(g["codebook"], "the gradient with respect to the codebook")
    ok = close(got, np.zeros_like(got), atol=1e-7)
    return ok, (
        "the decoder's gradient also reaches the codebook through the quantized output: the "
        "codebook should learn only from its own loss term (Q2)"
    )


@quantize_checks.check(
    guard("shapes", "returns (z_q, indices): z_q of shape (N, D), indices an integer tensor")
)
def qz_shapes(inputs: dict, out: dict) -> tuple[bool, str]:
    """Codes shaped like z, integer indices."""
    n, d = inputs["z"].shape
    rep = report(out["run"], QZ_WHAT)
    dtype = rep.get("index_dtype")
    ok = dtype in ("torch.int64", "torch.int32") and rep.get("codes_shape") == [n, d]
    kind = str(dtype).removeprefix("torch.")
    return ok, f"return codes shaped like z {[n, d]} and integer indices (got {kind})"


# ------------------------------------------------------------------ q2: vq_loss


def vq_inputs(rng: np.random.Generator) -> dict:
    """Encoder outputs, their selected codebook vectors and a commitment weight."""
    n, d = int(rng.integers(20, 60)), int(rng.integers(3, 9))
    return {
        "z": rng.standard_normal((n, d)).astype(np.float32),
        "codes": rng.standard_normal((n, d)).astype(np.float32),
        "beta": float(np.round(rng.uniform(0.1, 0.9), 3)),
    }


def vq_probe(ns: dict, inputs: dict) -> dict:
    """vq_loss(z, codes, beta), then the gradients it sends to z and to the codes; and its value
    with beta left out next to beta = 0.25."""
    attempt = ns["_vae_grading_attempt"]
    vq_loss = ns["vq_loss"]

    def run() -> dict:
        z = inputs["z"].clone().requires_grad_(True)
        codes = inputs["codes"].clone().requires_grad_(True)
        loss = vq_loss(z, codes, inputs["beta"])
        out = {"value": loss.detach().double(), "shape": list(loss.shape)}

        def backward() -> dict:
            loss.backward()
            return {
                "z": None if z.grad is None else z.grad.detach(),
                "codes": None if codes.grad is None else codes.grad.detach(),
            }

        out["grads"] = attempt(backward)
        return out

    def default() -> dict:
        z, codes = inputs["z"].clone(), inputs["codes"].clone()
        return {
            "omitted": vq_loss(z, codes).detach().double(),
            "given": vq_loss(z.clone(), codes.clone(), 0.25).detach().double(),
        }

    return {"run": attempt(run), "default": attempt(default)}


vq_checks = Verdicts()

VQ_WHAT = "vq_loss(z, codes, beta)"


def _vq_terms(inputs: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """z and the codes in float64, and their mean squared distance."""
    z, codes = inputs["z"].astype(np.float64), inputs["codes"].astype(np.float64)
    return z, codes, float(((z - codes) ** 2).mean())


def _vq_gradient(out: dict, name: str, expected: np.ndarray, message: str) -> tuple[bool, str]:
    """The gradient the loss sent to `name` ("z" or "codes") against `expected`."""
    rep = report(out["run"], VQ_WHAT)
    g = report(rep["grads"], "backward through vq_loss")
    if g[name] is None:
        return False, message
    got = as_array(g[name], f"the gradient with respect to {name}", expected.shape)
    return close(got, expected, atol=1e-6, rtol=1e-3), message


@vq_checks.check(
    goal(
        "value",
        "the codebook term plus β times the commitment term, each squared distance the mean "
        "over all entries",
    )
)
def vq_value(inputs: dict, out: dict) -> tuple[bool, str]:
    """(1 + beta) times the mean squared distance."""
    z, _, mse = _vq_terms(inputs)
    beta = inputs["beta"]
    rep = report(out["run"], VQ_WHAT)
    got = as_float(rep["value"], VQ_WHAT)
    if abs(got - (1 + beta) * mse * z.size) <= 1e-3 * abs(got):
        return False, "the squared distances are summed: take the mean over all entries"
    if abs(got - mse) <= 1e-4 * mse or abs(got - 2 * mse) <= 1e-4 * mse:
        return False, "β is missing: the commitment term is weighted by β"
    ok = abs(got - (1 + beta) * mse) <= 1e-4 * (1 + beta) * mse
    return ok, (
        f"expected codebook term + β · commitment term = {(1 + beta) * mse:.5f}, got {got:.5f}"
    )


@vq_checks.check(part("encoder_grad", "z gets only the commitment term's gradient"))
def vq_encoder_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """z gets beta times the commitment term's gradient, nothing else."""
    z, codes, _ = _vq_terms(inputs)
    grad_z = inputs["beta"] * 2 * (z - codes) / z.size
    return _vq_gradient(
        out,
        "z",
        grad_z,
        "the encoder output must get only the commitment term's gradient, weighted by β "
        "(stop the gradient to the codes inside that term, and to z inside the codebook term)",
    )


@vq_checks.check(part("codebook_grad", "the codes get only the codebook term's gradient"))
def vq_codebook_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """The codes get the codebook term's gradient, unweighted, nothing else."""
    z, codes, _ = _vq_terms(inputs)
    grad_codes = 2 * (codes - z) / z.size
    return _vq_gradient(
        out,
        "codes",
        grad_codes,
        "the codebook vectors must get only the codebook term's gradient (unweighted): stop "
        "the gradient to z inside the codebook term, and to the codes inside the commitment "
        "term",
    )


@vq_checks.check(guard("scalar", "returns a scalar tensor"))
def vq_scalar(inputs: dict, out: dict) -> tuple[bool, str]:
    """A 0-d tensor."""
    rep = report(out["run"], VQ_WHAT)
    return rep.get("shape") == [], "return a scalar tensor (0-d)"


@vq_checks.check(guard("default_beta", "beta defaults to 0.25 (the signature)"))
def vq_default_beta(inputs: dict, out: dict) -> tuple[bool, str]:
    """Without beta, the same loss as with beta = 0.25."""
    rep = report(out["default"], "vq_loss(z, codes)")
    omitted = as_float(rep["omitted"], "vq_loss(z, codes)")
    given = as_float(rep["given"], "vq_loss(z, codes, 0.25)")
    ok = abs(omitted - given) <= 1e-6 * max(1.0, abs(given))
    return ok, (
        f"called without beta the loss is {omitted:.5f}, with beta = 0.25 it is {given:.5f}: "
        "the signature says beta defaults to 0.25"
    )


# ------------------------------------------------------------------ q4: revive_codebook


def collapsed_case(rng: np.random.Generator, clusters: int, k: int, used: int) -> dict:
    """Encoder outputs in clusters far from the origin; `used` codes among them, the rest dead."""
    d = int(rng.integers(4, 9))
    direction = rng.standard_normal(d)
    direction /= np.linalg.norm(direction)
    centres = 20 * direction + 1.5 * rng.standard_normal((clusters, d))

    def draw(n: int) -> np.ndarray:
        which = rng.integers(0, clusters, n)
        return centres[which] + 0.3 * rng.standard_normal((n, d))

    z = draw(int(rng.integers(300, 500)))
    codebook = np.concatenate(
        [
            z.mean(0) + 0.5 * rng.standard_normal((used, d)),
            -10 * direction + rng.standard_normal((k - used, d)),
        ]
    )
    codebook = codebook[rng.permutation(k)]
    distances = ((z[:, None, :] - codebook[None, :, :]) ** 2).sum(-1)
    counts = np.bincount(distances.argmin(1), minlength=k)
    return {
        "codebook": codebook.astype(np.float32),
        "z": z.astype(np.float32),
        "counts": counts.astype(np.int64),
        "fresh": draw(2000).astype(np.float32),  # judged in the grader, never passed to the answer
        "clusters": clusters,
    }


def revive_inputs(rng: np.random.Generator) -> dict:
    """Two codebooks built to collapse: most codes far from every encoder output."""
    return {
        "a": collapsed_case(rng, int(rng.integers(8, 12)), int(rng.integers(20, 32)), 2),
        "b": collapsed_case(rng, int(rng.integers(6, 9)), int(rng.integers(12, 20)), 1),
    }


def revive_probe(ns: dict, inputs: dict) -> dict:
    """revive_codebook on each collapsed case: the codebook it returns."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    revive_codebook = ns["revive_codebook"]

    def run(case: dict):
        codebook = case["codebook"].clone()
        with torch.no_grad():
            new = revive_codebook(codebook, case["z"].clone(), case["counts"].clone())
        return new.detach().double()

    return {name: attempt(lambda case=inputs[name]: run(case)) for name in ("a", "b")}


revive_checks = Verdicts()

REVIVE_CASES = ("a", "b")


def _revive_returned(inputs: dict, out: dict, name: str) -> np.ndarray:
    """The codebook returned for case `name`, of the input codebook's shape."""
    shape = inputs[name]["codebook"].shape
    return as_array(out[name], "revive_codebook(codebook, z, counts)", shape)


@revive_checks.check(
    goal(
        "usage",
        "returns a codebook with which more codes are in use on new encoder outputs like z "
        "(codebooks built to collapse)",
    )
)
def revive_usage(inputs: dict, out: dict) -> tuple[bool, str]:
    """The perplexity on new encoder outputs at least doubles (or reaches half the clusters)."""
    for name in REVIVE_CASES:
        case = inputs[name]
        new = _revive_returned(inputs, out, name)
        if not np.all(np.isfinite(new)):
            return False, "the returned codebook holds NaN or infinite values"
        before = perplexity(case["codebook"].astype(np.float64), case["fresh"])
        after = perplexity(new, case["fresh"])
        need = max(2 * before, 0.5 * case["clusters"])
        if after < need:
            return False, (
                f"on new encoder outputs from the same data, {after:.1f} codes are in "
                f"effective use (perplexity) after your remedy, {before:.1f} before: the codes "
                "you changed are still chosen by (almost) no encoder output"
            )
    return True, ""


@revive_checks.check(guard("keeps_used", "every code with a nonzero count keeps its value"))
def revive_keeps_used(inputs: dict, out: dict) -> tuple[bool, str]:
    """Codes with a nonzero count are where they were."""
    for name in REVIVE_CASES:
        case = inputs[name]
        new = _revive_returned(inputs, out, name)
        used = case["counts"] > 0
        if not close(new[used], case["codebook"][used].astype(np.float64), atol=1e-5):
            return False, (
                "a code that was in use (count > 0) moved: the decoder relies on those codes, "
                "change only the dead ones"
            )
    return True, ""


@revive_checks.check(guard("shape", "returns a tensor of shape (K, D), the new codebook values"))
def revive_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """A finite codebook of the input's shape."""
    for name in REVIVE_CASES:
        new = _revive_returned(inputs, out, name)
        if not np.all(np.isfinite(new)):
            return False, "the returned codebook holds NaN or infinite values"
    return True, ""


# ------------------------------------------------------------------ q5: noise_latents


def nl_inputs(rng: np.random.Generator) -> dict:
    """Clean latents, integer time steps, noise and a decreasing alpha_bar."""
    steps, b = int(rng.integers(20, 60)), int(rng.integers(9, 20))
    d = b + int(rng.integers(1, 5))  # never square: a broadcast along the wrong axis fails
    betas = np.linspace(rng.uniform(1e-3, 1e-2), rng.uniform(0.1, 0.3), steps)
    return {
        "z0": rng.standard_normal((b, d)).astype(np.float32),
        "t": rng.integers(0, steps, b).astype(np.int64),
        "noise": rng.standard_normal((b, d)).astype(np.float32),
        "alpha_bar": np.cumprod(1 - betas).astype(np.float32),
    }


def ref_noise_latents(
    z0: np.ndarray, t: np.ndarray, noise: np.ndarray, ab: np.ndarray
) -> np.ndarray:
    """sqrt(alpha_bar_t) z0 + sqrt(1 - alpha_bar_t) noise, row by row."""
    a = ab.astype(np.float64)[t][:, None]
    return np.sqrt(a) * z0.astype(np.float64) + np.sqrt(1 - a) * noise.astype(np.float64)


def nl_probe(ns: dict, inputs: dict) -> dict:
    """noise_latents(z0, t, noise, alpha_bar)."""
    attempt = ns["_vae_grading_attempt"]
    noise_latents = ns["noise_latents"]
    return {
        "zt": attempt(
            lambda: noise_latents(
                inputs["z0"], inputs["t"], inputs["noise"], inputs["alpha_bar"]
            ).detach()
        )
    }


nl_checks = Verdicts()

NL_WHAT = "noise_latents(z0, t, noise, alpha_bar)"


@nl_checks.check(
    goal("values", "z_t = sqrt(ᾱ_t) z0 + sqrt(1 - ᾱ_t) ε for a batch, each row at its own step t")
)
def nl_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """The closed form of q(z_t | z_0), each row at its own step."""
    z0, t, noise, ab = inputs["z0"], inputs["t"], inputs["noise"], inputs["alpha_bar"]
    got = as_array(out["zt"], NL_WHAT, z0.shape)
    a = ab.astype(np.float64)[t][:, None]
    if close(got, a * z0 + (1 - a) * noise, atol=1e-4, rtol=1e-4):
        return False, "the weights are alpha_bar and 1 - alpha_bar: take their square roots"
    ok = close(got, ref_noise_latents(z0, t, noise, ab), atol=1e-4, rtol=1e-4)
    return ok, (
        "z_t must be sqrt(alpha_bar[t]) * z0 + sqrt(1 - alpha_bar[t]) * noise, with each row "
        "using its own step t"
    )


@nl_checks.check(guard("shape", "z_t of the shape of z0, (B, D)"))
def nl_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """Finite, shaped like z0."""
    got = as_array(out["zt"], NL_WHAT, inputs["z0"].shape)
    return bool(np.all(np.isfinite(got))), "z_t must be finite"


# ------------------------------------------------------------------ q7: diffusion_loss


def dl_inputs(rng: np.random.Generator) -> dict:
    """Clean latents, a schedule, a linear stand-in denoiser and a stand-in noise_latents."""
    steps, n, d = int(rng.integers(30, 50)), int(rng.integers(1800, 2400)), int(rng.integers(3, 6))
    betas = np.linspace(rng.uniform(1e-3, 1e-2), rng.uniform(0.1, 0.3), steps)
    return {
        "z0": (rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0, d)).astype(np.float32),
        "alpha_bar": np.cumprod(1 - betas).astype(np.float32),
        "w": rng.uniform(0.2, 0.8, d).astype(np.float32),
        "v": rng.standard_normal((steps, d)).astype(np.float32),
        # stand-in noise_latents: c1[t] * z0 + c2[t] * noise, the answer to no question
        "c1": rng.uniform(0.2, 0.9, steps).astype(np.float32),
        "c2": rng.uniform(0.3, 1.2, steps).astype(np.float32),
    }


def dl_probe(ns: dict, inputs: dict) -> dict:
    """diffusion_loss with a recording linear denoiser, as written and with a stand-in
    noise_latents; reports the loss, what the denoiser was shown, and the gradient it got."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    diffusion_loss = ns["diffusion_loss"]

    class Recorder(torch.nn.Module):
        """A linear stand-in noise predictor, eps_hat = w * z_t + v[t], that records its inputs."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(inputs["w"].clone())
            self.v = torch.nn.Parameter(inputs["v"].clone())
            self.calls = []

        def forward(self, z_t, t):
            self.calls.append((z_t.detach().clone(), t.detach().clone()))
            return z_t * self.w + self.v[t]

    def stand_in(z0, t, noise, alpha_bar):
        """A stand-in for noise_latents: c1[t] z0 + c2[t] noise."""
        return inputs["c1"][t][:, None] * z0 + inputs["c2"][t][:, None] * noise

    def run() -> dict:
        model = Recorder()
        loss = diffusion_loss(model, inputs["z0"].clone(), inputs["alpha_bar"].clone())
        out = {"loss": loss.detach().double(), "shape": list(loss.shape), "calls": len(model.calls)}
        out["grad"] = attempt(lambda: float(torch.autograd.grad(loss, model.w)[0].abs().sum()))
        if model.calls:
            z_t, t = model.calls[-1]
            out.update(z_t=z_t.double(), t=t.double(), t_dtype=str(t.dtype))
        return out

    written = attempt(run)
    original = ns.get("noise_latents")
    ns["noise_latents"] = stand_in
    try:
        swapped = attempt(run)
    finally:
        ns["noise_latents"] = original
    return {"written": written, "standin": swapped}


dl_checks = Verdicts()

DL_WHAT = "diffusion_loss(model, z0, alpha_bar)"
#: Each check passes as written or with the stand-in noise_latents swapped in.
DL_RUNS = ("written", "standin")


def _dl_recorded(inputs: dict, out: dict, run: str) -> tuple[dict, np.ndarray, np.ndarray]:
    """The report of `run`, and the z_t and the steps the model was called with (once)."""
    n, d = inputs["z0"].shape
    steps = len(inputs["alpha_bar"])
    rep = report(out[run], DL_WHAT)
    if rep.get("calls") != 1:
        raise MalformedOutput(
            f"the model was called {rep.get('calls')} times: call it once, on all rows"
        )
    z_t = as_array(rep["z_t"], "the z_t given to the model", (n, d))
    t = as_array(rep["t"], "the t given to the model", (n,))
    if not np.all(t == np.round(t)) or t.min() < 0 or t.max() >= steps:
        raise MalformedOutput("t must hold whole steps in 0 .. T-1")
    return rep, z_t, t.astype(int)


def _dl_implied_noise(inputs: dict, out: dict, run: str) -> np.ndarray:
    """The noise that made the z_t the model saw (by the closed form, or by the stand-in)."""
    z0 = inputs["z0"].astype(np.float64)
    _, z_t, t = _dl_recorded(inputs, out, run)
    if run == "standin":
        c1 = inputs["c1"].astype(np.float64)[t][:, None]
        c2 = inputs["c2"].astype(np.float64)[t][:, None]
        return (z_t - c1 * z0) / c2
    a = inputs["alpha_bar"].astype(np.float64)[t][:, None]
    return (z_t - np.sqrt(a) * z0) / np.sqrt(1 - a)


@dl_checks.check(
    goal(
        "loss",
        "model(z_t, t) called once, on the whole batch; the squared error between the "
        "prediction and the noise, averaged over the rows and the dimensions",
    )
)
def dl_loss(inputs: dict, out: dict) -> tuple[bool, str]:
    """The MSE between the stand-in denoiser's output and the noise that made z_t."""
    w, v = inputs["w"].astype(np.float64), inputs["v"].astype(np.float64)

    def decide(run: str) -> tuple[bool, str]:
        rep, z_t, t = _dl_recorded(inputs, out, run)
        got = as_float(rep["loss"], DL_WHAT)
        errors = (w * z_t + v[t] - _dl_implied_noise(inputs, out, run)) ** 2
        expected = float(errors.mean())
        if abs(got - errors.sum()) <= 1e-3 * errors.sum():
            return False, "the squared errors are summed: take the mean over rows and dimensions"
        ok = abs(got - expected) <= 1e-4 * expected + 1e-6
        return ok, (
            f"expected the mean squared error between the model's output and the noise that made "
            f"z_t ({expected:.4f}), got {got:.4f}: the target is the noise, not z0 or z_t"
        )

    return first_passing(DL_RUNS, decide)


@dl_checks.check(
    part(
        "noise",
        "fresh standard normal noise of the shape of z0, z_t built from it as noise_latents does",
    )
)
def dl_noise(inputs: dict, out: dict) -> tuple[bool, str]:
    """The noise that made z_t looks standard normal, entry by entry."""

    def decide(run: str) -> tuple[bool, str]:
        eps = _dl_implied_noise(inputs, out, run)
        ok = (
            abs(eps.mean()) < 0.1
            and bool(np.all(np.abs(eps.var(0) - 1) < 0.2))
            and bool(np.all(np.abs(eps.mean(0)) < 0.15))
        )
        return ok, (
            "the noise that made z_t does not look like fresh standard normal noise, one draw per "
            f"entry (per-dimension variances {np.round(eps.var(0), 2).tolist()}, expected 1)"
        )

    return first_passing(DL_RUNS, decide)


@dl_checks.check(
    part("timesteps", "one step per row, uniformly over 0 .. T-1, as an integer tensor")
)
def dl_timesteps(inputs: dict, out: dict) -> tuple[bool, str]:
    """Integer steps, one per row, covering 0 .. T-1 around its middle."""
    steps = len(inputs["alpha_bar"])

    def decide(run: str) -> tuple[bool, str]:
        rep, _, t = _dl_recorded(inputs, out, run)
        if rep.get("t_dtype") not in ("torch.int64", "torch.int32"):
            return False, "pass the steps to the model as an integer tensor (torch.long)"
        centred = abs(t.mean() - (steps - 1) / 2) < 0.06 * steps
        ok = t.min() == 0 and t.max() == steps - 1 and centred
        return ok, (
            f"the steps should be uniform over 0 .. T-1 = {steps - 1}, one per row; got steps from "
            f"{t.min()} to {t.max()} with mean {t.mean():.1f}"
        )

    return first_passing(DL_RUNS, decide)


@dl_checks.check(guard("scalar_grad", "a scalar tensor that carries the gradient to the model"))
def dl_scalar_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """A 0-d loss whose gradient reaches the model's weights."""

    def decide(run: str) -> tuple[bool, str]:
        rep = report(out[run], DL_WHAT)
        g = rep.get("grad")
        ok = rep.get("shape") == [] and type(g) is float and math.isfinite(g) and g > 0
        return ok, "return a scalar tensor that carries gradient to the model's parameters"

    return first_passing(DL_RUNS, decide)


# ------------------------------------------------------------------ q8: ddpm_sample

CHAIN_ROWS = 150


def ds_inputs(rng: np.random.Generator) -> dict:
    """Gaussian data N(m, s^2) per dimension, a schedule, a sample count."""
    steps, d = int(rng.integers(25, 40)), int(rng.integers(2, 5))
    betas = np.linspace(rng.uniform(1e-3, 5e-3), rng.uniform(0.25, 0.35), steps)
    return {
        "m": (rng.choice([-1, 1], d) * rng.uniform(1.5, 2.5, d)).astype(np.float32),
        "s": rng.uniform(0.2, 0.5, d).astype(np.float32),
        "betas": betas.astype(np.float32),
        "n": int(rng.integers(1500, 2500)),
    }


def ds_make_inputs(rng: np.random.Generator) -> dict:
    """ds_inputs plus how many rows of each step the probe reports."""
    return ds_inputs(rng) | {"chain_rows": CHAIN_ROWS}


def sampler_moments(m, s, betas, variance: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of DDPM ancestral samples with the exact predictor (linear recursion)."""
    alphas = 1 - betas
    ab = np.cumprod(alphas)
    mean, var = np.zeros_like(m), np.ones_like(m)
    for t in range(len(betas) - 1, -1, -1):
        c = np.sqrt(1 - ab[t]) / (ab[t] * s**2 + 1 - ab[t])
        scale = (1 - betas[t] * c / np.sqrt(1 - ab[t])) / np.sqrt(alphas[t])
        shift = betas[t] * c * np.sqrt(ab[t]) * m / (np.sqrt(1 - ab[t]) * np.sqrt(alphas[t]))
        sigma2 = 0.0
        if t > 0:
            sigma2 = betas[t] if variance == "beta" else betas[t] * (1 - ab[t - 1]) / (1 - ab[t])
        mean, var = scale * mean + shift, scale**2 * var + sigma2
    return mean, var


def ds_probe(ns: dict, inputs: dict) -> dict:
    """ddpm_sample with the exact noise predictor of the Gaussian data; records each call."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    ddpm_sample = ns["ddpm_sample"]
    m, s, betas = inputs["m"], inputs["s"], inputs["betas"]
    alpha_bar = torch.cumprod(1 - betas.double(), 0)
    rows = inputs["chain_rows"]

    class ExactPredictor(torch.nn.Module):
        """E[noise | z_t] for data N(m, s^2): a stand-in denoiser that records its inputs."""

        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(()))
            self.calls = []

        def forward(self, z_t, t):
            a = alpha_bar[t].to(z_t.dtype)[:, None]
            eps = (1 - a).sqrt() * (z_t - a.sqrt() * m) / (a * s**2 + 1 - a)
            self.calls.append(
                {
                    "z": z_t[:rows].detach().double(),
                    "eps": eps[:rows].detach().double(),
                    "t": t[:rows].detach().double(),
                    "t_shape": list(t.shape),
                    "t_same": bool((t == t[0]).all()),
                    "dtype": str(t.dtype),
                    "rows": int(z_t.shape[0]),
                }
            )
            return eps + 0 * self.anchor

    def run() -> dict:
        model = ExactPredictor()
        samples = ddpm_sample(model, inputs["n"], len(m), betas.clone())
        return {
            "samples": samples.detach().double().cpu(),
            "calls": model.calls,
            "graph": bool(samples.requires_grad),
        }

    return {"run": attempt(run)}


ds_checks = Verdicts()

DS_WHAT = "ddpm_sample(model, n, dim, betas)"


def _ds_samples(inputs: dict, out: dict) -> np.ndarray:
    """The samples, shape (n, dim)."""
    rep = report(out["run"], DS_WHAT)
    return as_array(rep["samples"], DS_WHAT, (inputs["n"], len(inputs["m"])))


def _ds_calls(inputs: dict, out: dict) -> list:
    """What the model saw at each call: one call per step."""
    steps = len(inputs["betas"])
    rep = report(out["run"], DS_WHAT)
    got = rep.get("calls")
    if type(got) is not list or len(got) != steps:
        count = len(got) if type(got) is list else 0
        raise MalformedOutput(
            f"the model was called {count} times, expected once per step ({steps})"
        )
    return got


@ds_checks.check(
    goal(
        "distribution",
        "with the exact noise predictor of a Gaussian data set, the samples have the "
        "distribution the sampler gives",
    )
)
def ds_distribution(inputs: dict, out: dict) -> tuple[bool, str]:
    """Sample mean and variance match the sampler's exact ones (either choice of σ_t²)."""
    m, s = inputs["m"].astype(np.float64), inputs["s"].astype(np.float64)
    betas = inputs["betas"].astype(np.float64)
    n = inputs["n"]
    x = _ds_samples(inputs, out)
    if not np.all(np.isfinite(x)):
        return False, "the samples hold NaN or infinite values"
    mean, var = x.mean(0), x.var(0)
    for variance in ("beta", "posterior"):
        ref_mean, ref_var = sampler_moments(m, s, betas, variance)
        ok_mean = np.all(np.abs(mean - ref_mean) <= 5 * np.sqrt(ref_var / n) + 0.01)
        ok_var = np.all(np.abs(var / ref_var - 1) <= 5 * math.sqrt(2 / n) + 0.02)
        if ok_mean and ok_var:
            return True, ""
    return False, (
        f"with an exact noise predictor for data of mean {np.round(m, 2).tolist()} and "
        f"standard deviation {np.round(s, 2).tolist()}, the samples have mean "
        f"{np.round(mean, 2).tolist()} and standard deviation "
        f"{np.round(np.sqrt(var), 2).tolist()}: check the update's coefficients, the noise "
        "added at each step, and the order of the steps"
    )


@ds_checks.check(
    part("updates", "each step is the update above, with no noise at the last step (Python step 0)")
)
def ds_updates(inputs: dict, out: dict) -> tuple[bool, str]:
    """Each recorded step's residual is the DDPM noise (none at t = 0)."""
    betas = inputs["betas"].astype(np.float64)
    steps = len(betas)
    alphas, ab = 1 - betas, np.cumprod(1 - betas)
    got = _ds_calls(inputs, out)
    chain = [as_array(c["z"], "a z_t") for c in got] + [_ds_samples(inputs, out)[:CHAIN_ROWS]]
    residuals: list[np.ndarray] = []
    scales: dict[str, list[np.ndarray]] = {"beta": [], "posterior": []}
    for k, call in enumerate(got):
        t = steps - 1 - k
        eps = as_array(call["eps"], "a prediction")
        mean = (chain[k] - betas[t] / np.sqrt(1 - ab[t]) * eps) / np.sqrt(alphas[t])
        r = chain[k + 1] - mean
        if t == 0:
            if not close(r, np.zeros_like(r), atol=1e-4):
                return False, "the last step (t = 0) returns the mean: add no noise there"
            continue
        residuals.append(r)
        scales["beta"].append(np.full_like(r, math.sqrt(betas[t])))
        post = betas[t] * (1 - ab[t - 1]) / (1 - ab[t])
        scales["posterior"].append(np.full_like(r, math.sqrt(post)))
    r = np.concatenate(residuals)
    for variance in ("beta", "posterior"):
        u = r / np.concatenate(scales[variance])
        if abs(u.mean()) < 0.07 and abs(u.var() - 1) < 0.15:  # about 6 SE each
            return True, ""
    return False, (
        "a step does not match z_{t-1} = (z_t - beta_t / sqrt(1 - alpha_bar_t) * eps_hat) / "
        "sqrt(alpha_t) + sigma_t * noise with sigma_t^2 = beta_t"
    )


@ds_checks.check(
    part(
        "order",
        "Python steps T-1 down to 0, model(z, t) called once per step on all n samples, t an "
        "integer tensor of shape (n,)",
    )
)
def ds_order(inputs: dict, out: dict) -> tuple[bool, str]:
    """Calls at t = T-1, ..., 0, each on all n samples with an integer t of shape (n,)."""
    steps, n = len(inputs["betas"]), inputs["n"]
    got = _ds_calls(inputs, out)
    for k, call in enumerate(got):
        t = as_array(call["t"], "the t given to the model")
        expected = steps - 1 - k
        if call.get("dtype") not in ("torch.int64", "torch.int32") or call.get("rows") != n:
            return False, "call the model on all n samples with t as an integer tensor (n,)"
        if call.get("t_shape") != [n] or call.get("t_same") is not True:
            return (
                False,
                "give the model t as a tensor of shape (n,), the same step in every row",
            )
        if not np.all(t == expected):
            return False, f"call {k + 1} should be at step t = {expected} (from T-1 down to 0)"
    return True, ""


@ds_checks.check(part("start", "start from z ~ N(0, I) of shape (n, dim)"))
def ds_start(inputs: dict, out: dict) -> tuple[bool, str]:
    """The first z the model sees looks standard normal."""
    z = as_array(_ds_calls(inputs, out)[0]["z"], "the first z_t")
    ok = abs(z.mean()) < 0.4 and abs(z.var() - 1) < 0.45  # 150 rows: about 6 and 5 SE
    return ok, "start from standard normal noise z_T ~ N(0, I)"


@ds_checks.check(guard("shape", "returns n samples of shape (n, dim)"))
def ds_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """Finite samples of shape (n, dim)."""
    return bool(np.all(np.isfinite(_ds_samples(inputs, out)))), (
        "return finite samples of shape (n, dim)"
    )


@ds_checks.check(
    guard("no_grad", "sample without gradients: the returned samples carry no autograd graph")
)
def ds_no_grad(inputs: dict, out: dict) -> tuple[bool, str]:
    """The samples carry no autograd graph."""
    rep = report(out["run"], DS_WHAT)
    return rep.get("graph") is False, (
        "the samples carry an autograd graph through all T steps: sampling needs no "
        "gradients, so run the chain without them"
    )


# ------------------------------------------------------------------ the questions

QUESTIONS = [
    quantize_checks.question("q1", quantize_inputs, quantize_probe),
    vq_checks.question("q2", vq_inputs, vq_probe),
    choice_question(
        "q3",
        "q3_answer",
        "c",
        "with a one-hot posterior and a uniform prior over K codes the KL is log K per code, a "
        "constant: nothing in training pulls the codes towards a prior",
    ),
    revive_checks.question("q4", revive_inputs, revive_probe),
    nl_checks.question("q5", nl_inputs, nl_probe),
    dl_checks.question("q7", dl_inputs, dl_probe),
    ds_checks.question("q8", ds_make_inputs, ds_probe),
    choice_question(
        "q9",
        "q9_answer",
        "a",
        "the decoder and the encoder are unchanged; the learned prior only moves the sampled codes "
        "to where the aggregate posterior puts the data, out of the holes between the classes",
    ),
]


# ------------------------------------------------------------------ clauses

#: Each code question's prompt (solutions/07_modern_generators.ipynb), clause by clause, in the
#: prompt's own terms; each clause is the `clause` of one of its checks (tests/grading/
#: test_clauses.py).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q1": (
        "indices of shape (N,): the index of the nearest codebook vector of each row of z, in "
        "Euclidean distance",
        "the value of z_q is codebook[indices]",
        "a loss computed from z_q sends its gradient to z unchanged (straight-through)",
        "and sends nothing to the codebook",
        "returns (z_q, indices): z_q of shape (N, D), indices an integer tensor",
    ),
    "q2": (
        "the codebook term plus β times the commitment term, each squared distance the mean over "
        "all entries",
        "z gets only the commitment term's gradient",
        "the codes get only the codebook term's gradient",
        "returns a scalar tensor",
        "beta defaults to 0.25 (the signature)",
    ),
    "q4": (
        "returns a codebook with which more codes are in use on new encoder outputs like z "
        "(codebooks built to collapse)",
        "every code with a nonzero count keeps its value",
        "returns a tensor of shape (K, D), the new codebook values",
    ),
    "q5": (
        "z_t = sqrt(ᾱ_t) z0 + sqrt(1 - ᾱ_t) ε for a batch, each row at its own step t",
        "z_t of the shape of z0, (B, D)",
    ),
    "q7": (
        "model(z_t, t) called once, on the whole batch; the squared error between the prediction "
        "and the noise, averaged over the rows and the dimensions",
        "fresh standard normal noise of the shape of z0, z_t built from it as noise_latents does",
        "one step per row, uniformly over 0 .. T-1, as an integer tensor",
        "a scalar tensor that carries the gradient to the model",
    ),
    "q8": (
        "with the exact noise predictor of a Gaussian data set, the samples have the "
        "distribution the sampler gives",
        "each step is the update above, with no noise at the last step (Python step 0)",
        "Python steps T-1 down to 0, model(z, t) called once per step on all n samples, t an "
        "integer tensor of shape (n,)",
        "start from z ~ N(0, I) of shape (n, dim)",
        "returns n samples of shape (n, dim)",
        "sample without gradients: the returned samples carry no autograd graph",
    ),
}
