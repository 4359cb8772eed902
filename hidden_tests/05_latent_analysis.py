"""Hidden tests of 05_latent_analysis: probes run in the student's kernel, verdicts in the grader.

Inputs are drawn fresh for every grading. The stand-in models are built in the kernel from
weights drawn here, so every reference is computed in the grader. The graded functions take
tensors or a model, never one another's results. The one that may call another, free_bits_kl
(q8, which may use kl_per_dimension of q3), is also judged against the same formula applied to
the student's own kl_per_dimension, so a mistake in q3 costs q3 only.
Decoder probabilities stay in [0.05, 0.95], so that an epsilon up to 1e-6 inside a log, clamping,
BCE from torch or from logits, and torch.distributions change a log-likelihood over 784 pixels by
far less than the tolerances; float32 and float64 answers both pass.
"""

from __future__ import annotations

import math

import numpy as np

from vae_grading import evidence as ev
from vae_grading.evidence import (
    MalformedOutput,
    as_array,
    as_float,
    choice_question,
    close,
)
from vae_grading.references import ref_kl_entries, sigmoid

# ------------------------------------------------------------------ references (grader only)


def logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log sum exp along `axis`, shifted by the maximum."""
    top = a.max(axis=axis, keepdims=True)
    return (top + np.log(np.exp(a - top).sum(axis=axis, keepdims=True))).squeeze(axis)


def normal_quantiles(side: int) -> np.ndarray:
    """Phi^-1((k + 1/2) / side) for k = 0 .. side - 1, by bisection on erf (no scipy needed)."""
    p = (np.arange(side) + 0.5) / side
    lo, hi = np.full(side, -10.0), np.full(side, 10.0)
    cdf = np.vectorize(lambda v: 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))))
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        below = cdf(mid) < p
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 0.5 * (lo + hi)


def ref_kl_per_dim(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """The closed-form KL of each coordinate, averaged over the rows."""
    return ref_kl_entries(mu, logvar).mean(axis=0)


def unit_noise(rng: np.random.Generator, n: int, columns: int) -> np.ndarray:
    """Noise columns with mean exactly 0 and sample variance (ddof=1) exactly 1."""
    noise = rng.standard_normal((n, columns))
    noise -= noise.mean(axis=0)
    return noise / noise.std(axis=0, ddof=1)


def counts_of(mu: np.ndarray, threshold: float) -> set[int]:
    """Active units by either variance estimator (inputs keep them equal, this is a safeguard)."""
    return {int((mu.var(axis=0, ddof=ddof) > threshold).sum()) for ddof in (0, 1)}


# ------------------------------------------------------------------ q1: encode_means


def means_inputs(rng: np.random.Generator) -> dict:
    """A linear stand-in encoder, a set larger than the default batch, and a small odd set."""
    features, dims = int(rng.integers(5, 9)), int(rng.integers(2, 6))
    small = int(rng.integers(7, 16))
    batch = int(rng.integers(2, 6))
    while small % batch == 0:
        small += 1
    return {
        "w_mu": rng.standard_normal((dims, features)).astype(np.float32),
        "b_mu": rng.standard_normal(dims).astype(np.float32),
        "w_logvar": rng.standard_normal((dims, features)).astype(np.float32),
        "b_logvar": rng.standard_normal(dims).astype(np.float32),
        "x_big": rng.uniform(0, 1, (1000 + 2 * int(rng.integers(50, 200)) + 1, features)).astype(
            np.float32
        ),
        "x_small": rng.uniform(0, 1, (small, features)).astype(np.float32),
        "batch": batch,
    }


def means_probe(ns: dict, inputs: dict) -> dict:
    """encode_means with the default batch size and a small one; the batch sizes it encoded."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    encode_means = ns["encode_means"]

    class RecordingEncoder(torch.nn.Module):
        """A linear stand-in encoder that records the size of every batch it encodes."""

        def __init__(self):
            super().__init__()
            self.latent_dim = inputs["w_mu"].shape[0]
            self.w_mu = torch.nn.Parameter(inputs["w_mu"].clone())
            self.b_mu = torch.nn.Parameter(inputs["b_mu"].clone())
            self.w_logvar = torch.nn.Parameter(inputs["w_logvar"].clone())
            self.b_logvar = torch.nn.Parameter(inputs["b_logvar"].clone())
            self.sizes = []

        def encode(self, x):
            self.sizes.append(int(x.shape[0]))
            x = x.reshape(x.shape[0], -1).to(self.w_mu.dtype)
            return x @ self.w_mu.T + self.b_mu, x @ self.w_logvar.T + self.b_logvar

    def run(x, batch):
        model = RecordingEncoder()
        means = encode_means(model, x) if batch is None else encode_means(model, x, batch)
        report = {"means": means, "sizes": model.sizes}
        if isinstance(means, torch.Tensor):
            report["requires_grad"] = bool(means.requires_grad)
            report["device"] = str(means.device.type)
        return report

    return {
        "big": attempt(lambda: run(inputs["x_big"], None)),
        "small": attempt(lambda: run(inputs["x_small"], inputs["batch"])),
    }


means_checks = ev.Verdicts()


def _means_calls(inputs: dict) -> dict[str, tuple[np.ndarray, int]]:
    """The probe's two calls: their images and the batch size each was given (or defaults to)."""
    return {"big": (inputs["x_big"], 1000), "small": (inputs["x_small"], inputs["batch"])}


def _means_report(out: dict, name: str) -> dict:
    """The report of one encode_means call; MalformedOutput if it raised or never ran."""
    value = out[name]
    if ev.raised(value) is not None:
        raise MalformedOutput(f"encode_means raised {value['error'][:200]}")
    if not isinstance(value, dict):
        raise MalformedOutput("encode_means could not be called")
    return value


@means_checks.check(
    ev.goal(
        "values",
        "the means mu of model.encode, concatenated in the order of x, shape (N, d)",
    )
)
def means_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """The encoder's means in the order of x, every row kept, for both calls."""
    for name, (x, batch) in _means_calls(inputs).items():
        x = x.astype(np.float64)
        mu = x @ inputs["w_mu"].astype(np.float64).T + inputs["b_mu"]
        logvar = x @ inputs["w_logvar"].astype(np.float64).T + inputs["b_logvar"]
        got = as_array(
            _means_report(out, name)["means"], f"encode_means(model, x of {len(x)} images)"
        )
        where = f"for {len(x)} images and batch_size {batch}"
        if got.ndim == 2 and got.shape[0] < len(x) and got.shape[1] == mu.shape[1]:
            return False, (
                f"{where} expected {mu.shape[0]} rows, got {got.shape[0]}: include the last, "
                "shorter slice"
            )
        if got.shape != mu.shape:
            return False, f"{where} expected shape {mu.shape}, got {got.shape}"
        if close(got, logvar, atol=1e-4, rtol=1e-4):
            return False, "these are the log-variances: keep the first output of encode, mu"
        if not close(got, mu, atol=1e-4, rtol=1e-4):
            return False, (
                f"{where} the result differs from the encoder's means: return the means mu "
                "(not a sample, not logvar), in the order of x"
            )
    return True, ""


@means_checks.check(
    ev.part(
        "batches",
        "slices of at most batch_size, the last shorter one kept, on the model's device",
    )
)
def means_batches(inputs: dict, out: dict) -> tuple[bool, str]:
    """No batch the encoder saw is larger than batch_size."""
    for name, (_, batch) in _means_calls(inputs).items():
        sizes = _means_report(out, name)["sizes"]
        if type(sizes) is not list or not sizes or not all(type(s) is int for s in sizes):
            return False, "the encoder was never called"
        if max(sizes) > batch:
            return False, (
                f"with batch_size={batch}, the encoder saw batches of {max(sizes)} images: "
                "encode consecutive slices of at most batch_size images"
            )
    return True, ""


@means_checks.check(ev.guard("detached", "on the CPU, without gradients"))
def means_detached(inputs: dict, out: dict) -> tuple[bool, str]:
    """The means come back on the CPU, outside any graph."""
    for name in _means_calls(inputs):
        rep = _means_report(out, name)
        if rep.get("requires_grad") is not False:
            return False, "the means are attached to a graph: encoding them needs no gradients"
        if rep.get("device") != "cpu":
            return False, "return the means on the CPU (.cpu())"
    return True, ""


# ------------------------------------------------------------------ q2: latent_grid


def grid_inputs(rng: np.random.Generator) -> dict:
    """Two linear stand-in decoders: one for the default dims, one for other dims."""
    first_dim, second_dim = int(rng.integers(3, 6)), int(rng.integers(4, 7))
    first_side = int(rng.integers(3, 7))
    second_side = int(rng.choice([s for s in range(3, 7) if s != first_side]))
    dims: tuple[int, ...] = (0, 1)
    while dims in ((0, 1), (1, 0)):
        dims = tuple(int(d) for d in rng.permutation(second_dim)[:2])
    return {
        "first": {
            "w": (0.5 * rng.standard_normal((784, first_dim))).astype(np.float32),
            "b": (0.5 * rng.standard_normal(784)).astype(np.float32),
            "side": first_side,
        },
        "second": {
            "w": (0.5 * rng.standard_normal((784, second_dim))).astype(np.float32),
            "b": (0.5 * rng.standard_normal(784)).astype(np.float32),
            "side": second_side,
            "dims": list(dims),
        },
    }


def grid_probe(ns: dict, inputs: dict) -> dict:
    """latent_grid with the default dims and with other dims; the codes each model decoded."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    latent_grid = ns["latent_grid"]

    class RecordingDecoder(torch.nn.Module):
        """A linear stand-in decoder that records every code it decodes."""

        def __init__(self, w, b):
            super().__init__()
            self.latent_dim = w.shape[1]
            self.w = torch.nn.Parameter(w.clone())
            self.b = torch.nn.Parameter(b.clone())
            self.codes = []

        def decode(self, z):
            self.codes.append(z.detach().to("cpu", torch.float64).reshape(-1, self.latent_dim))
            return torch.sigmoid(z.to(self.w.dtype) @ self.w.T + self.b)

    def run(spec, with_dims):
        model = RecordingDecoder(spec["w"], spec["b"])
        if with_dims:
            images = latent_grid(model, spec["side"], dims=tuple(spec["dims"]))
        else:
            images = latent_grid(model, spec["side"])
        codes = torch.cat(model.codes) if model.codes else []
        return {"images": images, "codes": codes}

    return {
        "first": attempt(lambda: run(inputs["first"], False)),
        "second": attempt(lambda: run(inputs["second"], True)),
    }


grid_checks = ev.Verdicts()


def _grid_codes(inputs: dict, out: dict, name: str) -> np.ndarray:
    """The codes one latent_grid call decoded; MalformedOutput if it raised or decoded others."""
    value = out[name]
    if ev.raised(value) is not None:
        raise MalformedOutput(f"latent_grid raised {value['error'][:200]}")
    spec = inputs[name]
    side, dim = spec["side"], spec["w"].shape[1]
    codes = value["codes"]
    if isinstance(codes, list):
        raise MalformedOutput("latent_grid never called the model's decoder")
    codes = as_array(codes, "the codes passed to model.decode")
    if codes.shape != (side * side, dim):
        raise MalformedOutput(
            f"for side={side} expected {side * side} codes of {dim} entries, got "
            f"{codes.shape[0]} of {codes.shape[1]}"
        )
    return codes


@grid_checks.check(ev.goal("quantiles", "grid values are the quantiles q_k, other coordinates 0"))
def grid_quantiles(inputs: dict, out: dict) -> tuple[bool, str]:
    """With the default dims, both grid coordinates take the normal quantiles, the rest 0."""
    spec = inputs["first"]
    side = spec["side"]
    codes = _grid_codes(inputs, out, "first")
    expected = normal_quantiles(side)
    if not np.all(codes[:, 2:] == 0):
        return False, "every coordinate outside dims must be 0"
    for dim in (0, 1):
        values = np.unique(codes[:, dim])
        if not close(values, expected, atol=1e-4):
            if not np.all(np.isfinite(values)):
                return False, (
                    "the grid has infinite codes: Phi^-1(0) and Phi^-1(1) are -inf and +inf, "
                    "use the probabilities (k + 0.5) / side"
                )
            return False, (
                f"for side={side} the grid values should be the normal quantiles "
                f"{np.round(expected, 4).tolist()} (Phi^-1 of (k + 0.5) / side), got "
                f"{np.round(values, 4).tolist()[:8]}"
            )
    return True, ""


@grid_checks.check(
    ev.goal("layout", "image r * side + c has z[dims[0]] = q[c], z[dims[1]] = q[side - 1 - r]")
)
def grid_layout(inputs: dict, out: dict) -> tuple[bool, str]:
    """With other dims, image r * side + c is decoded from the prescribed code."""
    spec = inputs["second"]
    side, (d0, d1) = spec["side"], spec["dims"]
    codes = _grid_codes(inputs, out, "second")
    q = normal_quantiles(side)
    expected = np.zeros_like(codes)
    for r in range(side):
        for c in range(side):
            expected[r * side + c, d0] = q[c]
            expected[r * side + c, d1] = q[side - 1 - r]
    where = f"with dims=({d0}, {d1})"
    others = [d for d in range(codes.shape[1]) if d not in (d0, d1)]
    if not np.all(codes[:, others] == 0):
        return False, f"{where} only the coordinates dims[0] and dims[1] may be non-zero"
    if close(codes, expected, atol=1e-4):
        return True, ""
    swapped = expected.copy()
    swapped[:, [d0, d1]] = expected[:, [d1, d0]]
    if close(np.sort(codes, axis=0), np.sort(expected, axis=0), atol=1e-4) and not close(
        codes, swapped, atol=1e-4
    ):
        return False, (
            f"{where} the codes are right but in the wrong order: image r * side + c has "
            "z[dims[0]] = q[c] and z[dims[1]] = q[side - 1 - r] (top row = largest value)"
        )
    return False, (
        f"{where} image r * side + c must be decoded from z[dims[0]] = q[c] and "
        "z[dims[1]] = q[side - 1 - r]"
    )


@grid_checks.check(ev.part("images", "decoded with model.decode: shape (side * side, 784)"))
def grid_images(inputs: dict, out: dict) -> tuple[bool, str]:
    """The returned images are the decoder's images of the grid codes, in their order."""
    for name in ("first", "second"):
        spec = inputs[name]
        side = spec["side"]
        codes = _grid_codes(inputs, out, name)
        got = as_array(out[name]["images"], "latent_grid(model, side)")
        if got.shape != (side * side, 784):
            return (
                False,
                f"for side={side} expected shape ({side * side}, 784), got {got.shape}",
            )
        with np.errstate(all="ignore"):  # infinite codes give NaN, which never matches
            decoded = sigmoid(codes @ spec["w"].astype(np.float64).T + spec["b"])
        if not close(got, decoded, atol=1e-4):
            return (
                False,
                "return the decoder's images of the grid codes, in the order of the codes",
            )
    return True, ""


# ------------------------------------------------------------------ q3: kl_per_dimension


def kpd_inputs(rng: np.random.Generator) -> dict:
    """Random posteriors in float32; a float64 set where some columns equal the prior."""
    n, d = 2 * int(rng.integers(15, 60)) + 1, int(rng.integers(3, 8))
    m = 2 * int(rng.integers(2, 6)) + 1
    mu64 = 1.2 * rng.standard_normal((m, 5))
    logvar64 = rng.uniform(-2.0, 1.5, (m, 5))
    prior_columns = rng.permutation(5)[:2]
    mu64[:, prior_columns] = 0.0
    logvar64[:, prior_columns] = 0.0
    return {
        "mu": (1.3 * rng.standard_normal((n, d))).astype(np.float32),
        "logvar": rng.uniform(-2.0, 1.5, (n, d)).astype(np.float32),
        "mu64": mu64,
        "logvar64": logvar64,
    }


def kpd_probe(ns: dict, inputs: dict) -> dict:
    """kl_per_dimension on a float32 and a float64 set."""
    attempt = ns["_vae_grading_attempt"]
    kl = ns["kl_per_dimension"]
    return {
        "values": attempt(lambda: kl(inputs["mu"], inputs["logvar"])),
        "float64": attempt(lambda: kl(inputs["mu64"], inputs["logvar64"])),
    }


kpd_checks = ev.Verdicts()


def _kpd_judge(out: dict, name: str, mu: np.ndarray, logvar: np.ndarray) -> tuple[bool, str]:
    """The closed-form KL per coordinate, averaged over the rows, for the probe's call `name`."""
    n, d = mu.shape
    expected = ref_kl_per_dim(mu, logvar)
    got = as_array(out[name], f"kl_per_dimension(mu, logvar) for mu of shape {(n, d)}")
    if got.shape == (n,) and n != d:
        return False, "one value per latent dimension, shape (d,): average over the images"
    if got.shape != (d,):
        return False, f"for mu of shape {(n, d)} expected shape ({d},), got {got.shape}"
    tol = {"atol": 1e-4, "rtol": 1e-4}
    if close(got, n * expected, **tol):
        return False, "average over the images, do not sum: the result must not grow with N"
    if close(got, -expected, **tol) and np.any(np.abs(expected) > 1e-3):
        return False, "wrong sign: a KL divergence is never negative"
    if close(got, 2 * expected, **tol) and np.any(np.abs(expected) > 1e-3):
        return False, "the values are twice the KL: the factor 1/2 is missing"
    sigma = 0.5 * (mu**2 + np.exp(0.5 * logvar) - 1.0 - 0.5 * logvar).mean(axis=0)
    if close(got, sigma, **tol):
        return False, "sigma^2 = exp(logvar), not exp(logvar / 2)"
    return close(got, expected, **tol), (
        "the values differ from 1/2 (mu^2 + sigma^2 - 1 - log sigma^2) averaged over images"
    )


@kpd_checks.check(
    ev.goal(
        "values",
        "the closed-form KL of each coordinate averaged over the N images, shape (d,)",
    )
)
def kpd_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """The KL per coordinate of the float32 set."""
    return _kpd_judge(
        out, "values", inputs["mu"].astype(np.float64), inputs["logvar"].astype(np.float64)
    )


@kpd_checks.check(
    ev.part(
        "float64",
        "the closed-form KL of each coordinate averaged over the N images, shape (d,)",
    )
)
def kpd_float64(inputs: dict, out: dict) -> tuple[bool, str]:
    """The KL per coordinate of the float64 set, some of its columns equal to the prior."""
    return _kpd_judge(out, "float64", inputs["mu64"], inputs["logvar64"])


# ------------------------------------------------------------------ q4: active_units


def au_inputs(rng: np.random.Generator) -> dict:
    """Columns that vary, stay constant away from 0, or barely move; and a threshold sweep.

    Every variance is exact by construction (ddof=1) and far from every threshold, so both
    variance estimators give the same count.
    """
    n = 2 * int(rng.integers(20, 75)) + 1
    noise = unit_noise(rng, n, 11)
    columns = [
        noise[:, 0],  # variance 1: active
        0.5 * noise[:, 1],  # 0.25: active
        np.full(n, float(rng.choice([-1, 1]) * rng.uniform(1.5, 3.0))),  # constant offset
        0.003 * noise[:, 3],  # 9e-6: inactive
        rng.uniform(1.5, 2.5) + 0.3 * noise[:, 4],  # 0.09 with an offset: active
        np.full(n, float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5))),  # constant: inactive
        0.2 * noise[:, 6],  # 0.04: active
        0.05 * noise[:, 7],  # 0.0025: inactive, though its std is above 0.01
        np.zeros(n),  # collapsed
        0.001 * noise[:, 9],  # 1e-6: inactive
        np.zeros(n),  # collapsed
    ]
    # 4 active, 7 inactive; a std, E[mu^2] or |mean| instead of the variance counts 5, 6 or 3
    order = rng.permutation(11)
    mu = np.stack(columns, axis=1)[:, order]

    m = 2 * int(rng.integers(30, 120)) + 1
    scales = np.array([0.05, 0.3, 0.8, 1.5, 3.0])[rng.permutation(5)]
    sweep = unit_noise(rng, m, 5) * scales + rng.uniform(-1, 1, 5)
    return {
        "mu": mu.astype(np.float32),
        "sweep": sweep.astype(np.float32),
        "thresholds": [0.01, 1.0, 100.0, 0.3],
    }


def au_probe(ns: dict, inputs: dict) -> dict:
    """active_units with the default threshold, and on a sweep of thresholds."""
    attempt = ns["_vae_grading_attempt"]
    active_units = ns["active_units"]

    def count(mu, threshold=None):
        value = active_units(mu) if threshold is None else active_units(mu, threshold=threshold)
        return {"value": value, "is_int": isinstance(value, int) and not isinstance(value, bool)}

    return {
        "default": attempt(lambda: count(inputs["mu"])),
        "sweep": [attempt(lambda t=t: count(inputs["sweep"], t)) for t in inputs["thresholds"]],
    }


au_checks = ev.Verdicts()


def _au_value(report: object, what: str) -> float:
    """The count one active_units call returned; MalformedOutput if it raised or never ran."""
    if ev.raised(report) is not None:
        raise MalformedOutput(f"{what} raised {report['error'][:200]}")  # type: ignore[index]
    if not isinstance(report, dict):
        raise MalformedOutput(f"{what} could not be called")
    return as_float(report["value"], what)


@au_checks.check(ev.guard("int", "returns a Python int"))
def au_int(inputs: dict, out: dict) -> tuple[bool, str]:
    """Every call returns a Python int."""
    reports = [out["default"], *out["sweep"]]
    for report in reports:
        _au_value(report, "active_units(mu)")
        if report.get("is_int") is not True:
            return False, "return a Python int, not a tensor"
    return True, ""


@au_checks.check(
    ev.goal("over_images", "counts dimensions whose variance over the images exceeds threshold")
)
def au_over_images(inputs: dict, out: dict) -> tuple[bool, str]:
    """The default threshold counts the columns whose variance over the rows exceeds 0.01."""
    mu = inputs["mu"].astype(np.float64)
    got = _au_value(out["default"], "active_units(mu)")
    expected = counts_of(mu, 0.01)
    if got in expected:
        return True, ""
    mistakes = {
        "count the dimensions whose variance is ABOVE the threshold": [
            int((mu.var(axis=0, ddof=ddof) <= 0.01).sum()) for ddof in (0, 1)
        ],
        "compare the variance, not the standard deviation, with the threshold": [
            int((mu.std(axis=0, ddof=ddof) > 0.01).sum()) for ddof in (0, 1)
        ],
        "use the variance over the images, not the mean of mu^2 (a constant offset is not "
        "activity)": [int(((mu**2).mean(axis=0) > 0.01).sum())],
        "use the variance over the images, not the size of the mean": [
            int((np.abs(mu.mean(axis=0)) > 0.01).sum())
        ],
        "take the variance of each column over the images (dim=0), not of each row": [
            int((mu.var(axis=1, ddof=ddof) > 0.01).sum()) for ddof in (0, 1)
        ],
    }
    matches = [hint for hint, counts in mistakes.items() if got in counts]
    hint = (
        matches[0]
        if len(matches) == 1
        else (
            "take the variance of each column over the images (dim=0) and count the columns "
            "whose variance is above the threshold"
        )
    )
    return (
        False,
        f"expected {min(expected)} active dimensions of {mu.shape[1]}, got {got:g}: {hint}",
    )


@au_checks.check(
    ev.part("threshold", "counts dimensions whose variance over the images exceeds threshold")
)
def au_threshold(inputs: dict, out: dict) -> tuple[bool, str]:
    """The threshold argument is used, on a sweep of thresholds."""
    sweep = inputs["sweep"].astype(np.float64)
    for report, t in zip(out["sweep"], inputs["thresholds"], strict=True):
        got = _au_value(report, f"active_units(mu, threshold={t})")
        if got not in counts_of(sweep, t):
            ignored = t != 0.01 and got in counts_of(sweep, 0.01)
            hint = "use the threshold argument" if ignored else "count variances above it"
            return (
                False,
                f"with threshold={t} expected {min(counts_of(sweep, t))}, got {got:g}: {hint}",
            )
    return True, ""


# ------------------------------------------------------------------ q7: kl_weight


def kw_inputs(rng: np.random.Generator) -> dict:
    """Warm-up lengths with steps on the ramp, at and after its end, and no warm-up at all."""
    ramp, after = [], []
    for warmup in (1, int(rng.integers(3, 12)), int(rng.integers(40, 900))):
        ramp += [[0, warmup], [warmup - 1, warmup]]
        if warmup > 3:
            ramp += [[1, warmup], [int(rng.integers(2, warmup - 1)), warmup]]
        after += [
            [warmup, warmup],
            [warmup + 1, warmup],
            [int(rng.integers(2, 50)) * warmup, warmup],
        ]
    after.append([10**6 + int(rng.integers(0, 1000)), int(rng.integers(40, 900))])
    none = [[0, 0], [1, 0], [int(rng.integers(2, 10_000)), 0]]
    return {"ramp": ramp, "after": after, "none": none}


def kw_probe(ns: dict, inputs: dict) -> dict:
    """kl_weight(step, warmup_steps) as floats, one list per group of calls."""
    attempt = ns["_vae_grading_attempt"]
    kl_weight = ns["kl_weight"]

    def weights(pairs):
        return [float(kl_weight(int(step), int(warmup))) for step, warmup in pairs]

    return {
        name: attempt(lambda name=name: weights(inputs[name])) for name in ("ramp", "after", "none")
    }


kw_checks = ev.Verdicts()


def _kw_values(inputs: dict, out: dict, name: str) -> list[float]:
    """The weights of one group of calls; MalformedOutput if kl_weight raised or never ran."""
    got = out[name]
    if ev.raised(got) is not None:
        raise MalformedOutput(f"kl_weight raised {got['error'][:200]}")
    if type(got) is not list or len(got) != len(inputs[name]):
        raise MalformedOutput("kl_weight could not be called")
    return [as_float(v, "kl_weight(step, warmup_steps)") for v in got]


@kw_checks.check(ev.goal("ramp", "step / warmup_steps while step < warmup_steps, counting from 0"))
def kw_ramp(inputs: dict, out: dict) -> tuple[bool, str]:
    """step / warmup_steps on the ramp, step counted from 0."""
    for (step, warmup), got in zip(inputs["ramp"], _kw_values(inputs, out, "ramp"), strict=True):
        expected = step / warmup
        if abs(got - expected) <= 1e-6:
            continue
        where = f"kl_weight({step}, {warmup}) should be {expected:.4g}, got {got:.4g}"
        if abs(got - min(1.0, (step + 1) / warmup)) <= 1e-6:
            return False, f"{where}: step counts from 0, and the weight at step 0 is 0"
        if abs(got - step // warmup) <= 1e-6:
            return False, f"{where}: use true division (/), not integer division (//)"
        if abs(got - (1 - expected)) <= 1e-6:
            return False, f"{where}: the weight rises from 0 to 1, it does not fall"
        return False, f"{where}: on the ramp the weight is step / warmup_steps"
    return True, ""


@kw_checks.check(ev.guard("after", "exactly 1.0 from step == warmup_steps on"))
def kw_after(inputs: dict, out: dict) -> tuple[bool, str]:
    """Exactly 1 from step = warmup_steps on."""
    for (step, warmup), got in zip(inputs["after"], _kw_values(inputs, out, "after"), strict=True):
        if abs(got - 1.0) > 1e-6:
            return False, (
                f"kl_weight({step}, {warmup}) should be 1.0, got {got:.4g}: from step = "
                "warmup_steps on the weight stays at 1 (never above)"
            )
    return True, ""


@kw_checks.check(ev.guard("no_warmup", "warmup_steps = 0: the weight is 1.0 at every step"))
def kw_no_warmup(inputs: dict, out: dict) -> tuple[bool, str]:
    """Exactly 1 at every step without a warm-up."""
    for (step, _warmup), got in zip(inputs["none"], _kw_values(inputs, out, "none"), strict=True):
        if abs(got - 1.0) > 1e-6:
            return False, (
                f"kl_weight({step}, 0) should be 1.0, got {got:.4g}: warmup_steps = 0 "
                "means no warm-up, the full weight from the first step"
            )
    return True, ""


# ------------------------------------------------------------------ q8: free_bits_kl


def fb_inputs(rng: np.random.Generator) -> dict:
    """Dimensions far below and far above the floor, and mixed ones where a per-image floor differs.

    Every batch-averaged KL stays at least 0.1 * lam away from lam, so the kink of max is never
    near an input.
    """
    lam = float(rng.uniform(0.3, 1.5))
    batch = 2 * int(rng.integers(5, 15))
    kinds = ["low", "low", "high", "high", "mixed_above", "mixed_below"]
    kinds += list(rng.choice(["low", "high"], int(rng.integers(0, 3))))
    kinds = [kinds[i] for i in rng.permutation(len(kinds))]
    mu = np.zeros((batch, len(kinds)))
    logvar = np.zeros((batch, len(kinds)))
    half = np.arange(batch) % 2 == 1
    for j, kind in enumerate(kinds):
        if kind == "low":  # KL of a few hundredths of a nat at most
            mu[:, j] = 0.1 * rng.standard_normal(batch)
            logvar[:, j] = rng.uniform(-0.2, 0.2, batch)
        elif kind == "high":  # 2.5 to 6 times the floor
            mu[:, j] = rng.choice([-1, 1], batch) * np.sqrt(2 * lam * rng.uniform(2.5, 6, batch))
            logvar[:, j] = rng.uniform(-0.3, 0.3, batch)
        else:  # every other image KL = 0, the rest KL = 4 lam (mean 2 lam) or 1.2 lam (0.6 lam)
            level = 4.0 if kind == "mixed_above" else 1.2
            mu[half, j] = rng.choice([-1, 1], int(half.sum())) * np.sqrt(2 * lam * level)
    return {
        "mu": mu.astype(np.float32),
        "logvar": logvar.astype(np.float32),
        "lam": lam,
    }


def fb_probe(ns: dict, inputs: dict) -> dict:
    """free_bits_kl's value and gradients; the student's own kl_per_dimension and its gradients
    (the grader floors and sums those itself: the formula never runs in the kernel)."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    free_bits_kl = ns["free_bits_kl"]
    own_kpd = ns.get("kl_per_dimension")
    lam = inputs["lam"]

    def answer():
        mu = inputs["mu"].clone().requires_grad_(True)
        logvar = inputs["logvar"].clone().requires_grad_(True)
        value = free_bits_kl(mu, logvar, lam)
        report = {"value": value.detach() if isinstance(value, torch.Tensor) else value}
        if isinstance(value, torch.Tensor) and value.requires_grad and value.numel() == 1:
            value.sum().backward()
            zeros = torch.zeros_like(mu)
            report["grad_mu"] = mu.grad if mu.grad is not None else zeros
            report["grad_logvar"] = logvar.grad if logvar.grad is not None else zeros
        return report

    def own():
        mu = inputs["mu"].clone().requires_grad_(True)
        logvar = inputs["logvar"].clone().requires_grad_(True)
        kpd = own_kpd(mu, logvar)
        report = {"kpd": kpd.detach() if isinstance(kpd, torch.Tensor) else kpd}
        if isinstance(kpd, torch.Tensor) and kpd.requires_grad and kpd.dim() == 1:
            rows_mu, rows_logvar = [], []
            for entry in kpd:
                d_mu, d_logvar = torch.autograd.grad(
                    entry, (mu, logvar), retain_graph=True, allow_unused=True
                )
                rows_mu.append(torch.zeros_like(mu) if d_mu is None else d_mu)
                rows_logvar.append(torch.zeros_like(logvar) if d_logvar is None else d_logvar)
            report["jac_mu"] = torch.stack(rows_mu)
            report["jac_logvar"] = torch.stack(rows_logvar)
        return report

    out = {"answer": attempt(answer)}
    if callable(own_kpd):
        out["own"] = attempt(own)
    return out


fb_checks = ev.Verdicts()


def _fb_reference(inputs: dict) -> dict:
    """sum_j max(lam, mean_b KL_bj) in float64, its terms, and the gradients of that formula."""
    mu, logvar = inputs["mu"].astype(np.float64), inputs["logvar"].astype(np.float64)
    lam = inputs["lam"]
    batch = len(mu)
    entries = ref_kl_entries(mu, logvar)
    per_dim = entries.mean(axis=0)
    above = per_dim > lam
    return {
        "entries": entries,
        "per_dim": per_dim,
        "expected": float(np.maximum(lam, per_dim).sum()),
        "grad_mu": np.where(above, mu / batch, 0.0),
        "grad_logvar": np.where(above, 0.5 * (np.exp(logvar) - 1.0) / batch, 0.0),
    }


def _fb_answer(out: dict) -> dict:
    """The report of free_bits_kl; MalformedOutput if it raised or never ran."""
    report = out["answer"]
    if ev.raised(report) is not None:
        raise MalformedOutput(f"free_bits_kl raised {report['error'][:200]}")
    if not isinstance(report, dict):
        raise MalformedOutput("free_bits_kl could not be called")
    return report


def _fb_own(inputs: dict, out: dict) -> dict | None:
    """The student's kl_per_dimension floored and summed here, with the gradients of that
    (a dimension at the floor contributes none), when it ran and gave a finite vector."""
    lam, shape_of_mu = inputs["lam"], inputs["mu"].shape
    report = out.get("own")
    if not isinstance(report, dict) or (ev.raised(report) is not None):
        return None
    kpd = report.get("kpd")
    if not isinstance(kpd, np.ndarray) or kpd.ndim != 1 or not np.isfinite(kpd).all():
        return None
    floored = {"value": np.array(np.maximum(lam, kpd).sum())}
    jac_mu, jac_logvar = report.get("jac_mu"), report.get("jac_logvar")
    shape = (len(kpd), *shape_of_mu)
    if (
        isinstance(jac_mu, np.ndarray)
        and isinstance(jac_logvar, np.ndarray)
        and (jac_mu.shape == shape and jac_logvar.shape == shape)
    ):
        free = (kpd > lam).astype(np.float64)
        floored["grad_mu"] = np.tensordot(free, jac_mu, axes=1)
        floored["grad_logvar"] = np.tensordot(free, jac_logvar, axes=1)
    return floored


@fb_checks.check(
    ev.goal(
        "values",
        "sum over dimensions of max(lam, the dimension's KL averaged over the batch)",
    )
)
def fb_values(inputs: dict, out: dict) -> tuple[bool, str]:
    """One number: the formula, or the formula applied to the student's own kl_per_dimension."""
    ref = _fb_reference(inputs)
    lam, batch = inputs["lam"], len(inputs["mu"])
    entries, per_dim, expected = ref["entries"], ref["per_dim"], ref["expected"]
    value = _fb_answer(out)["value"]
    if isinstance(value, np.ndarray) and value.size != 1:
        return False, (
            f"free_bits_kl must return one number (a scalar tensor), got shape {value.shape}: "
            "sum the floored KLs over the dimensions"
        )
    got = as_float(value, "free_bits_kl(mu, logvar, lam)")
    tol = 1e-4 + 1e-4 * abs(expected)
    if abs(got - expected) <= tol:
        return True, ""
    alternative = _fb_own(inputs, out)
    if alternative is not None and abs(got - float(alternative["value"].reshape(()))) <= tol:
        return True, ""  # right formula applied to the student's own kl_per_dimension
    mistakes = [
        (
            np.maximum(lam, entries).sum(axis=1).mean(),
            "floor the batch-averaged KL of each dimension, not the KL of each image",
        ),
        (max(lam, per_dim.sum()), "floor each dimension separately, not the total KL"),
        (max(lam * len(per_dim), per_dim.sum()), "floor each dimension separately"),
        (np.maximum(lam, batch * per_dim).sum(), "average over the batch, do not sum"),
        (np.maximum(0.0, per_dim - lam).sum(), "return max(lam, KL_j), not max(0, KL_j - lam)"),
        (np.minimum(lam, per_dim).sum(), "the floor is max(lam, KL_j), not min"),
        (per_dim.sum(), "apply the floor: max(lam, KL_j) for each dimension"),
    ]
    for wrong, hint in mistakes:
        if abs(got - wrong) <= tol:
            return False, f"expected {expected:.4f}, got {got:.4f}: {hint}"
    return False, (
        f"expected {expected:.4f}, got {got:.4f}: sum over dimensions j of max(lam, KL_j), "
        "KL_j = 1/2 (mu^2 + sigma^2 - 1 - log sigma^2) averaged over the batch"
    )


@fb_checks.check(
    ev.part("gradient", "differentiable, built from mu and logvar with torch operations")
)
def fb_gradient(inputs: dict, out: dict) -> tuple[bool, str]:
    """The gradients of the formula (or of the student's own kl_per_dimension, floored)."""
    ref = _fb_reference(inputs)
    shape = inputs["mu"].shape
    report = _fb_answer(out)
    if "grad_mu" not in report:
        return False, (
            "the result carries no gradient: build it from mu and logvar with tensor "
            "operations, nothing detached or made a number on the way, so that it can be a "
            "loss term"
        )
    got_mu = as_array(report["grad_mu"], "the gradient for mu", shape)
    got_logvar = as_array(report["grad_logvar"], "the gradient for logvar", shape)
    targets = [(ref["grad_mu"], ref["grad_logvar"])]
    alternative = _fb_own(inputs, out)
    if alternative is not None and "grad_mu" in alternative:
        targets.append((alternative["grad_mu"], alternative["grad_logvar"]))
    for want_mu, want_logvar in targets:
        if close(got_mu, want_mu, atol=1e-5, rtol=1e-4) and close(
            got_logvar, want_logvar, atol=1e-5, rtol=1e-4
        ):
            return True, ""
    return False, (
        "the gradients differ from those of sum_j max(lam, KL_j): a dimension at the floor "
        "gets no gradient, the others the gradient of their batch-averaged KL"
    )


# ------------------------------------------------------------------ q9: iwae_bound

GRID = np.linspace(-12.0, 12.0, 6001)
ONE_ROWS, TEN_ROWS = 4000, 1000
BIG_K = 5000  # the largest k the prompt promises to handle


def iwae_inputs(rng: np.random.Generator) -> dict:
    """A model whose weights all equal p(x), and a 1-D model with a known log p(x)."""
    latent = int(rng.integers(2, 6))
    probs = rng.uniform(0.05, 0.95, 784)
    batch = 2 * int(rng.integers(2, 5)) + 1
    flat_images = (rng.uniform(size=(batch, 784)) < probs).astype(np.float32)

    w, b = 0.15 * rng.standard_normal(784), 0.5 * rng.standard_normal(784)
    m, logvar = float(rng.uniform(1.2, 1.8)), float(rng.uniform(0.4, 0.8))
    z_true = m + 0.4 * rng.standard_normal(7)
    p = 0.05 + 0.9 * sigmoid(np.outer(z_true, w) + b)
    return {
        "seed": int(rng.integers(2**31)),
        "mc_seed": int(rng.integers(2**31)),
        "latent": latent,
        "probs": probs.astype(np.float32),
        "images": flat_images.reshape(batch, 1, 28, 28),
        "k": int(rng.choice([3, 5, 7, 9])),
        "w": w.astype(np.float32),
        "b": b.astype(np.float32),
        "m": m,
        "logvar": logvar,
        "x": (rng.uniform(size=p.shape) < p).astype(np.float32),
    }


def iwae_probe(ns: dict, inputs: dict) -> dict:
    """iwae_bound on an exact model (k = 1 and k > 1) and on a 1-D model (k = 1, 10, 1000)."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    bound = ns["iwae_bound"]

    class ConstantDecoderVAE(torch.nn.Module):
        """q(z|x) is the prior and the decoder ignores z: every weight equals p(x)."""

        def __init__(self):
            super().__init__()
            self.latent_dim = inputs["latent"]
            self.probs = torch.nn.Parameter(inputs["probs"].clone())

        def encode(self, x):
            zeros = torch.zeros(x.shape[0], self.latent_dim)
            return zeros, zeros.clone()

        def decode(self, z):
            return self.probs.unsqueeze(0).repeat(z.shape[0], 1)

    class OneDimVAE(torch.nn.Module):
        """One latent dimension and a fixed, poor posterior N(m, exp(logvar))."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 1
            self.w = torch.nn.Parameter(inputs["w"].clone())
            self.b = torch.nn.Parameter(inputs["b"].clone())

        def encode(self, x):
            n = x.shape[0]
            return torch.full((n, 1), inputs["m"]), torch.full((n, 1), inputs["logvar"])

        def decode(self, z):
            z = z.to(self.w.dtype).reshape(-1, 1)
            return 0.05 + 0.9 * torch.sigmoid(z * self.w + self.b)

    torch.manual_seed(inputs["seed"])
    exact, one_dim, x = ConstantDecoderVAE(), OneDimVAE(), inputs["x"]
    return {
        "exact_1": attempt(lambda: bound(exact, inputs["images"], 1)),
        "exact_k": attempt(lambda: bound(exact, inputs["images"], inputs["k"])),
        # the prompt asks for k up to at least 5000 (BIG_K)
        "exact_big": attempt(lambda: bound(exact, inputs["images"][:2], 5000)),
        # 4000 and 1000 rows: ONE_ROWS and TEN_ROWS (a probe cannot read module constants)
        "one": attempt(lambda: bound(one_dim, x[:1].repeat(4000, 1), 1)),
        "ten": attempt(lambda: bound(one_dim, x[:1].repeat(1000, 1), 10)),
        "tight": attempt(lambda: bound(one_dim, x, 1000)),
    }


iwae_checks = ev.Verdicts()


def one_dim_reference(inputs: dict) -> dict:
    """log p(x), the ELBO, the spread of log w under q, and simulated L_10 and L_1000."""
    w, b = inputs["w"].astype(np.float64), inputs["b"].astype(np.float64)
    x = inputs["x"].astype(np.float64)
    m, std = float(np.float32(inputs["m"])), math.exp(0.5 * float(np.float32(inputs["logvar"])))
    step = GRID[1] - GRID[0]
    p = 0.05 + 0.9 * sigmoid(np.outer(GRID, w) + b)
    log_lik = x @ np.log(p).T + (1 - x) @ np.log1p(-p).T  # (images, grid)
    log_prior = -0.5 * GRID**2 - 0.5 * math.log(2 * math.pi)
    log_q = -0.5 * ((GRID - m) / std) ** 2 - math.log(std) - 0.5 * math.log(2 * math.pi)
    log_w = log_lik + log_prior - log_q
    q = np.exp(log_q) * step
    elbo = (log_w * q).sum(axis=1)
    spread = np.sqrt(np.maximum((log_w**2 * q).sum(axis=1) - elbo**2, 0.0))
    rng = np.random.default_rng(inputs["mc_seed"])

    def simulate(image: int, k: int, reps: int) -> np.ndarray:
        z = np.clip(m + std * rng.standard_normal((reps, k)), GRID[0], GRID[-1])
        return logsumexp(np.interp(z, GRID, log_w[image]), axis=1) - math.log(k)

    ten = simulate(0, 10, 20000)
    tight = np.stack([simulate(i, 1000, 200) for i in range(len(x))])
    return {
        "log_px": logsumexp(log_lik + log_prior, axis=1) + math.log(step),
        "elbo": elbo,
        "spread": spread,
        "ten_mean": ten.mean(),
        "ten_std": ten.std(),
        "tight_mean": tight.mean(axis=1),
        "tight_std": tight.std(axis=1),
    }


@iwae_checks.check(
    ev.goal(
        "exact",
        "log (1/k) sum_i w(z_i), z_i ~ q(z|x), exact where log-weights are far below 0",
    )
)
def iwae_exact(inputs: dict, out: dict) -> tuple[bool, str]:
    """Exactly log p(x) where every weight equals p(x), for k = 1, a small k and BIG_K."""
    flat = inputs["images"].reshape(len(inputs["images"]), 784).astype(np.float64)
    p = inputs["probs"].astype(np.float64)
    expected = (flat * np.log(p) + (1 - flat) * np.log1p(-p)).sum(axis=1)
    for key, k, batch in (
        ("exact_1", 1, len(flat)),
        ("exact_k", inputs["k"], len(flat)),
        ("exact_big", BIG_K, 2),
    ):
        got = as_array(out[key], f"iwae_bound(model, x, {k})")
        if got.shape != (batch,):
            return False, (
                f"for x of shape ({batch}, 1, 28, 28) and k={k} expected shape ({batch},), "
                f"got {got.shape}"
            )
        if not np.all(np.isfinite(got)):
            return False, (
                "the bound is not finite where every log-weight is hundreds of nats below "
                "zero: the weights underflow to 0 when they are exponentiated as they are"
            )
        if k > 1 and close(got, expected[:batch] + math.log(k), atol=0.05):
            return (
                False,
                "subtract log k: the bound averages the k weights, it does not add them",
            )
        if not close(got, expected[:batch], atol=0.05, rtol=1e-5):
            return False, (
                f"with k={k} on a model whose every weight equals p(x) (q(z|x) is the prior, "
                "the decoder ignores z), the bound must equal log p(x) = sum of x log x_hat "
                "+ (1 - x) log(1 - x_hat) over the 784 pixels"
            )
    return True, ""


@iwae_checks.check(ev.part("elbo", "with k = 1 a one-sample estimate of the ELBO"))
def iwae_elbo(inputs: dict, out: dict) -> tuple[bool, str]:
    """With k = 1 the mean over ONE_ROWS copies of an image is its ELBO."""
    ref = one_dim_reference(inputs)
    elbo = ref["elbo"]
    got = as_array(out["one"], "iwae_bound(model, x, 1)", (ONE_ROWS,))
    tol = 5 * ref["spread"][0] / math.sqrt(ONE_ROWS) + 0.02
    ok = abs(got.mean() - elbo[0]) <= tol
    return ok, (
        f"with k=1 the bound is a one-sample ELBO: its mean should be {elbo[0]:.2f}, got "
        f"{got.mean():.2f}: with one sample it must be an unbiased ELBO estimate; check how z "
        "is drawn from q(z|x) and each term of the log-weight, log q(z|x) included"
    )


@iwae_checks.check(ev.part("tightens", "as k grows it approaches log p(x) from below"))
def iwae_tightens(inputs: dict, out: dict) -> tuple[bool, str]:
    """With k = 10 the mean over TEN_ROWS copies of an image is the simulated L_10."""
    ref = one_dim_reference(inputs)
    log_px, elbo = ref["log_px"], ref["elbo"]
    got = as_array(out["ten"], "iwae_bound(model, x, 10)", (TEN_ROWS,))
    spread = ref["ten_std"]
    tol = 5 * spread / math.sqrt(TEN_ROWS) + 5 * spread / math.sqrt(20000) + 0.02
    if abs(got.mean() - math.log(10) - ref["ten_mean"]) <= tol:
        return False, "subtract log k: the bound averages the k weights, it does not add them"
    ok = abs(got.mean() - ref["ten_mean"]) <= tol
    return ok, (
        f"with k=10 the bound should average {ref['ten_mean']:.2f} (between the ELBO "
        f"{elbo[0]:.2f} and log p(x) = {log_px[0]:.2f}), got {got.mean():.2f}: check each "
        "term of the log-weights (the variance terms of log q(z|x) too) and how the k weights "
        "are combined"
    )


@iwae_checks.check(ev.part("converges", "any batch size and k up to at least 5000, shape (B,)"))
def iwae_converges(inputs: dict, out: dict) -> tuple[bool, str]:
    """With k = 1000 every image's bound is within the simulated spread of L_1000."""
    ref = one_dim_reference(inputs)
    log_px, elbo = ref["log_px"], ref["elbo"]
    images = len(inputs["x"])
    got = as_array(out["tight"], "iwae_bound(model, x, 1000)", (images,))
    tol = 0.1 + 8 * ref["tight_std"]
    ok = bool(np.all(np.abs(got - ref["tight_mean"]) <= tol))
    return ok, (
        f"with k=1000 the bound should be within a few tenths of a nat of log p(x) = "
        f"{np.round(log_px, 2).tolist()}, got {np.round(got, 2).tolist()} (the ELBO is "
        f"{np.mean(log_px - elbo):.2f} nats lower on average): a bound that stays near the "
        "ELBO averages the log-weights rather than the weights, or its log-weights miss a term"
    )


# ------------------------------------------------------------------ q12: refine_posterior

RP_SAMPLES = 3000  # common random numbers for the grader's ELBO estimates


def rp_inputs(rng: np.random.Generator) -> dict:
    """A linear-sigmoid decoder, binary images drawn from it, and a poor start (the prior)."""
    latent, batch = int(rng.integers(2, 5)), int(rng.integers(3, 7))
    w = 0.6 * rng.standard_normal((784, latent))
    b = 0.3 * rng.standard_normal(784)
    z_true = rng.choice([-1, 1], (batch, latent)) * rng.uniform(1.0, 2.0, (batch, latent))
    p = 0.05 + 0.9 * sigmoid(z_true @ w.T + b)
    x = (rng.uniform(size=p.shape) < p).astype(np.float32)
    eps_seed = int(rng.integers(2**31))
    # a poor start near the prior, but no worse than the prior itself by half a nat on average:
    # otherwise returning zeros (the prior) would already "improve" the ELBO by a nat
    scored = {"w": w, "b": b, "x": x, "eps_seed": eps_seed}
    prior = rp_elbo(scored, np.zeros((batch, latent)), np.zeros((batch, latent)))
    for _ in range(1000):
        start_mu = 0.3 * rng.standard_normal((batch, latent))
        start_logvar = rng.uniform(-0.5, 0.5, (batch, latent))
        if np.mean(prior - rp_elbo(scored, start_mu, start_logvar)) < 0.5:
            break
    # "any start must work": far on the wrong side, and sharp near the codes that made the images
    far_mu = -np.sign(z_true) * rng.uniform(2.0, 3.0, (batch, latent))
    sharp_mu = z_true + 0.1 * rng.standard_normal((batch, latent))
    starts = {
        "far": (far_mu, rng.uniform(-0.5, 0.5, (batch, latent))),
        "sharp": (sharp_mu, rng.uniform(-4.5, -3.5, (batch, latent))),
    }
    return {
        "w": w.astype(np.float32),
        "b": b.astype(np.float32),
        "x": x,
        "mu": start_mu.astype(np.float32),
        "logvar": start_logvar.astype(np.float32),
        "steps": int(rng.integers(40, 80)),
        "lr": float(rng.uniform(0.05, 0.1)),
        "seed": int(rng.integers(2**31)),
        "eps_seed": eps_seed,
        "four_d": bool(rng.integers(0, 2)),
        "starts": {
            name: {"mu": m.astype(np.float32), "logvar": v.astype(np.float32)}
            for name, (m, v) in starts.items()
        },
    }


def rp_probe(ns: dict, inputs: dict) -> dict:
    """refine_posterior on a stand-in decoder: the result, and the decoder's weights afterwards."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    refine = ns["refine_posterior"]

    class LinearDecoderVAE(torch.nn.Module):
        """decode(z) = 0.05 + 0.9 sigmoid(z W^T + b); encode returns the poor start."""

        def __init__(self):
            super().__init__()
            self.latent_dim = inputs["w"].shape[1]
            self.w = torch.nn.Parameter(inputs["w"].clone())
            self.b = torch.nn.Parameter(inputs["b"].clone())

        def encode(self, x):
            n = x.shape[0]
            return inputs["mu"][:n].clone(), inputs["logvar"][:n].clone()

        def decode(self, z):
            return 0.05 + 0.9 * torch.sigmoid(z.to(self.w.dtype) @ self.w.T + self.b)

    x = inputs["x"]
    if inputs["four_d"]:
        x = x.reshape(len(x), 1, 28, 28)

    def run(steps, start=inputs):
        torch.manual_seed(inputs["seed"])
        model = LinearDecoderVAE()
        mu, logvar = start["mu"].clone(), start["logvar"].clone()
        new_mu, new_logvar = refine(model, x, mu, logvar, steps, inputs["lr"])
        graph = [
            getattr(t, "requires_grad", False) or getattr(t, "grad_fn", None) is not None
            for t in (new_mu, new_logvar)
        ]
        return {
            "mu": new_mu,
            "logvar": new_logvar,
            "w": model.w.detach().clone(),
            "b": model.b.detach().clone(),
            "inputs_kept": bool(
                torch.equal(mu, start["mu"]) and torch.equal(logvar, start["logvar"])
            ),
            "detached": not any(graph),
        }

    reports = {"refined": attempt(lambda: run(inputs["steps"])), "zero": attempt(lambda: run(0))}
    for name, start in inputs["starts"].items():
        reports[f"start_{name}"] = attempt(lambda start=start: run(inputs["steps"], start))
    return reports


rp_checks = ev.Verdicts()


def rp_elbo(inputs: dict, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """Each image's ELBO under the stand-in decoder, by Monte Carlo with common random numbers."""
    w, b = inputs["w"].astype(np.float64), inputs["b"].astype(np.float64)
    x = inputs["x"].astype(np.float64)
    eps = np.random.default_rng(inputs["eps_seed"]).standard_normal((RP_SAMPLES, *mu.shape))
    std = np.exp(0.5 * logvar)
    elbo = np.empty(len(x))
    for i in range(len(x)):
        z = mu[i] + std[i] * eps[:, i]  # (S, d)
        p = 0.05 + 0.9 * sigmoid(z @ w.T + b)
        log_lik = (x[i] * np.log(p) + (1 - x[i]) * np.log1p(-p)).sum(axis=1).mean()
        kl = 0.5 * (mu[i] ** 2 + np.exp(logvar[i]) - 1.0 - logvar[i]).sum()
        elbo[i] = log_lik - kl
    return elbo


def _rp_report(out: dict, name: str) -> dict:
    """The report of one refine_posterior call; MalformedOutput if it raised or never ran."""
    value = out[name]
    if ev.raised(value) is not None:
        raise MalformedOutput(f"refine_posterior raised {value['error'][:200]}")
    if not isinstance(value, dict):
        raise MalformedOutput("refine_posterior could not be called")
    return value


def _rp_result(inputs: dict, out: dict, name: str) -> tuple[np.ndarray, np.ndarray]:
    """The refined mu and logvar of one call, each of the start's shape."""
    shape = inputs["mu"].shape
    value = _rp_report(out, name)
    what = "refine_posterior(model, x, mu, logvar, steps, lr)"
    return as_array(value["mu"], f"the refined mu of {what}", shape), as_array(
        value["logvar"], f"the refined logvar of {what}", shape
    )


@rp_checks.check(ev.guard("shapes", "returns two tensors of shape (B, d)"))
def rp_shapes(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two arrays of the start's shape, with steps and with steps = 0."""
    for name in ("refined", "zero"):
        _rp_result(inputs, out, name)
    return True, ""


@rp_checks.check(
    ev.goal("improves", "each image's ELBO goes up, by more than a nat on average, none drops")
)
def rp_improves(inputs: dict, out: dict) -> tuple[bool, str]:
    """From the poor start every image's ELBO rises, by more than a nat on average."""
    start_mu = inputs["mu"].astype(np.float64)
    start_logvar = inputs["logvar"].astype(np.float64)
    mu, logvar = _rp_result(inputs, out, "refined")
    if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(logvar))):
        return False, "the refined mu or logvar hold NaN or inf: check the loss and the step"
    before = rp_elbo(inputs, start_mu, start_logvar)
    after = rp_elbo(inputs, mu, logvar)
    gain = after - before
    if np.all(gain < -1.0):
        return False, (
            f"the ELBO went down for every image (by {-gain.mean():.1f} nats on average): "
            "maximise the ELBO, i.e. minimise the negative ELBO"
        )
    if np.any(gain < -0.5):
        return False, (
            f"the ELBO of some images went down by {-gain.min():.1f} nats: each image's ELBO "
            "must rise, so the steps must descend its negative ELBO without overshooting at "
            "this lr (updates of about lr per step suit a loss of hundreds of nats)"
        )
    if gain.mean() < 1.0:
        return False, (
            f"the ELBO rose by only {gain.mean():.2f} nats on average from a poor start with "
            f"steps={inputs['steps']} and lr={inputs['lr']:.3f}: use the whole budget on "
            "mu and logvar"
        )
    return True, ""


@rp_checks.check(
    ev.guard("model_unchanged", "the model's parameters and the mu, logvar passed in unchanged")
)
def rp_model_unchanged(inputs: dict, out: dict) -> tuple[bool, str]:
    """The decoder's parameters and the mu, logvar passed in are left as they were."""
    for name in ("refined", "zero"):
        value = _rp_report(out, name)
        w = as_array(value["w"], "the decoder's weights", inputs["w"].shape)
        b = as_array(value["b"], "the decoder's bias", inputs["b"].shape)
        if not (np.array_equal(w, inputs["w"]) and np.array_equal(b, inputs["b"])):
            return False, (
                "the model's parameters changed: optimise only mu and logvar, never the decoder"
            )
        if value.get("inputs_kept") is not True:
            return False, "the mu and logvar passed in were changed in place: work on copies"
    return True, ""


@rp_checks.check(ev.part("zero_steps", "steps = 0 returns the starting values"))
def rp_zero_steps(inputs: dict, out: dict) -> tuple[bool, str]:
    """steps = 0 returns the start."""
    start_mu = inputs["mu"].astype(np.float64)
    start_logvar = inputs["logvar"].astype(np.float64)
    mu, logvar = _rp_result(inputs, out, "zero")
    ok = close(mu, start_mu, atol=1e-6) and close(logvar, start_logvar, atol=1e-6)
    return ok, "with steps=0 return the starting mu and logvar unchanged"


@rp_checks.check(ev.goal("starts", "any start must work"))
def rp_starts(inputs: dict, out: dict) -> tuple[bool, str]:
    """From a far start the ELBO rises; from a sharp start near the best it does not slide away."""
    for name, start in inputs["starts"].items():
        mu, logvar = _rp_result(inputs, out, f"start_{name}")
        if not (np.all(np.isfinite(mu)) and np.all(np.isfinite(logvar))):
            return False, f"from a {name} start the refined mu or logvar hold NaN or inf"
        begin_mu = start["mu"].astype(np.float64)
        begin_logvar = start["logvar"].astype(np.float64)
        gain = rp_elbo(inputs, mu, logvar) - rp_elbo(inputs, begin_mu, begin_logvar)
        # far: it must rise as from any poor start; sharp: already near the best posterior,
        # it may jitter at this lr but must not slide away (a lost variance costs tens of nats)
        worst, mean = (-0.5, 1.0) if name == "far" else (-2.0, -0.5)
        if np.any(gain < worst) or gain.mean() < mean:
            where = {
                "far": "a start far from the images' codes",
                "sharp": "a start already close to the best posterior, with a small variance",
            }[name]
            return False, (
                f"from {where} the ELBO changed by {gain.mean():+.1f} nats on average "
                f"(worst image {gain.min():+.1f}): start from the mu and logvar passed in, "
                "whatever they are, and let no image's ELBO fall"
            )
    return True, ""


@rp_checks.check(ev.guard("detached", "the returned tensors are detached from any graph"))
def rp_detached(inputs: dict, out: dict) -> tuple[bool, str]:
    """The returned mu and logvar carry no graph."""
    for name in ("refined", "zero"):
        if _rp_report(out, name).get("detached") is not True:
            return False, "the returned mu and logvar are still attached to a graph"
    return True, ""


# ------------------------------------------------------------------ the questions

#: The clauses of each graded prompt; every one is the clause of some check (tests/grading).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q1": (
        "the means mu of model.encode, concatenated in the order of x, shape (N, d)",
        "slices of at most batch_size, the last shorter one kept, on the model's device",
        "on the CPU, without gradients",
    ),
    "q2": (
        "grid values are the quantiles q_k, other coordinates 0",
        "image r * side + c has z[dims[0]] = q[c], z[dims[1]] = q[side - 1 - r]",
        "decoded with model.decode: shape (side * side, 784)",
    ),
    "q3": ("the closed-form KL of each coordinate averaged over the N images, shape (d,)",),
    "q4": (
        "returns a Python int",
        "counts dimensions whose variance over the images exceeds threshold",
    ),
    "q7": (
        "step / warmup_steps while step < warmup_steps, counting from 0",
        "exactly 1.0 from step == warmup_steps on",
        "warmup_steps = 0: the weight is 1.0 at every step",
    ),
    "q8": (
        "sum over dimensions of max(lam, the dimension's KL averaged over the batch)",
        "differentiable, built from mu and logvar with torch operations",
    ),
    "q9": (
        "log (1/k) sum_i w(z_i), z_i ~ q(z|x), exact where log-weights are far below 0",
        "with k = 1 a one-sample estimate of the ELBO",
        "as k grows it approaches log p(x) from below",
        "any batch size and k up to at least 5000, shape (B,)",
    ),
    "q12": (
        "returns two tensors of shape (B, d)",
        "each image's ELBO goes up, by more than a nat on average, none drops",
        "any start must work",
        "the model's parameters and the mu, logvar passed in unchanged",
        "steps = 0 returns the starting values",
        "the returned tensors are detached from any graph",
    ),
}

QUESTIONS = [
    means_checks.question("q1", means_inputs, means_probe),
    grid_checks.question("q2", grid_inputs, grid_probe),
    kpd_checks.question("q3", kpd_inputs, kpd_probe),
    au_checks.question("q4", au_inputs, au_probe),
    choice_question(
        "q6",
        "q6_answer",
        "c",
        "mu is the same for every image, so Var_n(mu) = 0 (inactive), yet each posterior N(1, 1) "
        "pays 1/2 (1 + 1 - 1 - 0) = 0.5 nats: a mismatch with the prior, not information",
    ),
    kw_checks.question("q7", kw_inputs, kw_probe),
    fb_checks.question("q8", fb_inputs, fb_probe),
    iwae_checks.question("q9", iwae_inputs, iwae_probe),
    choice_question(
        "q10",
        "q10_answer",
        "b",
        "log p(x) - ELBO is the KL from q(z|x) to the true posterior: an encoder (inference) gap",
    ),
    rp_checks.question("q12", rp_inputs, rp_probe),
]
