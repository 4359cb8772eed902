"""Hidden tests of 02_vae_theory: probes run in the student's kernel, verdicts in the grader.

Inputs are drawn fresh for every grading. Stand-in probabilities stay in [0.05, 0.95] so that an
epsilon up to 1e-6 inside a log, clamping, or BCE from torch changes a sum over 784 pixels by far
less than the tolerances below; float32 and float64 answers both pass. q8b is the exception on
purpose: its logits reach far into the range where sigmoid rounds to 0 or 1 in float32, since
staying exact there is what the question asks for.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from vae_grading import evidence as ev
from vae_grading.evidence import (
    MalformedOutput,
    as_array,
    as_float,
    choice_question,
    close,
    number_question,
)
from vae_grading.references import probabilities, ref_kl, sigmoid

# ------------------------------------------------------------------ references (grader only)


def ref_nll(x_hat: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Summed binary cross-entropy per row, x flattened to x_hat's shape."""
    x = x.reshape(x_hat.shape)
    return -(x * np.log(x_hat) + (1 - x) * np.log(1 - x_hat)).sum(axis=-1)


def ref_nll_logits(logits: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Summed binary cross-entropy of sigmoid(logits) per row, exact in float64 for any logit."""
    x = x.reshape(logits.shape)
    return (np.logaddexp(0.0, logits) - x * logits).sum(axis=-1)


# ------------------------------------------------------------------ q2: gaussian_kl


def kl_inputs(rng: np.random.Generator) -> dict:
    """Random means and log-variances, and a few known cases."""
    batch, dims = int(rng.integers(5, 10)), int(rng.integers(2, 7))
    return {
        "mu": (1.5 * rng.standard_normal((batch, dims))).astype(np.float32),
        "logvar": rng.uniform(-2.0, 1.5, (batch, dims)).astype(np.float32),
        "mu64": rng.standard_normal((4, 3)),
        "logvar64": rng.uniform(-1.5, 1.0, (4, 3)),
    }


def kl_probe(ns: dict, inputs: dict) -> dict:
    """gaussian_kl on random inputs, and its gradients in float64."""
    attempt = ns["_vae_grading_attempt"]
    kl = ns["gaussian_kl"]

    def gradients():
        mu = inputs["mu64"].clone().requires_grad_()
        logvar = inputs["logvar64"].clone().requires_grad_()
        out = kl(mu, logvar)
        if not out.requires_grad:
            return {"connected": False}
        out.sum().backward()
        return {"connected": True, "mu": mu.grad, "logvar": logvar.grad}

    return {
        "values": attempt(lambda: kl(inputs["mu"], inputs["logvar"])),
        "gradients": attempt(gradients),
    }


kl_checks = ev.Verdicts()


def _kl_expected(inputs: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The inputs in float64 and the closed-form KL per row."""
    mu, logvar = inputs["mu"].astype(np.float64), inputs["logvar"].astype(np.float64)
    return mu, logvar, ref_kl(mu, logvar)


@kl_checks.check(
    ev.goal(
        "values",
        "KL(N(mu, exp(logvar)) || N(0, I)) summed over the latent dimensions, (B,)",
    )
)
def kl_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """Values within float32 rounding of the closed form."""
    mu, _, expected = _kl_expected(inputs)
    got = as_array(out["values"], "gaussian_kl(mu, logvar)")
    if got.shape != expected.shape:
        return False, (
            f"for mu of shape {mu.shape} expected shape {expected.shape}, got {got.shape}: "
            "sum over the latent dimensions, one value per example"
        )
    if close(got, -expected, atol=1e-3, rtol=1e-4):
        return False, "the KL has the wrong sign: it is never negative"
    if close(got, 2 * expected, atol=1e-3, rtol=1e-4):
        return False, "the KL is twice the closed form: the factor 1/2 is missing"
    if close(got, expected / mu.shape[1], atol=1e-3, rtol=1e-4):
        return False, "sum over the latent dimensions, do not average"
    return close(got, expected, atol=1e-3, rtol=1e-4), (
        "the values differ from the closed form on random inputs: logvar is log(sigma^2), "
        "so sigma^2 = exp(logvar)"
    )


@kl_checks.check(ev.part("gradients", "gradients flow to both arguments"))
def kl_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Gradients mu and (exp(logvar) - 1) / 2 in float64."""
    grads = out["gradients"]
    if isinstance(grads, dict) and grads.get("connected") is False:
        return (
            False,
            "the KL is cut off from the graph: detached or made a number on the way",
        )
    mu64, logvar64 = inputs["mu64"], inputs["logvar64"]
    d_mu = as_array(grads["mu"], "the gradient with respect to mu", mu64.shape)
    d_logvar = as_array(grads["logvar"], "the gradient with respect to logvar", mu64.shape)
    ok = close(d_mu, mu64, atol=1e-6) and close(d_logvar, 0.5 * np.expm1(logvar64), atol=1e-6)
    return ok, "the gradients should be dKL/dmu = mu and dKL/dlogvar = (exp(logvar) - 1) / 2"


# ------------------------------------------------------------------ q5: monte_carlo_kl


def mc_inputs(rng: np.random.Generator) -> dict:
    """One (mu, logvar) pair repeated over many rows, and a small batch for the many-sample mean."""
    dims = int(rng.integers(2, 4))
    return {
        "mu_row": rng.uniform(-1.2, 1.2, (1, dims)).astype(np.float32),
        "logvar_row": rng.uniform(-1.0, 0.8, (1, dims)).astype(np.float32),
        "rows": 20000,
        "mu": rng.standard_normal((5, 4)).astype(np.float32),
        "logvar": (0.7 * rng.standard_normal((5, 4))).astype(np.float32),
    }


def mc_probe(ns: dict, inputs: dict) -> dict:
    """Single-sample estimates over many identical rows; two calls; a 20000-sample estimate."""
    attempt = ns["_vae_grading_attempt"]
    estimate = ns["monte_carlo_kl"]
    rows = inputs["rows"]
    mu_rows = inputs["mu_row"].repeat(rows, 1)
    logvar_rows = inputs["logvar_row"].repeat(rows, 1)
    return {
        "single": attempt(lambda: estimate(mu_rows, logvar_rows, 1)),
        "four": attempt(lambda: estimate(mu_rows, logvar_rows, 4)),
        "first": attempt(lambda: estimate(inputs["mu"], inputs["logvar"], 7)),
        "second": attempt(lambda: estimate(inputs["mu"], inputs["logvar"], 7)),
        "many": attempt(lambda: estimate(inputs["mu"], inputs["logvar"], 20000)),
    }


mc_checks = ev.Verdicts()


def _mc_row(inputs: dict) -> tuple[int, float, float]:
    """The rows, the closed-form KL of the repeated row, and the spread of a one-sample estimate."""
    mu = inputs["mu_row"].astype(np.float64)[0]
    logvar = inputs["logvar_row"].astype(np.float64)[0]
    var = np.exp(logvar)
    exact = float(ref_kl(mu, logvar))
    # one sample per row: log q - log p = sum_d [-logvar/2 - eps^2/2 + (mu + sigma eps)^2 / 2]
    spread = math.sqrt(float((0.5 * (var - 1.0) ** 2 + mu**2 * var).sum()))
    return inputs["rows"], exact, spread


@mc_checks.check(
    ev.goal("unbiased", "average of log q(z_s) - log p(z_s) over samples z_s drawn from q")
)
def mc_unbiased(inputs: dict, out: dict) -> tuple[bool, str]:
    """One-sample estimates over many identical rows average to the closed form."""
    rows, exact, spread = _mc_row(inputs)
    single = as_array(out["single"], "monte_carlo_kl(mu, logvar, 1)", (rows,))
    ok = abs(single.mean() - exact) <= 5 * spread / math.sqrt(rows) + 1e-3
    return ok, (
        "with one sample per row the estimates should average to the closed form: draw z "
        "from q = N(mu, sigma^2), average log q(z) - log p(z) over samples, sum over dims"
    )


@mc_checks.check(
    ev.goal(
        "spread",
        "a Monte Carlo estimate, not the closed form: n_samples independent samples per row, "
        "averaged (gaussian_kl not called)",
    )
)
def mc_spread(inputs: dict, out: dict) -> tuple[bool, str]:
    """The spread of a real one-sample estimator, halved by four samples."""
    rows, _, spread = _mc_row(inputs)
    single = as_array(out["single"], "monte_carlo_kl(mu, logvar, 1)", (rows,))
    four = as_array(out["four"], "monte_carlo_kl(mu, logvar, 4)", (rows,))
    ok = abs(single.std() / spread - 1) < 0.1 and abs(2 * four.std() / spread - 1) < 0.1
    return ok, (
        "the estimates do not scatter like a Monte Carlo average of log q(z) - log p(z): "
        "each call must draw its own samples from q and average over them"
    )


@mc_checks.check(ev.guard("fresh", "the result is random: two calls differ"))
def mc_fresh(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two calls on the same inputs differ."""
    first = as_array(out["first"], "monte_carlo_kl(mu, logvar, 7)", (5,))
    second = as_array(out["second"], "monte_carlo_kl(mu, logvar, 7)", (5,))
    return not close(first, second, atol=1e-6), (
        "two calls returned the same values: draw fresh samples each call, do not reseed"
    )


@mc_checks.check(
    ev.part("converges", "average of log q(z_s) - log p(z_s) over samples z_s drawn from q")
)
def mc_converges(inputs: dict, out: dict) -> tuple[bool, str]:
    """A 20000-sample estimate lies close to the closed form."""
    many = as_array(out["many"], "monte_carlo_kl(mu, logvar, 20000)", (5,))
    expected = ref_kl(inputs["mu"].astype(np.float64), inputs["logvar"].astype(np.float64))
    return close(many, expected, atol=0.15, rtol=0.02), (
        "with 20000 samples the estimate should be close to the closed form"
    )


# ------------------------------------------------------------------ q6: reparameterize


def reparam_inputs(rng: np.random.Generator) -> dict:
    """Per-dimension means and variances for the statistics, a float64 batch for gradients."""
    return {
        "mu": rng.uniform(-3.0, 3.0, (1, 3)).astype(np.float32),
        "logvar": rng.uniform(-1.5, 1.5, (1, 3)).astype(np.float32),
        "rows": 200000,
        "mu64": rng.standard_normal((9, 4)),
        "logvar64": rng.standard_normal((9, 4)),
    }


def reparam_probe(ns: dict, inputs: dict) -> dict:
    """Sample statistics over many rows, two calls, and the gradients of one float64 sample."""
    attempt = ns["_vae_grading_attempt"]
    sample = ns["reparameterize"]
    rows = inputs["rows"]

    def statistics():
        z = sample(inputs["mu"].repeat(rows, 1), inputs["logvar"].repeat(rows, 1))
        return {"shape": list(z.shape), "mean": z.mean(dim=0), "std": z.std(dim=0)}

    def gradients():
        mu = inputs["mu64"].clone().requires_grad_()
        logvar = inputs["logvar64"].clone().requires_grad_()
        z = sample(mu, logvar)
        if not z.requires_grad:
            return {"connected": False}
        z.sum().backward()
        return {"connected": True, "z": z, "mu": mu.grad, "logvar": logvar.grad}

    return {
        "statistics": attempt(statistics),
        "first": attempt(lambda: sample(inputs["mu64"], inputs["logvar64"])),
        "second": attempt(lambda: sample(inputs["mu64"], inputs["logvar64"])),
        "gradients": attempt(gradients),
    }


reparam_checks = ev.Verdicts()


@reparam_checks.check(
    ev.goal(
        "statistics",
        "z = mu + sigma * eps with sigma = exp(logvar / 2), eps ~ N(0, I) per element",
    )
)
def reparam_statistics(inputs: dict, out: dict) -> tuple[bool, str]:
    """Samples with mean mu and standard deviation exp(logvar / 2)."""
    mu = inputs["mu"].astype(np.float64)[0]
    std = np.exp(0.5 * inputs["logvar"].astype(np.float64)[0])
    stats = out["statistics"]
    if isinstance(stats, dict) and "shape" in stats and stats["shape"] != [inputs["rows"], 3]:
        return False, f"z must have the shape of mu, got {stats['shape']}"
    mean = as_array(stats["mean"], "the sample mean", (3,))
    spread = as_array(stats["std"], "the sample standard deviation", (3,))
    if close(spread, std**2, atol=0.02, rtol=0.02) and not close(spread, std, atol=0.02):
        return False, "the samples have standard deviation sigma^2: use exp(logvar / 2)"
    ok = close(mean, mu, atol=0.02 + 5 * std.max() / 447)
    ok = ok and close(spread, std, atol=0.01, rtol=0.01)
    return ok, "samples should have mean mu and standard deviation sigma = exp(logvar / 2)"


@reparam_checks.check(ev.guard("fresh", "fresh noise at every call, no reseeding"))
def reparam_fresh(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two calls on the same inputs differ."""
    first = as_array(out["first"], "reparameterize(mu, logvar)", inputs["mu64"].shape)
    second = as_array(out["second"], "reparameterize(mu, logvar)", inputs["mu64"].shape)
    return not close(first, second, atol=1e-9), (
        "two calls returned the same sample: draw fresh noise each call, do not reseed"
    )


@reparam_checks.check(ev.part("gradients", "gradients flow to both mu and logvar"))
def reparam_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Gradients 1 with respect to mu and (z - mu) / 2 with respect to logvar."""
    grads = out["gradients"]
    if isinstance(grads, dict) and grads.get("connected") is False:
        return (
            False,
            "z is cut off from the graph: a sampler without gradients or a detach stops them",
        )
    shape = inputs["mu64"].shape
    z = as_array(grads["z"], "z", shape)
    d_mu = as_array(grads["mu"], "dz/dmu", shape)
    d_logvar = as_array(grads["logvar"], "dz/dlogvar", shape)
    if not close(d_mu, np.ones(shape), atol=1e-6):
        return (
            False,
            "dz/dmu must be 1: the sample must move with mu (a sampler has no gradient)",
        )
    return close(d_logvar, 0.5 * (z - inputs["mu64"]), atol=1e-6), (
        "dz/dlogvar must be sigma * eps / 2 = (z - mu) / 2, with sigma = exp(logvar / 2)"
    )


# ------------------------------------------------------------------ q8: bernoulli_nll


def nll_inputs(rng: np.random.Generator) -> dict:
    """Grey targets with flat and image-shaped layouts, and a float64 batch for gradients."""
    batch, pixels = int(rng.integers(4, 9)), int(rng.integers(9, 20))
    return {
        "x_hat": probabilities(rng, batch, pixels).astype(np.float32),
        "x": rng.uniform(0, 1, (batch, pixels)).astype(np.float32),
        "img_hat": probabilities(rng, 3, 784).astype(np.float32),
        "img": rng.uniform(0, 1, (3, 1, 28, 28)).astype(np.float32),
        "x_hat64": probabilities(rng, 3, 11),
        "x64": rng.uniform(0, 1, (3, 11)),
    }


def nll_probe(ns: dict, inputs: dict) -> dict:
    """bernoulli_nll on flat and image-shaped targets, and its gradient in float64."""
    attempt = ns["_vae_grading_attempt"]
    nll = ns["bernoulli_nll"]

    def gradient():
        x_hat = inputs["x_hat64"].clone().requires_grad_()
        out = nll(x_hat, inputs["x64"])
        if not out.requires_grad:
            return {"connected": False}
        out.sum().backward()
        return {"connected": True, "x_hat": x_hat.grad}

    return {
        "flat": attempt(lambda: nll(inputs["x_hat"], inputs["x"])),
        "images": attempt(lambda: nll(inputs["img_hat"], inputs["img"])),
        "gradient": attempt(gradient),
    }


nll_checks = ev.Verdicts()


@nll_checks.check(ev.goal("values", "-log p(x | z) per example, summed over pixels, shape (B,)"))
def nll_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """Summed BCE per image on grey targets."""
    x_hat, x = inputs["x_hat"].astype(np.float64), inputs["x"].astype(np.float64)
    expected = ref_nll(x_hat, x)
    got = as_array(out["flat"], "bernoulli_nll(x_hat, x)")
    if got.shape != expected.shape:
        return False, f"expected one value per image, shape {expected.shape}, got {got.shape}"
    if close(got, expected / x.shape[1], atol=1e-3, rtol=1e-4):
        return False, "sum over pixels, do not average: an image's likelihood is a product"
    if close(got, -expected, atol=1e-3, rtol=1e-4):
        return False, "sign error: the negative log-likelihood is >= 0"
    return close(got, expected, atol=1e-3, rtol=1e-4), (
        "the values differ from the binary cross-entropy summed over pixels (grey targets)"
    )


@nll_checks.check(ev.part("images", "x of shape (B, D) or image-shaped, reshaped to x_hat's shape"))
def nll_images(inputs: dict, out: dict) -> tuple[bool, str]:
    """Image-shaped targets give the flattened computation."""
    img_hat, img = inputs["img_hat"].astype(np.float64), inputs["img"].astype(np.float64)
    got = as_array(out["images"], "bernoulli_nll with x of shape (B, 1, 28, 28)", (3,))
    return close(got, ref_nll(img_hat, img), atol=2e-2, rtol=1e-4), (
        "with image-shaped x the result should equal the flattened computation"
    )


@nll_checks.check(ev.part("gradient", "differentiable with respect to x_hat"))
def nll_gradient(inputs: dict, out: dict) -> tuple[bool, str]:
    """The gradient (x_hat - x) / (x_hat (1 - x_hat)) in float64."""
    grads = out["gradient"]
    if isinstance(grads, dict) and grads.get("connected") is False:
        return (
            False,
            "the result is cut off from the graph: detached or made a number on the way",
        )
    p, target = inputs["x_hat64"], inputs["x64"]
    got = as_array(grads["x_hat"], "the gradient with respect to x_hat", p.shape)
    # atol on the scale of the two terms x/p and (1-x)/(1-p), whose difference is the
    # gradient: an epsilon inside the logs moves each term by ~eps/p even where they cancel.
    return close(got, (p - target) / (p * (1 - p)), atol=1e-3, rtol=1e-3), (
        "d(nll)/d(x_hat) should be (x_hat - x) / (x_hat (1 - x_hat)) for each pixel"
    )


# ------------------------------------------------------------------ q8b: bernoulli_nll_from_logits

#: One-call losses that would do the whole of q8b: the prompt puts them off limits.
LIBRARY_SHORTCUTS = {"binary_cross_entropy_with_logits", "BCEWithLogitsLoss", "Bernoulli"}


def _signed(rng: np.random.Generator, rows: int, low: float, high: float) -> np.ndarray:
    """Logits with magnitudes in [low, high], each row holding both signs against targets 0, 1
    and grey (two of each pairing, in a random order), so every kind of saturation is probed."""
    kinds = np.array([(sign, kind) for sign in (1.0, -1.0) for kind in range(3) for _ in range(2)])
    logits = np.empty((rows, len(kinds)))
    targets = np.empty((rows, len(kinds)))
    for row in range(rows):
        order = rng.permutation(len(kinds))
        sign, kind = kinds[order, 0], kinds[order, 1]
        logits[row] = sign * rng.uniform(low, high, len(kinds))
        grey = rng.uniform(0.05, 0.95, len(kinds))
        targets[row] = np.where(kind == 0, 0.0, np.where(kind == 1, 1.0, grey))
    return np.stack([logits, targets])


def logits_inputs(rng: np.random.Generator) -> dict:
    """Moderate logits on grey targets, saturated (|l| 20-80) and extreme (|l| 100-1000) logits
    against targets 0, 1 and grey, image-shaped targets, and a mixed batch for the gradient."""
    batch, pixels = int(rng.integers(4, 9)), int(rng.integers(9, 20))
    saturated = _signed(rng, 6, 20.0, 80.0).astype(np.float32)
    extreme = _signed(rng, 4, 100.0, 1000.0).astype(np.float32)
    mixed = np.concatenate(
        [_signed(rng, 3, 0.1, 5.0), _signed(rng, 3, 20.0, 80.0), _signed(rng, 3, 100.0, 1000.0)],
        axis=2,
    ).astype(np.float32)
    return {
        "logits": rng.uniform(-5.0, 5.0, (batch, pixels)).astype(np.float32),
        "x": rng.uniform(0, 1, (batch, pixels)).astype(np.float32),
        "sat_logits": saturated[0],
        "sat_x": saturated[1],
        "ext_logits": extreme[0],
        "ext_x": extreme[1],
        "img_logits": rng.uniform(-8.0, 8.0, (3, 784)).astype(np.float32),
        "img": rng.uniform(0, 1, (3, 1, 28, 28)).astype(np.float32),
        "grad_logits": mixed[0],
        "grad_x": mixed[1],
    }


def logits_probe(ns: dict, inputs: dict) -> dict:
    """bernoulli_nll_from_logits on each kind of input, and its gradient in float32."""
    attempt = ns["_vae_grading_attempt"]
    nll = ns["bernoulli_nll_from_logits"]

    def gradient():
        logits = inputs["grad_logits"].clone().requires_grad_()
        out = nll(logits, inputs["grad_x"])
        if not out.requires_grad:
            return {"connected": False}
        out.sum().backward()
        return {"connected": True, "logits": logits.grad}

    def called():
        """The names the function's code refers to, with nested functions and the notebook's
        own functions that it calls (a helper cannot hide a library call), and the names of the
        objects that the notebook's own names stand for (nor can an alias or an instance)."""

        def names(code):
            found = set(code.co_names)
            for const in code.co_consts:
                if hasattr(const, "co_names"):
                    found |= names(const)
            return found

        def reach(function, seen):
            code = getattr(function, "__code__", None)
            if code is None or code in seen or len(seen) > 50:
                return set()
            seen.add(code)
            found = names(code)
            scope = getattr(function, "__globals__", {})
            for name in list(found):
                other = scope.get(name)
                if callable(other) and getattr(other, "__globals__", None) is scope:
                    found |= reach(other, seen)
                elif other is not None:  # a library object under a name of the notebook's own
                    found |= {str(getattr(other, "__name__", "")), type(other).__name__}
            return found

        return sorted(reach(nll, set()))

    return {
        "called": attempt(called),
        "values": attempt(lambda: nll(inputs["logits"], inputs["x"])),
        "saturated": attempt(lambda: nll(inputs["sat_logits"], inputs["sat_x"])),
        "extreme": attempt(lambda: nll(inputs["ext_logits"], inputs["ext_x"])),
        "images": attempt(lambda: nll(inputs["img_logits"], inputs["img"])),
        "gradient": attempt(gradient),
    }


logits_checks = ev.Verdicts()

#: Tolerances of q8b's values: float32 rounding of sums over up to 784 pixels.
LOGITS_TOL = {"atol": 1e-3, "rtol": 1e-4}


def _logits_data(inputs: dict, key: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """Logits and targets of one kind of input, in float64."""
    return inputs[key].astype(np.float64), inputs[target].astype(np.float64)


def _logits_formula_wrong(inputs: dict, out: dict) -> bool:
    """Whether the moderate-logit check fails: then its message is the one that helps."""
    return not ev.holds(lambda: logits_values(inputs, out))


@logits_checks.check(
    ev.goal(
        "own_route",
        "no one-call library loss: the stable formulation is the student's",
        1.5,
    )
)
def logits_own_route(inputs: dict, out: dict) -> tuple[bool, str]:
    """No one-call library loss, and a function that computes something (not a stub)."""
    called = out["called"]
    if not isinstance(called, list):
        raise MalformedOutput("the names used by bernoulli_nll_from_logits could not be read")
    used = sorted(set(called) & LIBRARY_SHORTCUTS)
    if used:
        return False, (
            f"bernoulli_nll_from_logits calls {', '.join(used)}: a one-call library loss is "
            "off limits in Q8b (the prompt says so), so the stable formulation is not yours yet"
        )
    return not _logits_formula_wrong(inputs, out), (
        "your own formulation counts once it gives Q8's values for moderate logits"
    )


@logits_checks.check(
    ev.goal(
        "values",
        "exact for moderate logits, targets 0, 1 and grey, summed over pixels",
        1.5,
    )
)
def logits_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """Q8's quantity with x_hat = sigmoid(logits) for moderate logits on grey targets."""
    logits, x = _logits_data(inputs, "logits", "x")
    expected = ref_nll_logits(logits, x)
    got = as_array(out["values"], "bernoulli_nll_from_logits(logits, x)")
    if got.shape != expected.shape:
        return False, f"expected one value per image, shape {expected.shape}, got {got.shape}"
    if close(got, expected / x.shape[1], **LOGITS_TOL):
        return False, "sum over pixels, do not average: an image's likelihood is a product"
    if close(got, -expected, **LOGITS_TOL):
        return False, "sign error: the negative log-likelihood is >= 0"
    if close(got, ref_nll_logits(-logits, x), **LOGITS_TOL):
        return False, "the logit's sign is flipped: sigmoid(logit) is the probability of x = 1"
    if close(got, (x * np.logaddexp(0.0, -logits)).sum(axis=-1), **LOGITS_TOL):
        return False, "the (1 - x) log(1 - sigmoid(logit)) term of each pixel is missing"
    return close(got, expected, **LOGITS_TOL), (
        "for moderate logits the values should equal Q8's binary cross-entropy with "
        "x_hat = sigmoid(logits), summed over pixels (grey targets)"
    )


@logits_checks.check(
    ev.goal(
        "saturated",
        "exact for logits in [-50, 50], where the sigmoid rounds to 0 or 1",
        1.5,
    )
)
def logits_saturated(inputs: dict, out: dict) -> tuple[bool, str]:
    """Within float32 rounding for logits of size 20 to 80."""
    logits, x = _logits_data(inputs, "sat_logits", "sat_x")
    got = as_array(out["saturated"], "bernoulli_nll_from_logits(logits, x)", (len(x),))
    if _logits_formula_wrong(inputs, out):
        return close(got, ref_nll_logits(logits, x), **LOGITS_TOL), (
            "wrong for logits of size 20 to 80 too: fix the moderate-logit formula first"
        )
    if not np.isfinite(got).all():
        return False, (
            "inf or nan for logits of size 20 to 80: sigmoid(l) rounds to exactly 1 for l "
            "above about 17 in float32 (about 37 in float64), and log(1 - 1) = log 0"
        )
    return close(got, ref_nll_logits(logits, x), **LOGITS_TOL), (
        "wrong for logits of size 20 to 80 (targets 0, 1 and grey): sigmoid(30) == 1.0 in "
        "float32, so any route through log(1 - sigmoid(l)) loses the answer there "
        "(the built-in binary cross-entropy clamps the log at -100, an epsilon caps it near 16)"
    )


@logits_checks.check(ev.goal("extreme", "exact for logits up to +-1000", 1))
def logits_extreme(inputs: dict, out: dict) -> tuple[bool, str]:
    """Within float32 rounding for logits of size 100 to 1000."""
    logits, x = _logits_data(inputs, "ext_logits", "ext_x")
    got = as_array(out["extreme"], "bernoulli_nll_from_logits(logits, x)", (len(x),))
    if _logits_formula_wrong(inputs, out):
        return close(got, ref_nll_logits(logits, x), **LOGITS_TOL), (
            "wrong for logits of size 100 to 1000 too: fix the moderate-logit formula first"
        )
    return close(got, ref_nll_logits(logits, x), **LOGITS_TOL), (
        "wrong or not finite for logits of size 100 to 1000 (targets 0, 1 and grey): there "
        "sigmoid(l) is exactly 0 or 1 and exp(|l|) overflows to inf in float32, so nothing "
        "may be exponentiated into overflow on the way to the answer"
    )


@logits_checks.check(ev.part("images", "x of shape (B, D) or image-shaped", 0.5))
def logits_images(inputs: dict, out: dict) -> tuple[bool, str]:
    """Image-shaped targets give the flattened computation."""
    logits, img = _logits_data(inputs, "img_logits", "img")
    got = as_array(out["images"], "bernoulli_nll_from_logits with x of shape (B, 1, 28, 28)")
    return close(got, ref_nll_logits(logits, img), atol=2e-2, rtol=1e-4), (
        "with image-shaped x, shape (3, 1, 28, 28), and logits of shape (3, 784) the result "
        "should have shape (3,) and equal the flattened computation"
    )


@logits_checks.check(
    ev.goal(
        "gradient",
        "differentiable with the true gradient sigmoid(l) - x, finite for every logit",
        1.5,
    )
)
def logits_gradient(inputs: dict, out: dict) -> tuple[bool, str]:
    """The gradient sigmoid(l) - x, finite for every logit."""
    grads = out["gradient"]
    if isinstance(grads, dict) and grads.get("connected") is False:
        return (
            False,
            "the result is cut off from the graph: detached or made a number on the way",
        )
    logits, x = _logits_data(inputs, "grad_logits", "grad_x")
    got = as_array(grads["logits"], "the gradient with respect to the logits", logits.shape)
    if not np.isfinite(got).all():
        return False, (
            "the gradient is inf or nan for some logits (sizes up to 1000): every operation "
            "on the way, including a branch of a selection that is not taken, must stay finite"
        )
    return close(got, sigmoid(logits) - x, atol=1e-5, rtol=1e-4), (
        "d(nll)/d(logit) should be sigmoid(logit) - x for every pixel, including logits of "
        "size 20 to 1000 (where a route through sigmoid then log gives 0 or nan)"
    )


# ------------------------------------------------------------------ q9: negative_elbo


def standin_coefficients(rng: np.random.Generator) -> dict:
    """Coefficients of the stand-ins that the probe swaps in for bernoulli_nll and gaussian_kl.

    Per row, nll_s(x_hat, x) = sum_j (a x_hat^2 - b x x_hat + c x_hat) and
    kl_s(mu, logvar) = sum_d (d mu^2 + e mu + f logvar^2 + g logvar): smooth, with gradients
    known here, and the answer to no question (neither is a cross-entropy or a KL).
    """
    nll = rng.uniform([0.5, 0.5, 0.2], [2.0, 3.0, 1.5])
    kl = rng.uniform([0.5, -1.0, 0.3, -1.0], [2.0, 1.0, 1.5, 1.0])
    return {"nll": [float(v) for v in nll], "kl": [float(v) for v in kl]}


def standin_nll(coef: list[float], x_hat: np.ndarray, x: np.ndarray) -> np.ndarray:
    """What the probe's stand-in for bernoulli_nll returns, per row (x flattened like x_hat)."""
    a, b, c = coef
    x = x.reshape(x_hat.shape)
    return (a * x_hat**2 - b * x * x_hat + c * x_hat).sum(axis=-1)


def standin_kl(coef: list[float], mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """What the probe's stand-in for gaussian_kl returns, per row."""
    d, e, f, g = coef
    return (d * mu**2 + e * mu + f * logvar**2 + g * logvar).sum(axis=-1)


def elbo_inputs(rng: np.random.Generator) -> dict:
    """Decoder outputs, image-shaped targets, codes and a beta, plus a float64 set for gradients,
    and the coefficients of the stand-in terms."""
    batch = int(rng.integers(5, 9))
    return {
        "x_hat": probabilities(rng, batch, 784).astype(np.float32),
        "x": rng.uniform(0, 1, (batch, 1, 28, 28)).astype(np.float32),
        "mu": rng.standard_normal((batch, 3)).astype(np.float32),
        "logvar": rng.uniform(-1.5, 1.0, (batch, 3)).astype(np.float32),
        "beta": float(np.round(rng.uniform(1.5, 4.0), 2)),
        "x_hat64": probabilities(rng, 3, 10),
        "x64": rng.uniform(0, 1, (3, 10)),
        "mu64": rng.standard_normal((3, 2)),
        "logvar64": rng.standard_normal((3, 2)),
        "standins": standin_coefficients(rng),
    }


def elbo_probe(ns: dict, inputs: dict) -> dict:
    """negative_elbo as written, then again with stand-ins (random smooth functions, the answer
    to no question) swapped in for the student's own bernoulli_nll and gaussian_kl, so that a
    bug there is charged to q8 or q2, not here."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    x_hat, x, mu, logvar = inputs["x_hat"], inputs["x"], inputs["mu"], inputs["logvar"]

    def standin_nll(x_hat, x):
        a, b, c = inputs["standins"]["nll"]
        x = x.reshape(x_hat.shape)
        return (a * x_hat**2 - b * x * x_hat + c * x_hat).sum(-1)

    def standin_kl(mu, logvar):
        d, e, f, g = inputs["standins"]["kl"]
        return (d * mu**2 + e * mu + f * logvar**2 + g * logvar).sum(-1)

    def gradients():
        x_hat64 = inputs["x_hat64"].clone().requires_grad_()
        mu64 = inputs["mu64"].clone().requires_grad_()
        logvar64 = inputs["logvar64"].clone().requires_grad_()
        value = ns["negative_elbo"](x_hat64, inputs["x64"], mu64, logvar64, beta=1.5)
        if not value.requires_grad:
            return {"connected": False}
        value.backward()
        tensors = {"x_hat": x_hat64, "mu": mu64, "logvar": logvar64}
        return {
            "connected": True,
            **{
                k: t.grad if t.grad is not None else torch.zeros_like(t) for k, t in tensors.items()
            },
        }

    def run() -> dict:
        loss = ns["negative_elbo"]
        return {
            "beta1": attempt(lambda: loss(x_hat, x, mu, logvar)),
            "beta": attempt(lambda: loss(x_hat, x, mu, logvar, beta=inputs["beta"])),
            "gradients": attempt(gradients),
        }

    as_written = run()
    saved = {name: ns.get(name) for name in ("bernoulli_nll", "gaussian_kl")}
    ns["bernoulli_nll"], ns["gaussian_kl"] = standin_nll, standin_kl
    try:
        with_standins = run()
    finally:
        for name, value in saved.items():
            if value is None:
                ns.pop(name, None)
            else:
                ns[name] = value
    return {"as_written": as_written, "standins": with_standins}


elbo_checks = ev.Verdicts()


def _elbo_runs(inputs: dict, out: dict) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    """Each run with the terms its negative_elbo had at hand: the true ones, then the stand-ins."""
    # either run passes a check: a wrong term is q2's or q8's mistake
    x_hat, x = inputs["x_hat"].astype(np.float64), inputs["x"].astype(np.float64)
    mu, logvar = inputs["mu"].astype(np.float64), inputs["logvar"].astype(np.float64)
    coef = inputs["standins"]
    return [
        (out["as_written"], ref_nll(x_hat, x), ref_kl(mu, logvar)),
        (
            out["standins"],
            standin_nll(coef["nll"], x_hat, x),
            standin_kl(coef["kl"], mu, logvar),
        ),
    ]


def _elbo_value(inputs: dict, out: dict, key: str, beta: float) -> tuple[bool, str]:
    """The batch mean of nll + beta * KL in either run, or the message of the likely mistake."""
    runs = _elbo_runs(inputs, out)
    values = []
    for run, nll, kl in runs:
        with contextlib.suppress(MalformedOutput):
            values.append((as_float(run[key], "negative_elbo(...)"), nll, kl))
    if not values:
        as_float(runs[0][0][key], "negative_elbo(x_hat, x, mu, logvar)")  # raises its message
    for got, nll, kl in values:
        if close(got, float((nll + beta * kl).mean()), atol=1e-2, rtol=1e-4):
            return True, ""
    for got, nll, kl in values:
        if close(got, float((nll + beta * kl).sum()), atol=1e-2, rtol=1e-4):
            return False, "average over the batch, do not sum"
        if close(got, float((nll - beta * kl).mean()), atol=1e-2, rtol=1e-4):
            return False, "the KL term is added to the negative log-likelihood, not subtracted"
    if beta != 1.0:
        return False, f"with beta = {beta} the loss should be mean(nll + beta * kl)"
    return False, "expected the batch mean of (nll summed over pixels + KL summed over dims)"


@elbo_checks.check(ev.goal("combination", "the batch mean of bernoulli_nll + beta * gaussian_kl"))
def elbo_combination(inputs: dict, out: dict) -> tuple[bool, str]:
    """The default beta = 1 gives the batch mean of nll + KL."""
    return _elbo_value(inputs, out, "beta1", 1.0)


@elbo_checks.check(ev.part("beta", "beta weighs the KL term"))
def elbo_beta(inputs: dict, out: dict) -> tuple[bool, str]:
    """The drawn beta gives the batch mean of nll + beta * KL."""
    return _elbo_value(inputs, out, "beta", inputs["beta"])


@elbo_checks.check(ev.part("gradients", "gradients flow to x_hat, mu and logvar"))
def elbo_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """The gradients of the batch mean at beta = 1.5, with the true terms or the stand-ins."""
    runs = _elbo_runs(inputs, out)
    coef = inputs["standins"]
    p, target = inputs["x_hat64"], inputs["x64"]
    mu64, logvar64 = inputs["mu64"], inputs["logvar64"]
    a, b, c = coef["nll"]
    d, e, f, g = coef["kl"]
    wants = [
        {  # the true terms
            "x_hat": (p - target) / (p * (1 - p)) / 3,
            "mu": 1.5 * mu64 / 3,
            "logvar": 1.5 * 0.5 * np.expm1(logvar64) / 3,
        },
        {  # the stand-ins
            "x_hat": (2 * a * p - b * target + c) / 3,
            "mu": 1.5 * (2 * d * mu64 + e) / 3,
            "logvar": 1.5 * (2 * f * logvar64 + g) / 3,
        },
    ]
    disconnected = False
    for (run, _, _), want in zip(runs, wants, strict=True):
        grads = run["gradients"]
        if not isinstance(grads, dict) or "error" in grads:
            continue
        if grads.get("connected") is False:
            disconnected = True
            continue
        with contextlib.suppress(MalformedOutput):
            got = {n: as_array(grads[n], n, want[n].shape) for n in want}
            # atol 1e-3: an epsilon up to 1e-6 in the logs moves d/dx_hat by up to
            # 2e-6 / 0.05^2 per element where the exact gradient is near 0; a mistake moves it
            # by a factor (the 1/2, the beta, the batch mean), far more
            if all(close(got[n], want[n], atol=1e-3, rtol=1e-3) for n in want):
                return True, ""
    if disconnected:
        return (
            False,
            "the loss is cut off from the graph: detached or made a number on the way",
        )
    first = runs[0][0]["gradients"]
    if isinstance(first, dict) and "error" in first:
        as_array(first, "the gradients of negative_elbo")  # raises with the probe's error
    return False, "the gradients should be those of mean(nll + beta * kl) over the batch"


@elbo_checks.check(ev.guard("scalar", "a scalar tensor (0-dimensional)"))
def elbo_scalar(inputs: dict, out: dict) -> tuple[bool, str]:
    """The loss comes back with no dimensions left, as written or with the stand-ins."""
    values = [out["as_written"]["beta1"], out["standins"]["beta1"]]
    shapes = [v.shape if isinstance(v, np.ndarray) else () for v in values if not ev.raised(v)]
    if not shapes:
        raise MalformedOutput(f"negative_elbo raised {ev.raised(values[0])}")
    return () in shapes, (
        f"negative_elbo returned shape {shapes[0]}: the loss of a batch is one number, a "
        "0-dimensional tensor with no dimensions left (the optimiser and the plots expect it)"
    )


# ------------------------------------------------------------------ the questions

#: The clauses of each graded prompt; every one is the clause of some check (tests/grading).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q2": (
        "KL(N(mu, exp(logvar)) || N(0, I)) summed over the latent dimensions, (B,)",
        "gradients flow to both arguments",
    ),
    "q5": (
        "average of log q(z_s) - log p(z_s) over samples z_s drawn from q",
        "a Monte Carlo estimate, not the closed form: n_samples independent samples per row, "
        "averaged (gaussian_kl not called)",
        "the result is random: two calls differ",
    ),
    "q6": (
        "z = mu + sigma * eps with sigma = exp(logvar / 2), eps ~ N(0, I) per element",
        "fresh noise at every call, no reseeding",
        "gradients flow to both mu and logvar",
    ),
    "q8": (
        "-log p(x | z) per example, summed over pixels, shape (B,)",
        "x of shape (B, D) or image-shaped, reshaped to x_hat's shape",
        "differentiable with respect to x_hat",
    ),
    "q8b": (
        "no one-call library loss: the stable formulation is the student's",
        "exact for moderate logits, targets 0, 1 and grey, summed over pixels",
        "exact for logits in [-50, 50], where the sigmoid rounds to 0 or 1",
        "exact for logits up to +-1000",
        "x of shape (B, D) or image-shaped",
        "differentiable with the true gradient sigmoid(l) - x, finite for every logit",
    ),
    "q9": (
        "the batch mean of bernoulli_nll + beta * gaussian_kl",
        "beta weighs the KL term",
        "gradients flow to x_hat, mu and logvar",
        "a scalar tensor (0-dimensional)",
    ),
}

QUESTIONS = [
    choice_question(
        "q1",
        "q1_answer",
        "c",
        "with the decoder fixed log p(x) is the same for both encoders, so the ELBO difference "
        "is the difference of the gaps KL(q || p(z|x))",
    ),
    kl_checks.question("q2", kl_inputs, kl_probe),
    number_question(
        "q3",
        "q3_answer",
        0.5 * (0.01 - 1 - math.log(0.01)),
        0.01,
        "use sigma^2 = 0.01, so log sigma^2 = log 0.01",
    ),
    mc_checks.question("q5", mc_inputs, mc_probe),
    reparam_checks.question("q6", reparam_inputs, reparam_probe),
    choice_question(
        "q7",
        "q7_answer",
        "d",
        "exp(logvar) is sigma^2; used as a standard deviation it gives variance sigma^4",
    ),
    nll_checks.question("q8", nll_inputs, nll_probe),
    logits_checks.question("q8b", logits_inputs, logits_probe),
    elbo_checks.question("q9", elbo_inputs, elbo_probe),
    choice_question(
        "q10",
        "q10_answer",
        "d",
        "the terms in sigma are what keep the noise from shrinking; without them the "
        "reconstruction term makes the codes deterministic points",
    ),
]
