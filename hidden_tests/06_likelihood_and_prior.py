"""Hidden tests of 06_likelihood_and_prior: probes in the student's kernel, verdicts in the grader.

Inputs are drawn fresh for every grading; every reference is computed here, in float64, from the
exact float32 values the kernel received. mc_kl (q9) receives its prior as an argument, and the
probe hands it a stand-in drawn here (a random quadratic, the answer to no question), so a mistake
in mog_log_density (q8) cannot reach q9. learned_variance_nll (q4) may call gaussian_nll (q2): its
probe runs it a second time with a stand-in gaussian_nll swapped in (a * (x - mu)^2 / sigma^2 +
b * log sigma + c per pixel, coefficients drawn here), and each check passes if either run does.
"""

from __future__ import annotations

import math

import numpy as np

from vae_grading.evidence import (
    MalformedOutput,
    Verdicts,
    as_array,
    choice_question,
    close,
    first_passing,
    goal,
    guard,
    number_question,
    part,
)

HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def report(value: object, what: str) -> dict:
    """A probe part's dict, or MalformedOutput when it raised or is not a dict."""
    if isinstance(value, dict) and type(value.get("error")) is str:
        raise MalformedOutput(f"{what} raised {value['error'][:200]}")
    if not isinstance(value, dict):
        raise MalformedOutput(f"{what} could not be called")
    return value


def finite(a: np.ndarray) -> bool:
    """No NaN or infinity anywhere."""
    return bool(np.all(np.isfinite(a)))


# ------------------------------------------------------------------ q2: gaussian_nll


def gauss_ref(x: np.ndarray, mu: np.ndarray, sigma: np.ndarray | float) -> np.ndarray:
    """Per-image Gaussian NLL in nats, constant included."""
    s = np.asarray(sigma, dtype=np.float64)
    per_pixel = (x - mu) ** 2 / (2 * s**2) + np.log(s) + HALF_LOG_2PI
    return np.broadcast_to(per_pixel, x.shape).sum(axis=1)


def gauss_inputs(rng: np.random.Generator) -> dict:
    """Images and means in [0, 1], one scalar sigma, one sigma per pixel and one per image."""
    b, d = int(rng.integers(4, 9)), int(rng.integers(20, 50))
    return {
        "x": rng.uniform(0, 1, (b, d)).astype(np.float32),
        "mu": rng.uniform(0, 1, (b, d)).astype(np.float32),
        "sigma": float(np.float32(rng.uniform(0.05, 2.0))),
        "sigma_vec": rng.uniform(0.1, 1.5, d).astype(np.float32),
        "sigma_image": rng.uniform(0.1, 1.5, (b, 1)).astype(np.float32),
    }


def gauss_probe(ns: dict, inputs: dict) -> dict:
    """gaussian_nll with a scalar sigma, a per-pixel sigma and a per-image sigma."""
    attempt = ns["_vae_grading_attempt"]
    f = ns["gaussian_nll"]
    x, mu = inputs["x"], inputs["mu"]
    return {
        "scalar": attempt(lambda: f(x.clone(), mu.clone(), inputs["sigma"])),
        "per_pixel": attempt(lambda: f(x.clone(), mu.clone(), inputs["sigma_vec"].clone())),
        "per_image": attempt(lambda: f(x.clone(), mu.clone(), inputs["sigma_image"].clone())),
    }


gauss_checks = Verdicts()


def _gauss_judge(inputs: dict, out: dict, run: str, sigma: object) -> tuple[bool, str]:
    """Per-image sums with the constant for one run of gaussian_nll and its sigma."""
    x, mu = inputs["x"].astype(np.float64), inputs["mu"].astype(np.float64)
    d = x.shape[1]
    got = as_array(out[run], "gaussian_nll(x, mu, sigma)")
    expected = gauss_ref(x, mu, np.asarray(sigma, dtype=np.float64))
    if close(got, expected, atol=1e-3, rtol=1e-4):
        return True, ""
    if got.shape == expected.shape and close(got, expected - d * HALF_LOG_2PI, atol=1e-2):
        return (
            False,
            "off by ½ log 2π per pixel: the Gaussian's normalising constant is missing",
        )
    if got.shape == expected.shape and close(got * d, expected, atol=1e-2, rtol=1e-4):
        return False, "the pixels are averaged: sum the negative log-likelihood over the pixels"
    return False, "wrong per-image values: check the 1/(2σ²) factor and the log σ term"


@gauss_checks.check(
    goal(
        "values",
        "-log p(x_b) in nats, summed over the D pixels, log σ and ½ log 2π included (σ a Python "
        "float)",
    )
)
def gauss_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """Per-image values with a scalar sigma."""
    return _gauss_judge(inputs, out, "scalar", inputs["sigma"])


@gauss_checks.check(
    part(
        "per_pixel_sigma",
        "sigma may be a tensor that broadcasts against x, for example one σ per pixel, shape (D,)",
    )
)
def gauss_per_pixel_sigma(inputs: dict, out: dict) -> tuple[bool, str]:
    """Per-image values with one sigma per pixel."""
    return _gauss_judge(inputs, out, "per_pixel", inputs["sigma_vec"])


@gauss_checks.check(guard("shape", "returns a tensor of shape (B,)"))
def gauss_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """One value per image."""
    b = inputs["x"].shape[0]
    got = as_array(out["scalar"], "gaussian_nll(x, mu, sigma)")
    return got.shape == (b,), f"expected one value per image, shape ({b},), got {got.shape}"


@gauss_checks.check(
    part(
        "broadcast_sigma",
        "any sigma tensor that broadcasts against x, for example one σ per image, shape (B, 1)",
    )
)
def gauss_broadcast_sigma(inputs: dict, out: dict) -> tuple[bool, str]:
    """Per-image values with one sigma per image, shape (B, 1)."""
    b = inputs["x"].shape[0]
    passed, message = _gauss_judge(inputs, out, "per_image", inputs["sigma_image"])
    if passed:
        return True, ""
    return False, (
        f"with one σ per image (sigma of shape ({b}, 1)): {message}; a sigma tensor is not "
        "always one value per pixel, let it broadcast against x"
    )


# ------------------------------------------------------------------ q4: learned_variance_nll


def floored_ref(
    x: np.ndarray, mu: np.ndarray, log_sigma: np.ndarray, sigma_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values (B,), gradient w.r.t. mu (B, D) and w.r.t. log_sigma (its shape), in float64."""
    x, mu, ls = (np.asarray(a, dtype=np.float64) for a in (x, mu, log_sigma))
    floor = math.log(sigma_min)
    log_s = np.maximum(ls, floor)
    r = x - mu
    scaled2 = r**2 * np.exp(-2 * log_s)
    values = np.broadcast_to(0.5 * scaled2 + log_s + HALF_LOG_2PI, x.shape).sum(axis=1)
    grad_mu = -r * np.exp(-2 * log_s)
    grad_full = np.broadcast_to(np.where(ls > floor, 1.0 - scaled2, 0.0), x.shape)
    return values, np.asarray(grad_mu), reduce_to(grad_full, ls.shape)


def reduce_to(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient of the broadcast shape back to an argument of `shape`."""
    extra = grad.ndim - len(shape)
    out = grad.sum(axis=tuple(range(extra))) if extra else grad
    for axis, size in enumerate(shape):
        if size == 1 and out.shape[axis] != 1:
            out = out.sum(axis=axis, keepdims=True)
    return np.asarray(out)


def lv_inputs(rng: np.random.Generator) -> dict:
    """Four cases: above the floor, below it, extreme log_sigma, and a single log_sigma."""
    b, d = int(rng.integers(4, 8)), int(rng.integers(20, 40))
    sigma_min = float(np.float32(10 ** rng.uniform(-3, -1.5)))
    floor = math.log(sigma_min)

    def images() -> tuple[np.ndarray, np.ndarray]:
        x = (rng.uniform(0, 1, (b, d)) < 0.4).astype(np.float64)  # pixels at exactly 0 and 1
        grey = rng.uniform(0, 1, (b, d)) < 0.3
        x[grey] = rng.uniform(0, 1, int(grey.sum()))
        mu = x + rng.normal(0, 0.3, (b, d))
        exact = rng.uniform(0, 1, (b, d)) < 0.3
        mu[exact] = x[exact]  # predicted exactly
        return x.astype(np.float32), mu.astype(np.float32)

    x1, mu1 = images()
    x2, mu2 = images()
    x3, mu3 = images()
    x4, mu4 = images()
    far = rng.uniform(0, 1, (b, d)) < 0.2
    mu3[far] = x3[far] + rng.choice([-1, 1], int(far.sum())) * rng.uniform(2, 10, int(far.sum()))
    extremes = np.array([-1000.0, -200.0, -40.0, 40.0, 60.0, 80.0])
    ls3 = rng.uniform(floor + 0.5, 2.0, (b, d))
    pick = rng.uniform(0, 1, (b, d)) < 0.5
    ls3[pick] = rng.choice(extremes, int(pick.sum()))
    ls3[0, :6] = extremes  # every extreme appears at least once
    cases: dict = {
        "sigma_min": sigma_min,
        "above": {
            "x": x1,
            "mu": mu1,
            "ls": rng.uniform(floor + 0.5, 1.5, (b, d)).astype(np.float32),
        },
        "below": {
            "x": x2,
            "mu": mu2,
            "ls": rng.uniform(floor - 20, floor - 0.5, d).astype(np.float32),
        },
        "extreme": {"x": x3, "mu": mu3, "ls": ls3.astype(np.float32)},
        "single": {
            "x": x4,
            "mu": mu4,
            "ls": np.array(rng.uniform(floor + 0.5, 1.0), dtype=np.float32),
        },
    }
    # a stand-in gaussian_nll: a * (x - mu)^2 / sigma^2 + b * log sigma + c per pixel, summed
    cases["standin"] = {
        "a": float(rng.uniform(0.3, 2.0)),
        "b": float(rng.uniform(0.5, 2.0)),
        "c": float(rng.uniform(-1.0, 1.0)),
    }
    # the default sigma_min: log sigma from 1e-4 to 1, so that a floor of 1e-3 or 0.1 differs
    x5, mu5 = images()
    cases["default"] = {
        "x": x5,
        "mu": mu5,
        "ls": rng.uniform(math.log(1e-4), 0.0, (b, d)).astype(np.float32),
    }
    return cases


def standin_parts(inputs: dict, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What learned_variance_nll must give when it calls the stand-in gaussian_nll with the
    floored sigma: values (B,), gradient w.r.t. mu and w.r.t. log_sigma (its shape)."""
    case, k = inputs[name], inputs["standin"]
    x, mu, ls = (np.asarray(case[key], dtype=np.float64) for key in ("x", "mu", "ls"))
    floor = math.log(inputs["sigma_min"])
    log_s = np.broadcast_to(np.maximum(ls, floor), x.shape)
    r2 = (x - mu) ** 2 * np.exp(-2 * log_s)
    values = (k["a"] * r2 + k["b"] * log_s + k["c"]).sum(axis=1)
    grad_mu = -2 * k["a"] * (x - mu) * np.exp(-2 * log_s)
    above = np.broadcast_to(ls, x.shape) > floor
    grad_full = np.where(above, -2 * k["a"] * r2 + k["b"], 0.0)
    return values, grad_mu, reduce_to(grad_full, ls.shape)


def lv_probe(ns: dict, inputs: dict) -> dict:
    """Values and gradients of learned_variance_nll on each case; whether it changed its inputs.
    Then the same with a stand-in swapped in for gaussian_nll (q2), in case learned_variance_nll
    calls it: a q2 mistake must not cost q4."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    f = ns["learned_variance_nll"]
    own = ns.get("gaussian_nll")

    def run(case: dict) -> dict:
        x = case["x"].clone()
        mu = case["mu"].clone().requires_grad_(True)
        ls = case["ls"].clone().requires_grad_(True)
        value = f(x, mu, ls, inputs["sigma_min"])
        result = {"value": value.detach() if isinstance(value, torch.Tensor) else value}
        if isinstance(value, torch.Tensor) and value.requires_grad:
            value.sum().backward()
            result["grad_mu"] = mu.grad if mu.grad is not None else torch.zeros_like(mu)
            result["grad_ls"] = ls.grad if ls.grad is not None else torch.zeros_like(ls)
        result["untouched"] = bool(
            torch.equal(x, case["x"])
            and torch.equal(mu.detach(), case["mu"])
            and torch.equal(ls.detach(), case["ls"])
        )
        return result

    def gaussian_nll(x, mu, sigma):
        """The stand-in: a * (x - mu)^2 / sigma^2 + b * log(sigma) + c per pixel, summed."""
        k = inputs["standin"]
        sigma = torch.as_tensor(sigma, dtype=x.dtype)
        per_pixel = k["a"] * ((x - mu) / sigma) ** 2 + k["b"] * torch.log(sigma) + k["c"]
        return per_pixel.expand_as(x).sum(dim=1)

    def default() -> dict:
        case = inputs["default"]
        args = (case["x"], case["mu"], case["ls"])
        omitted = f(*(a.clone() for a in args))
        given = f(*(a.clone() for a in args), 0.01)
        return {
            "omitted": omitted.detach() if isinstance(omitted, torch.Tensor) else omitted,
            "given": given.detach() if isinstance(given, torch.Tensor) else given,
        }

    names = ("above", "below", "extreme", "single")
    out = {name: attempt(lambda c=inputs[name]: run(c)) for name in names}
    out["default"] = attempt(default)
    if callable(own):
        ns["gaussian_nll"] = gaussian_nll
        try:
            out["standin"] = {name: attempt(lambda c=inputs[name]: run(c)) for name in names}
        finally:
            ns["gaussian_nll"] = own
    return out


lv_checks = Verdicts()

LV_WHAT = "learned_variance_nll(x, mu, log_sigma, sigma_min)"
#: Each check passes as written or with the stand-in gaussian_nll swapped in.
LV_RUNS = ("reference", "standin")


def _lv_expected(inputs: dict, name: str, run: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values, gradient w.r.t. mu and w.r.t. log_sigma that case `name` must give in `run`."""
    if run == "reference":
        case = inputs[name]
        return floored_ref(case["x"], case["mu"], case["ls"], inputs["sigma_min"])
    return standin_parts(inputs, name)


def _lv_answer(out: dict, name: str, run: str = "reference") -> dict:
    """What the probe reported for case `name` in `run`."""
    if run == "reference":
        return report(out[name], LV_WHAT)
    if not isinstance(out.get("standin"), dict):
        raise MalformedOutput("learned_variance_nll was not run with the stand-in")
    return report(out["standin"][name], LV_WHAT)


def _lv_value(inputs: dict, out: dict, name: str, run: str) -> np.ndarray:
    """The per-image values of case `name` in `run`, shape (B,)."""
    got = as_array(_lv_answer(out, name, run)["value"], LV_WHAT)
    b = inputs[name]["x"].shape[0]
    if got.shape != (b,):
        raise MalformedOutput(f"{LV_WHAT} must return one value per image, shape ({b},)")
    return got


@lv_checks.check(
    goal(
        "values",
        "per-image NLL in nats, summed over the pixels, constant included, with σ_eff = max(e^s, "
        "σ_min) in every pixel; log_sigma a single value, shape (D,) or (B, D)",
    )
)
def lv_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """Floored values above the floor, below it and with a single log_sigma."""

    def decide(run: str) -> tuple[bool, str]:
        for name, trouble in (
            ("above", "with every σ above the floor: check the constant, 1/(2σ²) and log σ"),
            ("below", "with σ below sigma_min in every pixel: σ must become sigma_min"),
            ("single", "with a single log_sigma for all pixels"),
        ):
            expected = _lv_expected(inputs, name, run)[0]
            if not close(_lv_value(inputs, out, name, run), expected, atol=1e-3, rtol=1e-5):
                return False, f"wrong per-image values {trouble}"
        return True, ""

    return first_passing(LV_RUNS, decide)


@lv_checks.check(
    goal(
        "finite",
        "values finite and correct for every log_sigma in [-1000, 80] and |x - μ| ≤ 10, x == mu "
        "included; gradients finite there",
    )
)
def lv_finite(inputs: dict, out: dict) -> tuple[bool, str]:
    """Finite values and gradients, and correct values, at extreme log_sigma."""

    def decide(run: str) -> tuple[bool, str]:
        result = _lv_answer(out, "extreme", run)
        if not finite(_lv_value(inputs, out, "extreme", run)):
            return False, (
                "a value is NaN or infinite for log_sigma between -1000 and 80: something "
                "overflows or underflows (exp of a large number, a log of 0, 0 · inf)"
            )
        for key in ("grad_mu", "grad_ls"):
            if key not in result:
                return False, "the result is not differentiable in mu and log_sigma"
            if not finite(as_array(result[key], "a gradient")):
                return False, (
                    "a gradient is NaN or infinite at an extreme log_sigma: a branch that is "
                    "not selected by an element-wise choice still sends inf · 0 = NaN back "
                    "through autograd"
                )
        expected = _lv_expected(inputs, "extreme", run)[0]
        ok = close(_lv_value(inputs, out, "extreme", run), expected, atol=1e-3, rtol=1e-5)
        return ok, "finite but wrong for extreme log_sigma values (between -1000 and 80)"

    return first_passing(LV_RUNS, decide)


@lv_checks.check(
    part(
        "gradients",
        "differentiable: gradients w.r.t. mu and log_sigma correct where σ ≠ σ_min, zero for "
        "log_sigma below the floor",
    )
)
def lv_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Gradients w.r.t. mu and log_sigma above, below and at extreme log_sigma."""

    def decide(run: str) -> tuple[bool, str]:
        for name in ("above", "below", "extreme"):
            result = _lv_answer(out, name, run)
            if "grad_mu" not in result:
                return False, "the result carries no gradient to mu and log_sigma"
            _, g_mu, g_ls = _lv_expected(inputs, name, run)
            got_mu = as_array(result["grad_mu"], "the gradient w.r.t. mu")
            got_ls = as_array(result["grad_ls"], "the gradient w.r.t. log_sigma")
            if not close(got_mu, g_mu, atol=1e-3, rtol=1e-4):
                return False, f"wrong gradient with respect to mu ({name} the floor)"
            if not close(got_ls, g_ls, atol=1e-3, rtol=1e-4):
                if name == "below":
                    return False, "below the floor, log_sigma must receive no gradient"
                return False, "wrong gradient with respect to log_sigma"
        return True, ""

    return first_passing(LV_RUNS, decide)


@lv_checks.check(guard("shape", "returns a tensor of shape (B,)"))
def lv_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """One value per image."""
    got = as_array(_lv_answer(out, "above")["value"], LV_WHAT)
    b = inputs["above"]["x"].shape[0]
    return got.shape == (b,), f"expected one value per image, shape ({b},), got {got.shape}"


@lv_checks.check(guard("inputs", "do not change the inputs"))
def lv_inputs_untouched(inputs: dict, out: dict) -> tuple[bool, str]:
    """x, mu and log_sigma left as they were, in every case."""
    names = ("above", "below", "extreme", "single")
    ok = all(_lv_answer(out, n).get("untouched") is True for n in names)
    return ok, "learned_variance_nll changed x, mu or log_sigma in place"


@lv_checks.check(guard("default", "sigma_min defaults to 0.01 (the signature)"))
def lv_default(inputs: dict, out: dict) -> tuple[bool, str]:
    """Without sigma_min, the same values as with sigma_min = 0.01."""
    result = report(out["default"], LV_WHAT)
    omitted = as_array(result["omitted"], "learned_variance_nll(x, mu, log_sigma)")
    given = as_array(result["given"], "learned_variance_nll(x, mu, log_sigma, 0.01)")
    return close(omitted, given, atol=1e-6, rtol=1e-6), (
        "called without sigma_min, the result differs from sigma_min = 0.01: the signature "
        "says the floor defaults to 0.01"
    )


# ------------------------------------------------------------------ q6: cb_log_normalizer


def cb_ref(eta: np.ndarray) -> np.ndarray:
    """log C(eta) = log(eta / tanh(eta / 2)) in float64, by its series near 0."""
    a = np.abs(np.asarray(eta, dtype=np.float64))
    small = a < 1e-3
    safe = np.where(small, 1.0, a)
    exact = np.log(safe) - np.log(np.tanh(safe / 2))
    series = math.log(2.0) + a**2 / 12 - 7 * a**4 / 1440
    return np.where(small, series, exact)


def cb_grad_ref(eta: np.ndarray) -> np.ndarray:
    """d log C / d eta = 1/eta - 1/sinh(eta), by its series near 0."""
    e = np.asarray(eta, dtype=np.float64)
    small = np.abs(e) < 1e-3
    safe = np.where(small, 1.0, e)
    exact = 1.0 / safe - 1.0 / np.sinh(safe)
    return np.where(small, e / 6 - 7 * e**3 / 360, exact)


def cb_inputs(rng: np.random.Generator) -> dict:
    """Logits at 0, tiny, small, moderate and saturated (both signs), shuffled, shape (2, n)."""
    tiny = 10 ** rng.uniform(-30, -4, 8)
    small = 10 ** rng.uniform(-4, -0.5, 8)
    moderate = rng.uniform(0.3, 25, 12)
    saturated = rng.uniform(30, 300, 8)
    values = np.concatenate([[0.0, 0.0], tiny, small, moderate, saturated])
    signs = rng.choice([-1.0, 1.0], len(values))
    eta = (values * signs).astype(np.float32)
    rng.shuffle(eta)
    eta = eta.reshape(2, -1)
    return {"eta": eta, "eta64": eta.astype(np.float64)}  # the same logits in float64


def cb_probe(ns: dict, inputs: dict) -> dict:
    """cb_log_normalizer's values and gradients (of the sum) on the grid; input untouched? And
    its values on the same logits in float64."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    f = ns["cb_log_normalizer"]

    def run() -> dict:
        eta = inputs["eta"].clone().requires_grad_(True)
        value = f(eta)
        result = {"value": value.detach() if isinstance(value, torch.Tensor) else value}
        if isinstance(value, torch.Tensor) and value.requires_grad:
            value.sum().backward()
            result["grad"] = eta.grad if eta.grad is not None else torch.zeros_like(eta)
        result["untouched"] = bool(torch.equal(eta.detach(), inputs["eta"]))
        return result

    def float64():
        value = f(inputs["eta64"].clone())
        return value.detach() if isinstance(value, torch.Tensor) else value

    return {"run": attempt(run), "float64": attempt(float64)}


cb_checks = Verdicts()

CB_WHAT = "cb_log_normalizer(logits)"


def _cb_accurate_on(inputs: dict, got: np.ndarray) -> tuple[bool, str]:
    """log C to 1e-5 (absolute or relative) near 0, for moderate and for saturated logits."""
    eta = inputs["eta"].astype(np.float64)
    a = np.abs(eta)
    regions = (
        (a < 1e-4, "at or very near logit 0 (λ = ½), where the formula is 0/0"),
        ((a >= 1e-4) & (a < 30), "for moderate logits"),
        (a >= 30, "for saturated logits (|logit| > 30), where λ rounds to 0 or 1"),
    )
    expected = cb_ref(eta)
    good = np.abs(got - expected) <= 1e-5 * np.maximum(1.0, np.abs(expected))
    for mask, where in regions:
        if not np.all(good[mask]):
            return False, f"log C is NaN, infinite or inaccurate {where}"
    return True, ""


@cb_checks.check(
    goal(
        "accurate",
        "log C(η) to about 1e-5 (absolute or relative) for every logit: η = 0, |η| < 1e-4 and "
        "saturated |η| > 30 up to a few hundred; no NaN or infinity",
    )
)
def cb_accurate(inputs: dict, out: dict) -> tuple[bool, str]:
    """Accuracy everywhere on float32 logits."""
    shape = inputs["eta"].shape
    return _cb_accurate_on(inputs, as_array(report(out["run"], CB_WHAT)["value"], CB_WHAT, shape))


@cb_checks.check(
    part(
        "gradients",
        "finite, correct gradients with respect to the logits everywhere, including at η = 0",
    )
)
def cb_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Finite gradients, close to 1/η - 1/sinh(η)."""
    eta = inputs["eta"].astype(np.float64)
    a = np.abs(eta)
    result = report(out["run"], CB_WHAT)
    if "grad" not in result:
        return False, "the result is not differentiable with respect to the logits"
    got = as_array(result["grad"], "the gradient", eta.shape)
    if not finite(got):
        return False, (
            "a gradient is NaN or infinite: a branch that an element-wise choice does not "
            "pick still sends its inf or NaN derivative back through autograd"
        )
    expected = cb_grad_ref(eta)
    near = a < 0.3
    ok_near = np.all(np.abs(got[near] - expected[near]) <= 2e-3)
    ok_far = np.all(np.abs(got[~near] - expected[~near]) <= 1e-4 + 1e-3 * np.abs(expected[~near]))
    return bool(ok_near and ok_far), "wrong gradient with respect to the logits"


@cb_checks.check(
    guard("shape", "returns a tensor of the same shape as logits, whatever that shape")
)
def cb_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """The input's shape."""
    eta = inputs["eta"]
    got = as_array(report(out["run"], CB_WHAT)["value"], CB_WHAT)
    return got.shape == eta.shape, f"expected the input's shape {eta.shape}, got {got.shape}"


@cb_checks.check(guard("input", "the input left unchanged"))
def cb_input_untouched(inputs: dict, out: dict) -> tuple[bool, str]:
    """The logits left as they were."""
    return report(out["run"], CB_WHAT).get("untouched") is True, "the logits were changed in place"


@cb_checks.check(part("float64", "logits may be float32 or float64"))
def cb_float64(inputs: dict, out: dict) -> tuple[bool, str]:
    """Accuracy everywhere on the same logits in float64."""
    what = "cb_log_normalizer(logits) on float64 logits"
    passed, message = _cb_accurate_on(inputs, as_array(out["float64"], what, inputs["eta"].shape))
    return passed, f"with float64 logits: {message}"


# ------------------------------------------------------------------ q8: mog_log_density


def mog_parts(z: np.ndarray, means: np.ndarray, log_vars: np.ndarray, logits: np.ndarray):
    """Per-component log terms (B, K), log p (B,), responsibilities (B, K), weights (K,)."""
    z, m, lv, a = (np.asarray(t, dtype=np.float64) for t in (z, means, log_vars, logits))
    log_pi = a - a.max() - np.log(np.exp(a - a.max()).sum())
    diff = z[:, None, :] - m[None]
    log_n = -0.5 * (diff**2 * np.exp(-lv) + lv + math.log(2 * math.pi)).sum(axis=2)
    terms = log_pi + log_n
    top = terms.max(axis=1, keepdims=True)
    log_p = (top + np.log(np.exp(terms - top).sum(axis=1, keepdims=True)))[:, 0]
    resp = np.exp(terms - log_p[:, None])
    return terms, log_p, resp, np.exp(log_pi)


def mog_grads(z, means, log_vars, logits):
    """Gradients of sum_b log p(z_b) w.r.t. means, log_vars and logits."""
    _, _, resp, pi = mog_parts(z, means, log_vars, logits)
    z, m, lv = (np.asarray(t, dtype=np.float64) for t in (z, means, log_vars))
    diff = z[:, None, :] - m[None]
    g_m = (resp[:, :, None] * diff * np.exp(-lv)).sum(axis=0)
    g_lv = (resp[:, :, None] * 0.5 * (diff**2 * np.exp(-lv) - 1.0)).sum(axis=0)
    g_a = (resp - pi).sum(axis=0)
    return g_m, g_lv, g_a


#: The near codes must sit where at least two components matter: somewhere log p(z) exceeds its
#: largest term by this much, so that keeping one component (a max for the log-sum-exp) shows.
MOG_MIN_OVERLAP = 0.05


def mog_inputs(rng: np.random.Generator) -> dict:
    """A random mixture, codes near it, codes far from every component, a logit shift.

    The mixture and the near codes are drawn again until the components overlap at some code
    (MOG_MIN_OVERLAP); otherwise the largest term alone matches log p(z) to within the tolerance.
    """
    b, k, d = int(rng.integers(5, 10)), int(rng.integers(2, 6)), int(rng.integers(2, 7))
    direction = rng.normal(0, 1, (b, d))
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    for _ in range(1000):
        z = rng.normal(0, 1.5, (b, d)).astype(np.float32)
        means = rng.normal(0, 1.5, (k, d)).astype(np.float32)
        log_vars = rng.uniform(-1.5, 1.0, (k, d)).astype(np.float32)
        logits = rng.normal(0, 1.5, k).astype(np.float32)
        terms, log_p, _, _ = mog_parts(z, means, log_vars, logits)
        if np.max(log_p - terms.max(axis=1)) >= MOG_MIN_OVERLAP:
            break
    return {
        "z": z,
        "z_far": (direction * rng.uniform(40, 60, (b, 1))).astype(np.float32),
        "means": means,
        "log_vars": log_vars,
        "logits": logits,
        "shift": float(rng.uniform(3, 10)),
    }


def mog_probe(ns: dict, inputs: dict) -> dict:
    """mog_log_density near and far, its gradients, and with every logit shifted."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    f = ns["mog_log_density"]

    def near() -> dict:
        m = inputs["means"].clone().requires_grad_(True)
        lv = inputs["log_vars"].clone().requires_grad_(True)
        a = inputs["logits"].clone().requires_grad_(True)
        value = f(inputs["z"].clone(), m, lv, a)
        result = {"value": value.detach() if isinstance(value, torch.Tensor) else value}
        if isinstance(value, torch.Tensor) and value.requires_grad:
            value.sum().backward()
            result["grads"] = [
                t.grad if t.grad is not None else torch.zeros_like(t) for t in (m, lv, a)
            ]
        return result

    def far():
        return f(
            inputs["z_far"].clone(),
            inputs["means"].clone(),
            inputs["log_vars"].clone(),
            inputs["logits"].clone(),
        )

    def shifted():
        logits = inputs["logits"].clone() + inputs["shift"]
        return f(inputs["z"].clone(), inputs["means"].clone(), inputs["log_vars"].clone(), logits)

    return {"near": attempt(near), "far": attempt(far), "shifted": attempt(shifted)}


mog_checks = Verdicts()

MOG_WHAT = "mog_log_density(z, means, log_vars, logits)"


def _mog_params(inputs: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The mixture's means, log-variances and logits."""
    return inputs["means"], inputs["log_vars"], inputs["logits"]


@mog_checks.check(
    goal("values", "log p(z_b) in nats, weights the softmax of the logits, every constant included")
)
def mog_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """log p(z) at codes near the components."""
    params = _mog_params(inputs)
    b = inputs["z"].shape[0]
    got = as_array(report(out["near"], MOG_WHAT)["value"], MOG_WHAT, (b,))
    _, expected, _, _ = mog_parts(inputs["z"], *params)
    if close(got, expected, atol=1e-3, rtol=1e-5):
        return True, ""
    k = inputs["means"].shape[0]
    z = inputs["z"]
    _, equal, _, _ = mog_parts(z, params[0], params[1], np.zeros(k))
    if close(got, equal, atol=1e-3, rtol=1e-5):
        return False, "the mixing weights are ignored: weight each component by softmax(logits)"
    return (
        False,
        "wrong log-densities: check the weights (softmax of the logits), the variances "
        "e^ℓ and the constants",
    )


@mog_checks.check(
    goal("far", "accurate for codes far from every component (where the densities underflow)")
)
def mog_far(inputs: dict, out: dict) -> tuple[bool, str]:
    """log p(z) at codes far from every component."""
    b = inputs["z"].shape[0]
    got = as_array(out["far"], MOG_WHAT, (b,))
    _, expected, _, _ = mog_parts(inputs["z_far"], *_mog_params(inputs))
    if not finite(got):
        return (
            False,
            "codes far from every component give -inf or NaN: the densities underflow "
            "before the sum",
        )
    return close(
        got, expected, atol=1e-2, rtol=1e-5
    ), "inaccurate for codes far from every component"


@mog_checks.check(part("gradients", "differentiable with respect to means, log_vars and logits"))
def mog_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """Gradients of the summed log-densities w.r.t. means, log_vars and logits."""
    result = report(out["near"], MOG_WHAT)
    if "grads" not in result or not isinstance(result["grads"], list) or len(result["grads"]) != 3:
        return (
            False,
            "the result is not differentiable with respect to means, log_vars and logits",
        )
    expected = mog_grads(inputs["z"], *_mog_params(inputs))
    for got, ref, name in zip(
        result["grads"], expected, ("means", "log_vars", "logits"), strict=True
    ):
        if not close(as_array(got, f"the gradient w.r.t. {name}"), ref, atol=1e-3, rtol=1e-4):
            return False, f"wrong gradient with respect to {name}"
    return True, ""


@mog_checks.check(guard("shape", "returns a tensor of shape (B,)"))
def mog_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """One value per code."""
    b = inputs["z"].shape[0]
    got = as_array(report(out["near"], MOG_WHAT)["value"], MOG_WHAT)
    return got.shape == (b,), f"expected one value per code, shape ({b},), got {got.shape}"


@mog_checks.check(guard("shift", "logits unnormalised: the weights are their softmax"))
def mog_shift(inputs: dict, out: dict) -> tuple[bool, str]:
    """The same log-densities with every logit shifted by one number."""
    b = inputs["z"].shape[0]
    got = as_array(out["shifted"], MOG_WHAT, (b,))
    _, expected, _, _ = mog_parts(inputs["z"], *_mog_params(inputs))
    return close(got, expected, atol=1e-3, rtol=1e-5), (
        "adding the same number to every logit changed the result: normalise the weights"
    )


# ------------------------------------------------------------------ q9: mc_kl


def mckl_inputs(rng: np.random.Generator) -> dict:
    """A posterior, a sample of it, and the coefficients of a stand-in log prior."""
    b, d = int(rng.integers(4, 9)), int(rng.integers(2, 8))
    mu = rng.normal(0, 1, (b, d))
    logvar = rng.uniform(-2, 1, (b, d))
    z = mu + np.exp(0.5 * logvar) * rng.normal(0, 1, (b, d))
    return {
        "z": z.astype(np.float32),
        "mu": mu.astype(np.float32),
        "logvar": logvar.astype(np.float32),
        "a": rng.uniform(0.3, 2.0, d).astype(np.float32),
        "c": rng.uniform(-0.5, 0.5, d).astype(np.float32),
        "offset": float(rng.uniform(-5, 5)),
    }


def standin_log_prior(inputs: dict, z: np.ndarray) -> np.ndarray:
    """The grader's twin of the probe's stand-in: a random quadratic (the answer to no question)."""
    a, c = inputs["a"].astype(np.float64), inputs["c"].astype(np.float64)
    return -0.5 * (a * (np.asarray(z, dtype=np.float64) - c) ** 2).sum(axis=1) + inputs["offset"]


def mckl_probe(ns: dict, inputs: dict) -> dict:
    """mc_kl with the stand-in prior; the codes the prior was called with."""
    attempt = ns["_vae_grading_attempt"]
    f = ns["mc_kl"]
    calls = []

    def log_prior(z):
        calls.append(z.detach().clone())
        return -0.5 * (inputs["a"] * (z - inputs["c"]) ** 2).sum(dim=1) + inputs["offset"]

    value = attempt(
        lambda: f(inputs["z"].clone(), inputs["mu"].clone(), inputs["logvar"].clone(), log_prior)
    )
    return {"value": value, "calls": calls[:4]}


mckl_checks = Verdicts()

MCKL_WHAT = "mc_kl(z, mu, logvar, log_prior)"


def _mckl_log_q(inputs: dict) -> np.ndarray:
    """log q(z|x) at the sample, per image, constants included."""
    z, mu, logvar = (inputs[k].astype(np.float64) for k in ("z", "mu", "logvar"))
    return (-0.5 * ((z - mu) ** 2 * np.exp(-logvar) + logvar) - HALF_LOG_2PI).sum(axis=1)


@mckl_checks.check(
    goal(
        "values",
        "the single-sample estimate log q(z|x) - log p(z) at the sample z, with the log_prior "
        "given, constants included",
    )
)
def mckl_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """log q(z|x) - log p(z) with the stand-in prior."""
    z, mu = inputs["z"].astype(np.float64), inputs["mu"].astype(np.float64)
    log_q = _mckl_log_q(inputs)
    got = as_array(out["value"], MCKL_WHAT, (z.shape[0],))
    if close(got, log_q - standin_log_prior(inputs, z), atol=1e-3, rtol=1e-5):
        return True, ""
    if close(got, standin_log_prior(inputs, z) - log_q, atol=1e-3, rtol=1e-5):
        return False, "the sign is flipped: the estimate is log q(z|x) minus log p(z)"
    if close(got, log_q - standin_log_prior(inputs, mu), atol=1e-3, rtol=1e-5):
        return False, "the prior is evaluated at the posterior mean, not at the sample z"
    return False, "wrong values: use the log_prior you are given, at z, and the full log q(z|x)"


@mckl_checks.check(guard("shape", "one value per image, shape (B,)"))
def mckl_shape(inputs: dict, out: dict) -> tuple[bool, str]:
    """One value per image."""
    b = inputs["z"].shape[0]
    got = as_array(out["value"], MCKL_WHAT)
    return got.shape == (b,), f"expected one value per image, shape ({b},), got {got.shape}"


BITS_PER_DIM = (-3600 + 784 * math.log(256)) / (784 * math.log(2))

QUESTIONS = [
    gauss_checks.question("q2", gauss_inputs, gauss_probe),
    choice_question(
        "q3",
        "q3_answer",
        "c",
        "beta = 2 sigma^2: a larger sigma weighs the KL more, so the code carries fewer nats and "
        "reconstructions and samples get smoother (decoded means are shown, not noisy draws)",
    ),
    lv_checks.question("q4", lv_inputs, lv_probe),
    number_question(
        "q5",
        "q5_answer",
        BITS_PER_DIM,
        0.01,
        "add D log 256 to the nats (the change of scale from [0, 1] to [0, 256]) and divide by "
        "D log 2",
    ),
    cb_checks.question("q6", cb_inputs, cb_probe),
    choice_question(
        "q7",
        "q7_answer",
        "a",
        "log C(lambda) grows as lambda leaves 1/2, so it rewards confident values: the best "
        "lambda for x = 0.3 lies below 0.3, and the continuous Bernoulli's mean is not lambda",
    ),
    mog_checks.question("q8", mog_inputs, mog_probe),
    mckl_checks.question("q9", mckl_inputs, mckl_probe),
]


# ------------------------------------------------------------------ clauses

#: Each code question's prompt (solutions/06_likelihood_and_prior.ipynb), clause by clause, in the
#: prompt's own terms; each clause is the `clause` of one of its checks (tests/grading/
#: test_clauses.py).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q2": (
        "-log p(x_b) in nats, summed over the D pixels, log σ and ½ log 2π included (σ a Python "
        "float)",
        "sigma may be a tensor that broadcasts against x, for example one σ per pixel, shape (D,)",
        "returns a tensor of shape (B,)",
        "any sigma tensor that broadcasts against x, for example one σ per image, shape (B, 1)",
    ),
    "q4": (
        "per-image NLL in nats, summed over the pixels, constant included, with σ_eff = max(e^s, "
        "σ_min) in every pixel; log_sigma a single value, shape (D,) or (B, D)",
        "values finite and correct for every log_sigma in [-1000, 80] and |x - μ| ≤ 10, x == mu "
        "included; gradients finite there",
        "differentiable: gradients w.r.t. mu and log_sigma correct where σ ≠ σ_min, zero for "
        "log_sigma below the floor",
        "returns a tensor of shape (B,)",
        "do not change the inputs",
        "sigma_min defaults to 0.01 (the signature)",
    ),
    "q6": (
        "log C(η) to about 1e-5 (absolute or relative) for every logit: η = 0, |η| < 1e-4 and "
        "saturated |η| > 30 up to a few hundred; no NaN or infinity",
        "finite, correct gradients with respect to the logits everywhere, including at η = 0",
        "returns a tensor of the same shape as logits, whatever that shape",
        "the input left unchanged",
        "logits may be float32 or float64",
    ),
    "q8": (
        "log p(z_b) in nats, weights the softmax of the logits, every constant included",
        "accurate for codes far from every component (where the densities underflow)",
        "differentiable with respect to means, log_vars and logits",
        "returns a tensor of shape (B,)",
        "logits unnormalised: the weights are their softmax",
    ),
    "q9": (
        "the single-sample estimate log q(z|x) - log p(z) at the sample z, with the log_prior "
        "given, constants included",
        "one value per image, shape (B,)",
    ),
}
