"""Hidden tests of 04_generation: probes run in the student's kernel, verdicts in the grader.

Inputs are drawn fresh for every grading. `sample_prior` is probed with a small decoder built
inside the probe from weights drawn here, so the verdict can decode the recorded codes itself;
`slerp`'s parallel-vector fallback may use the notebook's `interpolate` (provided, not graded, but
a student may have edited it), and `CVAE.generate` is compared with the student's own `decode`
under the same noise. `sample_quality` is probed with stand-in classifiers built inside the probe
(a fixed linear map, and modules returning given logits), so the verdict computes both numbers.
"""

from __future__ import annotations

import contextlib
import math
from typing import Any

import numpy as np

from vae_grading import evidence as ev
from vae_grading.evidence import (
    MalformedOutput,
    as_array,
    as_float,
    choice_question,
    close,
)
from vae_grading.references import sigmoid

# ------------------------------------------------------------------ references (grader only)


def ref_line(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """The straight-line path with t_i = i / (steps - 1), both ends included."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (1 - t) * start + t * end


def ref_slerp(start: np.ndarray, end: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation in float64 (the inputs are never nearly parallel here)."""
    cos = np.clip(start @ end / (np.linalg.norm(start) * np.linalg.norm(end)), -1.0, 1.0)
    omega = math.acos(cos)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return (np.sin((1 - t) * omega) * start + np.sin(t * omega) * end) / math.sin(omega)


def _pair_at_angle(rng: np.random.Generator, dims: int, low: float, high: float) -> tuple:
    """Two random vectors whose cosine lies strictly between low and high."""
    while True:
        a, b = rng.standard_normal(dims), rng.standard_normal(dims)
        cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        if low < cos < high:
            return a, b


# ------------------------------------------------------------------ q1: sample_prior


def prior_inputs(rng: np.random.Generator) -> dict:
    """The weights of a small stand-in decoder, temperatures, and odd sample sizes."""
    dims = int(rng.integers(3, 7))
    return {
        "weight": (rng.standard_normal((784, dims)) / math.sqrt(dims)).astype(np.float32),
        "bias": (0.3 * rng.standard_normal(784)).astype(np.float32),
        "temperatures": [
            float(np.round(rng.uniform(0.3, 0.7), 3)),
            None,  # the default temperature
            float(np.round(rng.uniform(1.5, 2.5), 3)),
        ],
        "big": int(rng.integers(1500, 2000)) * 2 + 1,
        "n": int(rng.integers(3, 6)) * 2 + 1,
        "t_small": float(np.round(rng.uniform(0.2, 0.8), 3)),
        "fresh_n": 3,
    }


def prior_probe(ns: dict, inputs: dict) -> dict:
    """sample_prior on a decoder built here, which records every code it is asked to decode."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    sample_prior = ns["sample_prior"]

    class RecordingDecoder(torch.nn.Module):
        """A stand-in model: latent_dim, a decode method, and a record of the codes."""

        def __init__(self):
            super().__init__()
            self.latent_dim = int(inputs["weight"].shape[1])
            self.linear = torch.nn.Linear(self.latent_dim, 784)
            with torch.no_grad():
                self.linear.weight.copy_(inputs["weight"])
                self.linear.bias.copy_(inputs["bias"])
            self.codes = []

        def decode(self, z):
            self.codes.append(z.detach().cpu().clone())
            return torch.sigmoid(self.linear(z))

    def codes_of(model):
        return torch.cat(model.codes) if model.codes else None

    def temperature(value):
        model = RecordingDecoder()
        if value is None:
            images = sample_prior(model, inputs["big"])
        else:
            images = sample_prior(model, inputs["big"], temperature=value)
        z = codes_of(model)
        if z is None:
            return {"calls": 0}
        return {
            "calls": len(model.codes),
            "shape": list(images.shape),
            "codes_shape": list(z.shape),
            "mean": z.mean(),
            "std": z.std(),
        }

    def decoded():
        model = RecordingDecoder()
        images = sample_prior(model, inputs["n"], temperature=inputs["t_small"])
        attached = bool(getattr(images, "requires_grad", False))
        attached = attached or getattr(images, "grad_fn", None) is not None
        return {"images": images, "codes": codes_of(model), "attached": attached}

    def fresh():
        model = RecordingDecoder()
        return [sample_prior(model, inputs["fresh_n"]), sample_prior(model, inputs["fresh_n"])]

    return {
        "temperatures": [attempt(lambda t=t: temperature(t)) for t in inputs["temperatures"]],
        "decoded": attempt(decoded),
        "fresh": attempt(fresh),
    }


prior_checks = ev.Verdicts()


@prior_checks.check(
    ev.goal("temperature", "codes z = temperature * eps of shape (n, model.latent_dim)")
)
def prior_temperature(inputs: dict, out: dict) -> tuple[bool, str]:
    """Codes N(0, tau^2 I) of shape (n, latent_dim) at each temperature, the default 1."""
    dims, big = inputs["weight"].shape[1], inputs["big"]
    reports = out["temperatures"]
    if type(reports) is not list or len(reports) != len(inputs["temperatures"]):
        raise MalformedOutput("the temperature part reported nothing")
    for value, report in zip(inputs["temperatures"], reports, strict=True):
        tau = 1.0 if value is None else value
        call = "sample_prior(model, n)" if value is None else f"temperature={value}"
        if isinstance(report, dict) and "error" in report:
            as_float(report, call)  # raises with the error message
        if report.get("calls") == 0:
            return False, "sample_prior must return its codes decoded by the model's decoder"
        if report["codes_shape"] != [big, dims]:
            return False, (
                f"decode should receive n = {big} codes of the model's latent_dim = {dims} "
                f"entries in all, got {report['codes_shape']}: do not assume 20 dimensions"
            )
        if report["shape"] != [big, 784]:
            return False, f"expected images of shape ({big}, 784), got {report['shape']}"
        mean, std = as_float(report["mean"], "the mean"), as_float(report["std"], "the std")
        if abs(mean - 0.5 * tau) < 0.06 * tau and abs(mean) > 0.2 * tau:
            return False, "codes must be Gaussian, centred at 0, not uniform on [0, 1)"
        if abs(mean) > 0.06 * max(std, tau):
            return False, "the codes must be centred at 0, like the prior"
        if abs(std / tau - 1) < 0.05:
            continue
        if value is None:
            return False, f"with the default temperature the std should be 1, got {std:.3f}"
        if abs(std / tau**2 - 1) < 0.05:
            return False, (
                f"with temperature {value} the codes have std {std:.3f} = temperature^2: "
                "the temperature is the standard deviation, z = temperature * eps"
            )
        if abs(std * tau - 1) < 0.05:
            return False, "the codes are divided by the temperature: multiply, z = tau * eps"
        if abs(std - 1) < 0.05:
            return False, (
                f"with temperature {value} the codes still have std 1: the temperature must "
                "scale the codes z, not the decoded images"
            )
        return False, (
            f"with temperature {value} the codes should have standard deviation {value}, "
            f"got {std:.3f}: z = temperature * eps with eps ~ N(0, I)"
        )
    return True, ""


@prior_checks.check(ev.part("decoded", "returns model.decode(z): (n, 784) values in [0, 1]"))
def prior_decoded(inputs: dict, out: dict) -> tuple[bool, str]:
    """The result is the stand-in decoder's output on the recorded codes itself."""
    weight, bias = inputs["weight"].astype(np.float64), inputs["bias"].astype(np.float64)
    dims = weight.shape[1]
    report = out["decoded"]
    n = inputs["n"]
    if isinstance(report, dict) and "error" in report:
        as_float(report, "sample_prior(model, n, temperature=...)")
    if report.get("codes") is None:
        return False, "sample_prior must return its codes decoded by the model's decoder"
    images = as_array(report["images"], "sample_prior(model, n)", (n, 784))
    codes = as_array(report["codes"], "the codes passed to model.decode", (n, dims))
    expected = sigmoid(codes @ weight.T + bias)
    if close(images, expected, atol=1e-5):
        return True, ""
    if set(np.unique(images)) <= {0.0, 1.0}:
        return False, "return the decoder's pixel probabilities, not sampled 0/1 pixels"
    return False, (
        "return exactly the decoded codes: the temperature scales z, not the decoded images"
    )


@prior_checks.check(ev.guard("fresh", "fresh codes at every call"))
def prior_fresh(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two calls differ, and so do the images of one call."""
    pair = out["fresh"]
    if isinstance(pair, dict):
        as_float(pair, "sample_prior(model, n)")
    if type(pair) is not list or len(pair) != 2:
        raise MalformedOutput("the two calls of sample_prior reported nothing")
    shape = (inputs["fresh_n"], 784)
    first = as_array(pair[0], "sample_prior(model, 3)", shape)
    second = as_array(pair[1], "sample_prior(model, 3)", shape)
    if close(first, second, atol=1e-6):
        return False, (
            "two calls gave identical samples: draw fresh noise each call (do not re-seed)"
        )
    if close(first[0], first[1], atol=1e-6):
        return False, "each of the n images needs its own code"
    return True, ""


@prior_checks.check(ev.guard("detached", "sampling needs no gradients"))
def prior_detached(inputs: dict, out: dict) -> tuple[bool, str]:
    """The images carry no autograd graph."""
    report = ev.reported(out["decoded"], "sample_prior(model, n, temperature)")
    return report.get("attached") is False, (
        "the images are attached to a graph: sampling needs no gradients"
    )


# ------------------------------------------------------------------ q4: slerp


def slerp_inputs(rng: np.random.Generator) -> dict:
    """Codes of different lengths, unit codes at a known angle, and (nearly) parallel codes."""
    dims = int(rng.integers(4, 9))
    a, b = _pair_at_angle(rng, dims, -0.8, 0.8)
    scale = float(rng.uniform(1.5, 3.5))
    # two unit vectors at the angle omega: u, and cos(omega) u + sin(omega) v
    u, w = _pair_at_angle(rng, dims, -0.9, 0.9)
    u = u / np.linalg.norm(u)
    v = w - (w @ u) * u
    v = v / np.linalg.norm(v)
    omega = float(rng.uniform(0.6, 2.4))
    start = rng.standard_normal(dims).astype(np.float32)
    axis = np.zeros(dims, dtype=np.float32)  # normalised, it is exactly a unit vector: cos = 1
    axis[int(rng.integers(dims))] = float(np.round(rng.uniform(0.5, 3.0), 2))
    return {
        "start": (scale * a).astype(np.float32),
        "end": b.astype(np.float32),
        "steps": int(rng.integers(3, 6)) * 2 + 1,
        "u": u.astype(np.float32),
        "u_end": (math.cos(omega) * u + math.sin(omega) * v).astype(np.float32),
        "omega": omega,
        "circle_steps": int(rng.integers(5, 10)),
        "p_pairs": [
            [start, (float(rng.uniform(0.4, 3.0)) * start).astype(np.float32)],
            [start, start.copy()],
            [start, (start + 1e-6 * rng.standard_normal(dims)).astype(np.float32)],
            [axis, float(rng.choice([0.5, 2.0, 3.0])) * axis],
        ],
        "p_steps": int(rng.integers(3, 7)),
    }


def slerp_probe(ns: dict, inputs: dict) -> dict:
    """slerp on the three kinds of pairs; for the parallel ones also the student's interpolate."""
    attempt = ns["_vae_grading_attempt"]
    slerp = ns["slerp"]
    interpolate: Any = ns.get("interpolate")  # may be missing: the attempt reports it
    pairs, steps = inputs["p_pairs"], inputs["p_steps"]
    return {
        "formula": attempt(lambda: slerp(inputs["start"], inputs["end"], inputs["steps"])),
        "circle": attempt(lambda: slerp(inputs["u"], inputs["u_end"], inputs["circle_steps"])),
        "parallel": [attempt(lambda a=a, b=b: slerp(a, b, steps)) for a, b in pairs],
        "own_line": [attempt(lambda a=a, b=b: interpolate(a, b, steps)) for a, b in pairs],
    }


slerp_checks = ev.Verdicts()

#: The formula clause, checked on codes of different lengths and between unit codes.
SLERP_FORMULA = (
    "the slerp formula, t_i = i / (steps - 1), cos(Omega) from the normalised vectors, "
    "first row z_start, last z_end"
)


@slerp_checks.check(
    ev.goal(
        "formula",
        SLERP_FORMULA,
    )
)
def slerp_formula(inputs: dict, out: dict) -> tuple[bool, str]:
    """The formula on two codes of different lengths at a clear angle."""
    start, end = inputs["start"].astype(np.float64), inputs["end"].astype(np.float64)
    steps = inputs["steps"]
    got = as_array(out["formula"], "slerp(z_start, z_end, steps)", (steps, len(start)))
    if not np.all(np.isfinite(got)):
        return False, "slerp returned nan or inf: clamp cos(Omega) to [-1, 1] before acos"
    expected = ref_slerp(start, end, steps)
    if close(got, expected, atol=1e-4, rtol=1e-4):
        return True, ""
    if close(got, ref_line(start, end, steps), atol=1e-4, rtol=1e-4):
        return False, "slerp returned the straight line for two codes at a clear angle"
    if close(got, ref_slerp(end, start, steps), atol=1e-4, rtol=1e-4):
        return False, "the sine weights are swapped: the path runs backwards"
    a, b = start / np.linalg.norm(start), end / np.linalg.norm(end)
    if close(got, ref_slerp(a, b, steps), atol=1e-4, rtol=1e-4):
        return False, (
            "slerp interpolates the unit directions: compute Omega from the normalised "
            "vectors, but apply the weights to the original z_start and z_end"
        )
    if not (close(got[0], start, atol=1e-4) and close(got[-1], end, atol=1e-4)):
        return False, "the path must start at z_start and end at z_end, t_i = i / (steps - 1)"
    return False, (
        "slerp does not match the formula for two codes of different lengths: cos(Omega) "
        "comes from the normalised vectors, the weights multiply the original vectors"
    )


@slerp_checks.check(ev.part("circle", SLERP_FORMULA))
def slerp_circle(inputs: dict, out: dict) -> tuple[bool, str]:
    """Between two unit codes: points of length 1 at equal angles."""
    steps = inputs["circle_steps"]
    got = as_array(out["circle"], "slerp(u, v, steps)", (steps, len(inputs["u"])))
    norms = np.linalg.norm(got, axis=1)
    if not close(norms, np.ones(steps), atol=1e-4):
        return False, (
            "between two unit codes every slerp point has length 1 (the straight line dips "
            f"in the middle); got lengths {[round(float(n), 3) for n in norms]}"
        )
    cosines = (got[1:] * got[:-1]).sum(axis=1) / (norms[1:] * norms[:-1])
    angles = np.arccos(np.clip(cosines, -1.0, 1.0))
    return close(angles, np.full(steps - 1, inputs["omega"] / (steps - 1)), atol=1e-3), (
        "consecutive slerp points must be separated by equal angles Omega / (steps - 1): "
        "the weights are sin((1 - t) Omega) / sin(Omega) and sin(t Omega) / sin(Omega)"
    )


@slerp_checks.check(
    ev.part(
        "parallel", "cos(Omega) clamped to [-1, 1]; nearly parallel codes fall back to interpolate"
    )
)
def slerp_parallel(inputs: dict, out: dict) -> tuple[bool, str]:
    """The straight line (or the notebook's own interpolate) for (nearly) parallel codes."""
    steps = inputs["p_steps"]
    for index, ((start, end), got, own) in enumerate(
        zip(inputs["p_pairs"], out["parallel"], out["own_line"], strict=True)
    ):
        start, end = start.astype(np.float64), end.astype(np.float64)
        shape = (steps, len(start))
        got = as_array(got, "slerp of parallel codes", shape)
        if not np.all(np.isfinite(got)):
            return False, (
                "slerp gave nan for (nearly) parallel codes: clamp cos(Omega) to [-1, 1] "
                "and fall back to the straight line when Omega is tiny"
            )
        candidates = [ref_line(start, end, steps)]
        # the notebook's interpolate (provided; the student may have edited it)
        with contextlib.suppress(MalformedOutput):
            candidates.append(as_array(own, "interpolate", shape))
        if not any(close(got, want, atol=1e-4) for want in candidates):
            kind = (
                "a multiple of z_start",
                "z_start itself",
                "z_start nudged by 1e-6",
                "a multiple of z_start",
            )[index]
            return False, (
                f"for z_end = {kind} slerp must fall back to interpolate(z_start, z_end, steps)"
            )
    return True, ""


# ------------------------------------------------------------------ q6: CVAE


def cvae_inputs(rng: np.random.Generator) -> dict:
    """Image and flat batches with labels, two labels to compare, and a digit to generate."""
    batch, flat = int(rng.integers(2, 5)) * 2 + 1, int(rng.integers(2, 4)) * 2 + 1
    digit = int(rng.integers(1, 9))
    label_a, label_b = (int(v) for v in rng.choice(10, size=2, replace=False))
    latent = int(rng.integers(2, 6))
    return {
        "seed": int(rng.integers(1, 10_000)),
        "latent_dim": latent,
        "images": rng.uniform(0, 1, (batch, 1, 28, 28)).astype(np.float32),
        # the largest label stays below 9: a one-hot sized by the batch has the wrong width
        "image_labels": rng.integers(0, 6, batch).astype(np.int64),
        "flat": rng.uniform(0, 1, (flat, 784)).astype(np.float32),
        "flat_labels": rng.integers(0, 10, flat).astype(np.int64),
        "small_labels": rng.integers(0, 4, 3).astype(np.int64),
        "small_x": rng.uniform(0, 1, (3, 784)).astype(np.float32),
        "label_a": label_a,
        "label_b": label_b,
        "z": rng.standard_normal((flat, latent)).astype(np.float32),
        "digit": digit,
        "n": int(rng.integers(2, 5)) * 2 + 1,
        "noise_seed": int(rng.integers(1, 10_000)),
        "big": 601,
    }


def cvae_probe(ns: dict, inputs: dict) -> dict:
    """Forward on image batches, label dependence, fresh noise, gradients, and generate."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    CVAE = ns["CVAE"]
    latent = inputs["latent_dim"]

    def build(**kwargs):
        torch.manual_seed(inputs["seed"])
        return CVAE(**kwargs)

    models = {}

    def shared(mode):
        """One model in training mode, one in eval mode, each built once for all parts."""
        if mode not in models:
            models[mode] = build(latent_dim=latent, num_classes=10)
            models[mode].train(mode == "train")
        return models[mode]

    def forward():
        model = shared("train")
        x_hat, mu, logvar = model(inputs["images"], inputs["image_labels"])
        small = build(latent_dim=2, num_classes=4)
        small_hat, _, _ = small(inputs["small_x"], inputs["small_labels"])
        return {
            "latent_dim": int(model.latent_dim),
            "x_hat": x_hat,
            "mu": mu,
            "logvar": logvar,
            "small": small_hat,
        }

    def labels():
        model = shared("eval")
        x, size = inputs["flat"], len(inputs["flat"])
        label_a = torch.full((size,), inputs["label_a"], dtype=torch.long)
        label_b = torch.full((size,), inputs["label_b"], dtype=torch.long)
        with torch.no_grad():
            mu_a, logvar_a = model.encode(x, label_a)
            mu_b, logvar_b = model.encode(x, label_b)
            out_a, out_b = model.decode(inputs["z"], label_a), model.decode(inputs["z"], label_b)
        return {"mu": [mu_a, mu_b], "logvar": [logvar_a, logvar_b], "decoded": [out_a, out_b]}

    def sampling():
        model = shared("train")
        first, _, _ = model(inputs["flat"], inputs["flat_labels"])
        second, _, _ = model(inputs["flat"], inputs["flat_labels"])
        return [first, second]

    def gradients():
        model = shared("train")
        x_hat, _, _ = model(inputs["flat"], inputs["flat_labels"])
        x_hat.sum().backward()
        return [
            [name, None if p.grad is None else p.grad.abs().sum()]
            for name, p in model.named_parameters()
        ]

    def generate():
        model = shared("eval")
        decode = model.decode
        codes = []

        def recording(z, y, *args, **kwargs):
            codes.append(z.detach().cpu().clone())
            return decode(z, y, *args, **kwargs)

        model.decode = recording
        n, digit, noise_seed = inputs["n"], inputs["digit"], inputs["noise_seed"]
        torch.manual_seed(noise_seed)
        images = model.generate(digit, n)
        recorded = list(codes)
        again = model.generate(digit, n)  # no reseeding: fresh codes
        codes.clear()
        model.generate(digit, inputs["big"])
        big = torch.cat(codes) if codes else None
        param = next(model.parameters())
        labels = torch.full((n,), digit, dtype=torch.long, device=param.device)
        with torch.no_grad():
            torch.manual_seed(noise_seed)
            same_noise = decode(torch.randn(n, latent).to(param.device), labels)
            torch.manual_seed(noise_seed)
            z = torch.randn(n, latent, device=param.device, dtype=param.dtype)
            same_noise_device = decode(z, labels)
            own = attempt(lambda: decode(torch.cat(recorded).to(param.device), labels))
        return {
            "images": images,
            "requires_grad": bool(images.requires_grad),
            "again": again,
            "same_noise": same_noise,
            "same_noise_device": same_noise_device,
            "recorded": own if recorded else None,
            "big_shape": None if big is None else list(big.shape),
            "big_mean": None if big is None else big.mean(),
            "big_std": None if big is None else big.std(),
        }

    return {
        "forward": attempt(forward),
        "labels": attempt(labels),
        "sampling": attempt(sampling),
        "gradients": attempt(gradients),
        "generate": attempt(generate),
    }


cvae_checks = ev.Verdicts()


def _cvae_part(out: dict, name: str, what: str) -> Any:
    """A probe part as reported (a dict or a list); its error fails the check that reads it."""
    value = out[name]
    if isinstance(value, dict) and "error" in value:
        as_float(value, what)  # raises with the error message
    return value


def _cvae_generated(inputs: dict, out: dict) -> dict:
    """The generate part's report."""
    return _cvae_part(out, "generate", f"generate({inputs['digit']}, {inputs['n']})")


def _cvae_same_noise(inputs: dict, report: dict, images: np.ndarray) -> bool:
    """Whether generate's images are the student's decode of torch.randn(n, latent_dim) itself."""
    for key in ("same_noise", "same_noise_device"):
        try:
            if close(images, as_array(report[key], "decode(z, y)", (inputs["n"], 784)), atol=1e-5):
                return True
        except MalformedOutput:
            pass
    return False


@cvae_checks.check(
    ev.part(
        "forward", "forward(x, y) and encode(x, y) return the stated shapes, for flat or image x"
    )
)
def cvae_forward(inputs: dict, out: dict) -> tuple[bool, str]:
    """Shapes and ranges of forward on image batches, at two sizes."""
    latent, batch = inputs["latent_dim"], len(inputs["images"])
    report = _cvae_part(
        out, "forward", "CVAE(latent_dim, num_classes)(x, y) on (B, 1, 28, 28) images"
    )
    if report["latent_dim"] != latent:
        return False, "CVAE must store its latent size as self.latent_dim"
    x_hat = as_array(report["x_hat"], "x_hat", (batch, 784))
    as_array(report["mu"], "mu", (batch, latent))
    as_array(report["logvar"], "logvar", (batch, latent))
    if x_hat.min() < 0 or x_hat.max() > 1:
        return False, "x_hat must be probabilities in [0, 1]: end the decoder with a sigmoid"
    small = as_array(report["small"], "x_hat of CVAE(latent_dim=2, num_classes=4)", (3, 784))
    return bool(small.min() >= 0 and small.max() <= 1), "x_hat must be in [0, 1]"


@cvae_checks.check(
    ev.goal("labels", "the label reaches both networks, as one_hot(y) of width num_classes")
)
def cvae_labels(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two labels change both the encoder's and the decoder's outputs."""
    latent, flat = inputs["latent_dim"], len(inputs["flat"])
    report = _cvae_part(out, "labels", "encode(x, y) and decode(z, y)")
    mu = [as_array(v, "mu", (flat, latent)) for v in report["mu"]]
    logvar = [as_array(v, "logvar", (flat, latent)) for v in report["logvar"]]
    decoded = [as_array(v, "decode(z, y)", (flat, 784)) for v in report["decoded"]]
    if close(mu[0], mu[1], atol=1e-7) and close(logvar[0], logvar[1], atol=1e-7):
        return False, "the encoder ignores the label: concatenate the one-hot y with x"
    return not close(decoded[0], decoded[1], atol=1e-7), (
        "the decoder ignores the label: concatenate the one-hot y with z"
    )


@cvae_checks.check(ev.part("sampling", "forward decodes one code z = mu + sigma * eps"))
def cvae_sampling(inputs: dict, out: dict) -> tuple[bool, str]:
    """Two forward passes in training mode differ."""
    flat = len(inputs["flat"])
    pair = _cvae_part(out, "sampling", "forward(x, y)")
    first = as_array(pair[0], "x_hat", (flat, 784))
    second = as_array(pair[1], "x_hat", (flat, 784))
    return not close(first, second, atol=1e-7), (
        "two forward passes gave the same x_hat: decode a sample z = mu + sigma * eps with "
        "fresh noise eps, not the mean"
    )


@cvae_checks.check(ev.part("gradients", "gradients reach the encoder through the sampled code"))
def cvae_gradients(inputs: dict, out: dict) -> tuple[bool, str]:
    """A backward pass from x_hat reaches every parameter."""
    report = _cvae_part(out, "gradients", "a backward pass from forward's x_hat")
    missing = []
    for name, grad in report:
        if grad is None or not as_float(grad, f"the gradient of {name}") > 0:
            missing.append(str(name))
    return not missing and bool(report), (
        f"no gradient from x_hat reached {missing[:4]}: sample z = mu + sigma * eps (the "
        "reparameterization trick) so that the encoder is trained through the decoder"
    )


@cvae_checks.check(
    ev.goal("generate", "generate(digit, n) decodes codes from N(0, I) with that label")
)
def cvae_generate(inputs: dict, out: dict) -> tuple[bool, str]:
    """generate's images are decode of its codes with the label, detached, in [0, 1]."""
    n = inputs["n"]
    report = _cvae_generated(inputs, out)
    digit = inputs["digit"]
    images = as_array(report["images"], f"generate({digit}, {n})", (n, 784))
    if images.min() < 0 or images.max() > 1:
        return False, "generated images must be pixel probabilities in [0, 1]"
    if report["requires_grad"] is not False:
        return False, "generate's images are attached to a graph: generating needs no gradients"
    if _cvae_same_noise(inputs, report, images):
        return True, ""
    recorded = report.get("recorded")
    if recorded is not None:
        try:
            if close(images, as_array(recorded, "decode", (n, 784)), atol=1e-5):
                return True, ""
        except MalformedOutput:
            pass
    return False, (
        f"generate({digit}, n) should decode codes z ~ N(0, I) with the label {digit} for "
        "every image: decoding the same codes with that label gave other images"
    )


@cvae_checks.check(
    ev.part(
        "codes",
        "generate draws its own code z ~ N(0, I) for each image, fresh at every call",
    )
)
def cvae_codes(inputs: dict, out: dict) -> tuple[bool, str]:
    """generate draws its own fresh code per image, from N(0, I)."""
    latent, n = inputs["latent_dim"], inputs["n"]
    report = _cvae_generated(inputs, out)
    images = as_array(report["images"], f"generate(digit, {n})", (n, 784))
    again = as_array(report["again"], f"generate(digit, {n})", (n, 784))
    if close(images[0], images[1], atol=1e-7):
        return False, "each generated image needs its own code z ~ N(0, I)"
    if close(images, again, atol=1e-7):
        return False, "two calls of generate gave the same images: do not re-seed inside"
    if _cvae_same_noise(inputs, report, images):
        return True, ""  # decoded torch.randn(n, latent_dim) itself
    if report["big_shape"] != [inputs["big"], latent]:
        return False, (
            f"generate(digit, {inputs['big']}) should decode {inputs['big']} codes of "
            f"latent_dim = {latent} entries through self.decode"
        )
    mean = as_float(report["big_mean"], "the code mean")
    std = as_float(report["big_std"], "the code std")
    return abs(mean) < 0.15 and abs(std - 1) < 0.12, (
        f"the codes of generate have mean {mean:.2f} and std {std:.2f}: draw them from N(0, I)"
    )


# ------------------------------------------------------------------ q9: sample_quality


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64, stable for large logits."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


def _histogram_entropy(labels: np.ndarray) -> float:
    """Entropy in nats of the share of each of the 10 labels (0 log 0 = 0)."""
    shares = np.bincount(labels.astype(np.int64), minlength=10) / len(labels)
    shares = shares[shares > 0]
    return float(-(shares * np.log(shares)).sum())


def _quality_images(inputs: dict) -> np.ndarray:
    """The images of the linear part, rebuilt in float64 exactly as the probe builds them."""
    basis, coefficients = inputs["basis"].astype(np.float64), inputs["coefficients"]
    scales = inputs["scales"].astype(np.float64)[:, None]
    return 0.5 + 0.5 * scales * (coefficients.astype(np.float64) @ basis.T)


def _linear_logits(inputs: dict, coefficients: np.ndarray | None = None) -> np.ndarray:
    data = dict(inputs) if coefficients is None else {**inputs, "coefficients": coefficients}
    images = _quality_images(data)
    return images @ inputs["weight"].astype(np.float64).T + inputs["bias"].astype(np.float64)


def _top_gap(logits: np.ndarray) -> np.ndarray:
    ordered = np.sort(logits, axis=1)
    return ordered[:, -1] - ordered[:, -2]


def _awkward_count(rng: np.random.Generator) -> int:
    """An odd batch size whose last chunk is far from full for every usual chunk size."""
    while True:
        count = int(rng.integers(300, 650)) * 2 + 1
        sizes = (50, 64, 100, 128, 200, 250, 256, 500, 512)
        if all(0.15 < (count % size) / size < 0.85 for size in sizes if size < count):
            return count


def quality_inputs(rng: np.random.Generator) -> dict:
    """A fixed linear 'classifier' and low-rank images whose confidence grows along the batch;
    tables of logits for the known cases: one label, evenly spread labels, huge logits and ties."""
    rank, count = 6, _awkward_count(rng)
    basis = rng.uniform(-1 / rank, 1 / rank, (784, rank)).astype(np.float32)
    # the images' contrast grows along the batch, and with it the confidence and the variety of
    # labels: a mean of batch means, or of batch entropies, is then visibly wrong
    scales = np.linspace(0.05, 1.0, count).astype(np.float32)
    coefficients = rng.uniform(-1, 1, (count, rank)).astype(np.float32)
    weight = (3.0 * rng.standard_normal((10, 784))).astype(np.float32)
    # the bias centres the map on grey images: logits = weight @ (x - 0.5) + a small offset
    offset = 0.5 * rng.standard_normal(10)
    bias = (offset - 0.5 * weight.astype(np.float64).sum(axis=1)).astype(np.float32)
    inputs = {"basis": basis, "scales": scales, "weight": weight, "bias": bias}
    for _ in range(100):  # redraw the images whose two top logits nearly tie
        gaps = _top_gap(_linear_logits({**inputs, "coefficients": coefficients}))
        close_calls = gaps < 2e-3
        if not close_calls.any():
            break
        coefficients[close_calls] = rng.uniform(-1, 1, (int(close_calls.sum()), rank))
    inputs["coefficients"] = coefficients
    # the same images ordered by label: any batch then holds only a few labels
    labels = _linear_logits(inputs).argmax(axis=1)
    inputs["order"] = np.argsort(labels, kind="stable").astype(np.int64)

    one_label = int(rng.integers(10))
    single = rng.standard_normal((int(rng.integers(5, 10)) * 2 + 1, 10))
    single[:, one_label] = single.max(axis=1) + rng.uniform(0.5, 3.0, len(single))
    spread = rng.standard_normal((10 * int(rng.integers(2, 5)), 10))
    labels = rng.permutation(np.arange(len(spread)) % 10)
    spread[np.arange(len(spread)), labels] = spread.max(axis=1) + rng.uniform(0.3, 2.0, len(spread))
    # huge logits (a plain exp overflows in float32) and exact ties between two top classes
    huge = np.round(rng.uniform(-300, 300, (int(rng.integers(4, 7)) * 2 + 1, 10)), 1)
    for row in range(0, len(huge), 3):
        first, second = rng.choice(10, 2, replace=False)
        huge[row, first] = huge[row, second] = huge[row].max() + 20.0
    # a stream of uneven batches that together hold the images ordered by label
    sizes: list[int] = []
    while sum(sizes) < count:
        sizes.append(min(int(rng.integers(40, 260)), count - sum(sizes)))
    inputs.update(
        single=single.astype(np.float32),
        spread=spread.astype(np.float32),
        huge=huge.astype(np.float32),
        stream_sizes=sizes,
    )
    return inputs


def quality_probe(ns: dict, inputs: dict) -> dict:
    """sample_quality with a fixed linear classifier, and with modules returning given logits."""
    import torch

    attempt = ns["_vae_grading_attempt"]
    sample_quality = ns["sample_quality"]

    class GivenLogits(torch.nn.Module):
        """Returns row i of a table for the image whose first pixel is i / 1024."""

        def __init__(self, table):
            super().__init__()
            self.table = table
            self.anchor = torch.nn.Parameter(torch.zeros(()))  # so that parameters() is not empty

        def forward(self, x):
            index = (x.reshape(len(x), -1)[:, 0].double() * 1024).round().long()
            return self.table[index] + self.anchor.detach()

    def indexed_images(count):
        images = torch.full((count, 1, 28, 28), 0.5)
        images[:, 0, 0, 0] = torch.arange(count, dtype=torch.float32) / 1024
        return images

    def report(result):
        return {"confidence": result["confidence"], "label_entropy": result["label_entropy"]}

    def linear():
        classifier = torch.nn.Linear(784, 10)
        with torch.no_grad():
            classifier.weight.copy_(inputs["weight"])
            classifier.bias.copy_(inputs["bias"])
        offsets = inputs["coefficients"] @ inputs["basis"].T
        images = 0.5 + 0.5 * inputs["scales"][:, None] * offsets
        return [
            report(sample_quality(images, classifier)),
            report(sample_quality(images[inputs["order"]], classifier)),
        ]

    def given(name):
        table = inputs[name]
        return report(sample_quality(indexed_images(len(table)), GivenLogits(table)))

    def stream():
        """The linear images ordered by label, as a generator of uneven batches read once;
        records how many already scored batches are still held when the next is asked for."""
        import weakref

        classifier = torch.nn.Linear(784, 10)  # its weights require grad, as a real model's do
        with torch.no_grad():
            classifier.weight.copy_(inputs["weight"])
            classifier.bias.copy_(inputs["bias"])
        offsets = inputs["coefficients"] @ inputs["basis"].T
        images = (0.5 + 0.5 * inputs["scales"][:, None] * offsets)[inputs["order"]]
        refs, held = [], [0]

        def batches():
            start = 0
            for size in inputs["stream_sizes"]:
                held[0] = max(held[0], sum(ref() is not None for ref in refs))
                batch = images[start : start + size].clone()
                start += size
                refs.append(weakref.ref(batch))
                yield batch
                del batch
            held[0] = max(held[0], sum(ref() is not None for ref in refs))

        result = report(sample_quality(batches(), classifier))
        return {"result": result, "held": held[0], "batches": len(refs)}

    return {
        "stream": attempt(stream),
        "linear": attempt(linear),
        "single": attempt(lambda: given("single")),
        "spread": attempt(lambda: given("spread")),
        "huge": attempt(lambda: given("huge")),
    }


quality_checks = ev.Verdicts()

#: How a failing check names the call of sample_quality on the linear images.
QUALITY_CALL = "sample_quality(images, classifier)"


def _quality_numbers(
    out: dict, name: str, what: str, part: int | None = None
) -> tuple[float, float]:
    """The confidence and label_entropy that part `name` (or its run `part`) reported."""
    report = out[name]
    if part is not None:
        if isinstance(report, list) and len(report) == 2:
            report = report[part]
        elif not (isinstance(report, dict) and "error" in report):
            raise MalformedOutput(f"{what} reported nothing")
    if isinstance(report, dict) and "error" in report:
        as_float(report, what)  # raises with the error message
    if not isinstance(report, dict):
        raise MalformedOutput(f"{what} must return a dict")
    return (
        as_float(report.get("confidence"), f'{what}["confidence"]'),
        as_float(report.get("label_entropy"), f'{what}["label_entropy"]'),
    )


def _quality_streamed(out: dict) -> tuple[float, float]:
    """The confidence and label_entropy of the stream part."""
    report = out["stream"]
    if isinstance(report, dict) and "error" in report:
        as_float(report, "sample_quality on a generator of batches")  # raises with the error
    if not isinstance(report, dict) or not isinstance(report.get("result"), dict):
        raise MalformedOutput("sample_quality on a generator of batches must return a dict")
    result = report["result"]
    what = "sample_quality(batches, classifier)"
    return (
        as_float(result.get("confidence"), f'{what}["confidence"]'),
        as_float(result.get("label_entropy"), f'{what}["label_entropy"]'),
    )


def _quality_stream_passed(inputs: dict, out: dict) -> bool:
    """Whether the stream check passes: the memory is judged only once its numbers are right."""
    return ev.holds(lambda: quality_stream(inputs, out))


@quality_checks.check(
    ev.goal("stream", "both numbers exact over all images after one pass over a stream")
)
def quality_stream(inputs: dict, out: dict) -> tuple[bool, str]:
    """Both numbers over all images from a generator of uneven batches read once."""
    logits = _linear_logits(inputs)
    probs = _softmax(logits)
    got_confidence, got_entropy = _quality_streamed(out)
    expected_confidence = float(probs.max(axis=1).mean())
    expected_entropy = _histogram_entropy(logits.argmax(axis=1))
    sizes = inputs["stream_sizes"]
    ok = close(got_confidence, expected_confidence, atol=1e-4) and close(
        got_entropy, expected_entropy, atol=1e-4
    )
    whole = _quality_whole_tensor_right(inputs, out)
    return ok, (
        f"on a generator of {len(sizes)} batches of uneven sizes ({min(sizes)} to "
        f"{max(sizes)} images), read once, the result was confidence {got_confidence:.4f} and "
        f"label_entropy {got_entropy:.4f}; over all the images at once they are "
        f"{expected_confidence:.4f} and {expected_entropy:.4f}"
        + (
            ": on one tensor your numbers are right, so what you carry from batch to batch "
            "loses something when batches differ in size or in the digits they hold"
            if whole
            else " (the confidence and label_entropy checks say what is wrong on one tensor)"
        )
    )


def _quality_whole_tensor_right(inputs: dict, out: dict) -> bool:
    """Whether both numbers come out right when all the images arrive as one tensor."""
    return ev.holds(lambda: quality_confidence(inputs, out)) and ev.holds(
        lambda: quality_entropy(inputs, out)
    )


@quality_checks.check(ev.part("memory", "a scored batch is not kept: a fixed amount of state"))
def quality_memory(inputs: dict, out: dict) -> tuple[bool, str]:
    """At most two scored batches held while the stream is read, once the numbers are right."""
    _quality_streamed(out)  # a stream that could not be read at all fails here too
    held, read = out["stream"]["held"], out["stream"]["batches"]
    if not isinstance(held, int) or not isinstance(read, int):
        raise MalformedOutput("the stream's bookkeeping is missing")
    if read < len(inputs["stream_sizes"]) or not _quality_stream_passed(inputs, out):
        return False, "the memory a stream needs is judged once its numbers come out right"
    return held <= 2, (
        f"while reading a stream, up to {held} batches you had already scored were still "
        "held in memory: something you keep still refers to them (a list of batches, or a "
        "running sum that carries the autograd graph back to them)"
    )


@quality_checks.check(
    ev.goal("confidence", "confidence: the mean of the largest softmax probability")
)
def quality_confidence(inputs: dict, out: dict) -> tuple[bool, str]:
    """The mean top probability on the linear images, in either order."""
    logits = _linear_logits(inputs)
    probs = _softmax(logits)
    expected = float(probs.max(axis=1).mean())
    got, _ = _quality_numbers(out, "linear", QUALITY_CALL, 0)
    if close(got, expected, atol=1e-4):
        # the same images in another order
        got, _ = _quality_numbers(out, "linear", QUALITY_CALL, 1)
        if close(got, expected, atol=1e-4):
            return True, ""
    if not math.isfinite(got):
        return False, f"the confidence is {got}: compute the softmax stably"
    if close(got, float(logits.mean()), atol=1e-3) or close(
        got, float(logits.max(axis=1).mean()), atol=1e-3
    ):
        return False, "the confidence is a probability: apply softmax to the logits first"
    if close(got, float(probs.mean(axis=0).max()), atol=1e-4):
        return False, (
            "take each image's largest probability, then the mean over images (not the "
            "largest entry of the mean probabilities)"
        )
    return False, (
        "the confidence should be the mean over all images of each image's largest softmax "
        "probability"
    )


@quality_checks.check(
    ev.goal("entropy", "label_entropy: the entropy in nats of the predicted-label histogram")
)
def quality_entropy(inputs: dict, out: dict) -> tuple[bool, str]:
    """The entropy of the predicted-label histogram on the linear images, in either order."""
    logits = _linear_logits(inputs)
    probs = _softmax(logits)
    expected = _histogram_entropy(logits.argmax(axis=1))
    # ordered by label: batches hold few labels
    _, got = _quality_numbers(out, "linear", QUALITY_CALL, 1)
    if close(got, expected, atol=1e-4):
        _, got = _quality_numbers(out, "linear", QUALITY_CALL, 0)
        if close(got, expected, atol=1e-4):
            return True, ""
    if not math.isfinite(got):
        return False, f"label_entropy is {got}: a label that never occurs adds 0 (0 log 0 = 0)"
    if close(got, expected / math.log(2), atol=1e-4):
        return False, "label_entropy is in bits: use the natural logarithm (nats)"
    mean_probs = probs.mean(axis=0)
    if close(got, float(-(mean_probs * np.log(mean_probs)).sum()), atol=1e-4):
        return False, (
            "that is the entropy of the mean softmax; use the histogram of the predicted "
            "labels (the arg-max of each image)"
        )
    per_image = float(-(probs * np.log(np.clip(probs, 1e-300, None))).sum(axis=1).mean())
    if close(got, per_image, atol=1e-4):
        return False, (
            "that is the mean entropy of each image's softmax; label_entropy is the entropy "
            "of the histogram of predicted labels over all images"
        )
    return False, (
        "label_entropy should be the entropy (in nats) of the share of images predicted as "
        "each digit, over all the images"
    )


@quality_checks.check(
    ev.part("known", "label_entropy: the entropy in nats of the predicted-label histogram")
)
def quality_known(inputs: dict, out: dict) -> tuple[bool, str]:
    """Entropy 0 for one label and log 10 for evenly spread labels, with their confidences."""
    for name, entropy_expected, description in (
        ("single", 0.0, "every image gets the same label"),
        ("spread", math.log(10), "the labels are spread evenly over the ten digits"),
    ):
        table = inputs[name].astype(np.float64)
        got_confidence, got_entropy = _quality_numbers(out, name, QUALITY_CALL)
        if not close(got_entropy, entropy_expected, atol=1e-4):
            return False, (
                f"when {description}, label_entropy must be {entropy_expected:.4f}, got "
                f"{got_entropy:.4f}" + (" (0 log 0 counts as 0)" if name == "single" else "")
            )
        expected = float(_softmax(table).max(axis=1).mean())
        if not close(got_confidence, expected, atol=1e-4):
            return False, (
                f"when {description}, the confidence should be {expected:.4f} (the mean of "
                f"each image's largest softmax probability), got {got_confidence:.4f}"
            )
    return True, ""


@quality_checks.check(
    ev.part("stable", "independent of the batch split and finite for logits in the hundreds")
)
def quality_stable(inputs: dict, out: dict) -> tuple[bool, str]:
    """Finite and right for logits in the hundreds with ties between two top classes."""
    table = inputs["huge"].astype(np.float64)
    got_confidence, got_entropy = _quality_numbers(
        out, "huge", "sample_quality with logits in the hundreds"
    )
    if not (math.isfinite(got_confidence) and math.isfinite(got_entropy)):
        return False, (
            "with logits in the hundreds the result is nan or inf: an exponential overflows "
            "on the way to the softmax probabilities"
        )
    expected = float(_softmax(table).max(axis=1).mean())
    if not close(got_confidence, expected, atol=1e-4):
        return False, (
            f"with large logits and ties between two top classes the confidence should be "
            f"{expected:.4f}, got {got_confidence:.4f}: a tie gives each class probability 1/2"
        )
    first = _histogram_entropy(table.argmax(axis=1))
    last = _histogram_entropy(9 - table[:, ::-1].argmax(axis=1))
    return any(close(got_entropy, e, atol=1e-4) for e in (first, last)), (
        "with large logits and ties, label_entropy is wrong: count each image once, under "
        "its arg-max label"
    )


# ------------------------------------------------------------------ the questions

#: The clauses of each graded prompt; every one is the clause of some check (tests/grading).
CLAUSES: dict[str, tuple[str, ...]] = {
    "q1": (
        "codes z = temperature * eps of shape (n, model.latent_dim)",
        "returns model.decode(z): (n, 784) values in [0, 1]",
        "fresh codes at every call",
        "sampling needs no gradients",
    ),
    "q4": (
        SLERP_FORMULA,
        "cos(Omega) clamped to [-1, 1]; nearly parallel codes fall back to interpolate",
    ),
    "q6": (
        "forward(x, y) and encode(x, y) return the stated shapes, for flat or image x",
        "the label reaches both networks, as one_hot(y) of width num_classes",
        "forward decodes one code z = mu + sigma * eps",
        "gradients reach the encoder through the sampled code",
        "generate(digit, n) decodes codes from N(0, I) with that label",
        "generate draws its own code z ~ N(0, I) for each image, fresh at every call",
    ),
    "q9": (
        "both numbers exact over all images after one pass over a stream",
        "a scored batch is not kept: a fixed amount of state",
        "confidence: the mean of the largest softmax probability",
        "label_entropy: the entropy in nats of the predicted-label histogram",
        "independent of the batch split and finite for logits in the hundreds",
    ),
}

QUESTIONS = [
    prior_checks.question("q1", prior_inputs, prior_probe),
    slerp_checks.question("q4", slerp_inputs, slerp_probe),
    choice_question(
        "q5",
        "q5_answer",
        "a",
        "the density peaks at the origin; it is the probability mass that concentrates on the "
        "shell, and the straight line cuts through codes much shorter than typical ones",
    ),
    cvae_checks.question("q6", cvae_inputs, cvae_probe),
    choice_question(
        "q7",
        "q7_answer",
        "b",
        "whatever the label supplies, the code no longer needs to carry: here the thickness, so "
        "the code keeps the class and the rest of the style",
    ),
    quality_checks.question("q9", quality_inputs, quality_probe),
]
