"""06_likelihood_and_prior: the hidden tests give the key full marks, charge each mistake once,
accept correct variants, and give trivial stubs nothing.

Every mutant below is a mistake students make; it must lose points on its own question and on no
other. Every variant is a correct answer written differently (torch.distributions, float64, an
epsilon, clamping, torch.where done safely); it must keep every point. The cascade pairs a
mistake in gaussian_nll (q2) with a learned_variance_nll (q4) that calls it: only q2 may lose.
The stubs (the input returned, zeros, a constant, random noise, NaN) must score 0.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch.distributions import ContinuousBernoulli, Normal

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import hidden_scores, with_answers

ASSIGNMENT = "06_likelihood_and_prior"
AUTO_GRADED = {"q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"}
HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)

# ---------------------------------------------------------------- mutants: gaussian_nll (q2)


def gn_no_constant(x, mu, sigma):
    """The ½ log 2π per pixel left out."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    return ((x - mu) ** 2 / (2 * sigma**2) + torch.log(sigma)).expand_as(x).sum(dim=1)


def gn_mean_over_pixels(x, mu, sigma):
    """Averages over the pixels instead of summing."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    per_pixel = (x - mu) ** 2 / (2 * sigma**2) + torch.log(sigma) + HALF_LOG_2PI
    return per_pixel.expand_as(x).mean(dim=1)


def gn_sigma_as_variance(x, mu, sigma):
    """sigma used where sigma² belongs (and ½ log sigma for log sigma)."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    per_pixel = (x - mu) ** 2 / (2 * sigma) + 0.5 * torch.log(sigma) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def gn_log_variance_term(x, mu, sigma):
    """log sigma² where log sigma belongs."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    per_pixel = (x - mu) ** 2 / (2 * sigma**2) + torch.log(sigma**2) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def gn_scalar_sigma_only(x, mu, sigma):
    """float(sigma): breaks on one sigma per pixel."""
    s = float(sigma)
    return ((x - mu) ** 2 / (2 * s * s) + math.log(s) + HALF_LOG_2PI).sum(dim=1)


def gn_batch_mean(x, mu, sigma):
    """One number for the whole batch."""
    return gaussian_nll_key(x, mu, sigma).mean()


def gn_sigma_per_pixel_only(x, mu, sigma):
    """Takes a sigma tensor to be one value per pixel: its log summed once for the whole batch,
    wrong for one sigma per image."""
    s = torch.as_tensor(sigma, dtype=x.dtype)
    d = x.shape[1]
    log_term = torch.log(s).sum() if s.ndim else d * torch.log(s)
    return ((x - mu) ** 2 / (2 * s**2)).sum(dim=1) + log_term + d * HALF_LOG_2PI


def gaussian_nll_key(x, mu, sigma):
    """A correct gaussian_nll (used by mutants and cascades)."""
    sigma = torch.as_tensor(sigma, dtype=x.dtype)
    per_pixel = (x - mu) ** 2 / (2 * sigma**2) + torch.log(sigma) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


# ---------------------------------------------------------------- mutants: learned_variance_nll


def lv_no_floor(x, mu, log_sigma, sigma_min=0.01):
    """No floor at all."""
    sigma = torch.exp(log_sigma)
    per_pixel = (x - mu) ** 2 / (2 * sigma**2) + log_sigma + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_floor_on_variance(x, mu, log_sigma, sigma_min=0.01):
    """The floor applied to sigma² instead of sigma."""
    var = torch.exp(2 * log_sigma).clamp(min=sigma_min)
    per_pixel = (x - mu) ** 2 / (2 * var) + 0.5 * torch.log(var) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_additive_floor(x, mu, log_sigma, sigma_min=0.01):
    """sigma + sigma_min instead of max(sigma, sigma_min)."""
    sigma = torch.exp(log_sigma) + sigma_min
    per_pixel = (x - mu) ** 2 / (2 * sigma**2) + torch.log(sigma) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_variance_overflows(x, mu, log_sigma, sigma_min=0.01):
    """Floors correctly but forms exp(2 log_sigma): infinite for large log_sigma."""
    var = torch.exp(2 * log_sigma).clamp(min=sigma_min**2)
    per_pixel = (x - mu) ** 2 / (2 * var) + 0.5 * torch.log(var) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_where_nan_gradient(x, mu, log_sigma, sigma_min=0.01):
    """torch.where around log(exp(log_sigma)): log 0 in the unused branch sends NaN back."""
    sigma = torch.exp(log_sigma)
    log_s = torch.where(
        sigma > sigma_min, torch.log(sigma), torch.full_like(sigma, math.log(sigma_min))
    )
    s = torch.where(sigma > sigma_min, sigma, torch.full_like(sigma, sigma_min))
    per_pixel = (x - mu) ** 2 / (2 * s**2) + log_s + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_gaussian_nll_loss(x, mu, log_sigma, sigma_min=0.01):
    """F.gaussian_nll_loss with var = exp(2 log_sigma) floored: overflows for large log_sigma."""
    var = torch.exp(2 * log_sigma).expand_as(x).clamp(min=sigma_min**2)
    return F.gaussian_nll_loss(mu, x, var, full=True, reduction="none", eps=1e-12).sum(dim=1)


def lv_no_constant(x, mu, log_sigma, sigma_min=0.01):
    """Floored and stable, but without the ½ log 2π."""
    log_s = torch.clamp(log_sigma, min=math.log(sigma_min))
    return (0.5 * ((x - mu) * torch.exp(-log_s)) ** 2 + log_s).expand_as(x).sum(dim=1)


def lv_log_sigma_as_log_variance(x, mu, log_sigma, sigma_min=0.01):
    """Treats log_sigma as log sigma²."""
    log_s = torch.clamp(0.5 * log_sigma, min=math.log(sigma_min))
    per_pixel = 0.5 * ((x - mu) * torch.exp(-log_s)) ** 2 + log_s + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_detached_floor(x, mu, log_sigma, sigma_min=0.01):
    """Computes sigma from log_sigma.detach(): no gradient reaches log_sigma."""
    log_s = torch.clamp(log_sigma.detach(), min=math.log(sigma_min))
    per_pixel = 0.5 * ((x - mu) * torch.exp(-log_s)) ** 2 + log_s + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_clamps_in_place(x, mu, log_sigma, sigma_min=0.01):
    """Right values, but clamps the caller's log_sigma in place."""
    with torch.no_grad():
        log_sigma.clamp_(min=math.log(sigma_min))
    per_pixel = 0.5 * ((x - mu) * torch.exp(-log_sigma)) ** 2 + log_sigma + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_default_floor(x, mu, log_sigma, sigma_min=1e-3):
    """Right, but the floor defaults to 1e-3, not the 0.01 of the signature."""
    log_s = torch.clamp(log_sigma, min=math.log(sigma_min))
    per_pixel = 0.5 * ((x - mu) * torch.exp(-log_s)) ** 2 + log_s + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


# ---------------------------------------------------------------- mutants: cb_log_normalizer


def cb_naive_lambda(logits):
    """The formula in lambda, as printed: 0/0 at ½ and infinite once lambda rounds to 0 or 1."""
    lam = torch.sigmoid(logits)
    return torch.log(2 * torch.atanh(1 - 2 * lam) / (1 - 2 * lam))


def cb_torch_distributions(logits):
    """torch's ContinuousBernoulli: it clamps the probabilities, wrong for saturated logits."""
    return ContinuousBernoulli(logits=logits)._cont_bern_log_norm()


def cb_where_nan_gradient(logits):
    """Right values, but torch.where over a 0/0 branch: NaN gradient at logit 0."""
    ratio = logits / torch.tanh(logits / 2)
    return torch.where(logits == 0, torch.full_like(logits, math.log(2)), torch.log(ratio))


def cb_returns_c(logits):
    """Returns C, not log C."""
    return torch.exp(cb_log_normalizer_key(logits))


def cb_missing_half(logits):
    """tanh(eta) where tanh(eta / 2) belongs."""
    a = logits.abs()
    small = a < 1e-2
    safe = torch.where(small, torch.ones_like(a), a)
    return torch.where(small, torch.zeros_like(a), torch.log(safe) - torch.log(torch.tanh(safe)))


def cb_no_abs(logits):
    """log(eta) - log(tanh(eta / 2)) on signed logits: NaN for negative ones."""
    small = logits.abs() < 1e-2
    safe = torch.where(small, torch.ones_like(logits), logits)
    exact = torch.log(safe) - torch.log(torch.tanh(safe / 2))
    return torch.where(small, math.log(2.0) + logits**2 / 12, exact)


def cb_float32_buffer(logits):
    """Right in float32, but fills a result made by zeros(shape), float32: float64 logits fail."""
    a = logits.abs()
    small = a < 1e-2
    safe = torch.where(small, torch.ones_like(a), a)
    exact = torch.log(safe) - torch.log(torch.tanh(safe / 2))
    out = torch.zeros(tuple(logits.shape))
    out[small] = math.log(2.0) + a[small] ** 2 / 12
    out[~small] = exact[~small]
    return out


def cb_log_normalizer_key(logits):
    """A correct log normalizer (used by mutants)."""
    a = logits.abs()
    small = a < 1e-2
    safe = torch.where(small, torch.ones_like(a), a)
    exact = torch.log(safe) - torch.log(torch.tanh(safe / 2))
    return torch.where(small, math.log(2.0) + a**2 / 12 - 7 * a**4 / 1440, exact)


# ---------------------------------------------------------------- mutants: mog_log_density


def _log_normals(z, means, log_vars):
    diff = z.unsqueeze(1) - means
    return -0.5 * (diff**2 * torch.exp(-log_vars) + log_vars + math.log(2 * math.pi)).sum(dim=2)


def mog_naive_sum_exp(z, means, log_vars, logits):
    """log(sum(pi * exp(log N))): -inf once every density underflows."""
    weights = torch.softmax(logits, dim=0)
    return torch.log((weights * torch.exp(_log_normals(z, means, log_vars))).sum(dim=1))


def mog_unnormalised_logits(z, means, log_vars, logits):
    """The logits used as log-weights, without the softmax."""
    return torch.logsumexp(logits + _log_normals(z, means, log_vars), dim=1)


def mog_equal_weights(z, means, log_vars, logits):
    """Ignores the logits: equal weights."""
    return torch.logsumexp(_log_normals(z, means, log_vars), dim=1) - math.log(len(means))


def mog_log_vars_as_log_std(z, means, log_vars, logits):
    """Reads log_vars as log standard deviations."""
    return torch.logsumexp(
        torch.log_softmax(logits, dim=0) + _log_normals(z, means, 2 * log_vars), dim=1
    )


def mog_no_constant(z, means, log_vars, logits):
    """The log 2π terms left out."""
    diff = z.unsqueeze(1) - means
    log_n = -0.5 * (diff**2 * torch.exp(-log_vars) + log_vars).sum(dim=2)
    return torch.logsumexp(torch.log_softmax(logits, dim=0) + log_n, dim=1)


def mog_max_component(z, means, log_vars, logits):
    """The largest component only (a max where the log-sum-exp belongs)."""
    terms = torch.log_softmax(logits, dim=0) + _log_normals(z, means, log_vars)
    return terms.max(dim=1).values


# ---------------------------------------------------------------- mutants: mc_kl


def _log_q(z, mu, logvar):
    return (-0.5 * ((z - mu) ** 2 * torch.exp(-logvar) + logvar) - HALF_LOG_2PI).sum(dim=1)


def mk_closed_form_standard(z, mu, logvar, log_prior):
    """The closed-form KL to N(0, I): ignores the prior it is given."""
    return 0.5 * (mu**2 + logvar.exp() - 1 - logvar).sum(dim=1)


def mk_sign_flipped(z, mu, logvar, log_prior):
    """log p(z) - log q(z|x)."""
    return log_prior(z) - _log_q(z, mu, logvar)


def mk_prior_at_mean(z, mu, logvar, log_prior):
    """The prior evaluated at mu instead of the sample."""
    return _log_q(z, mu, logvar) - log_prior(mu)


def mk_logvar_as_log_std(z, mu, logvar, log_prior):
    """Reads logvar as a log standard deviation."""
    return _log_q(z, mu, 2 * logvar) - log_prior(z)


def mk_no_constant(z, mu, logvar, log_prior):
    """log q without its log 2π terms."""
    log_q = (-0.5 * ((z - mu) ** 2 * torch.exp(-logvar) + logvar)).sum(dim=1)
    return log_q - log_prior(z)


# ---------------------------------------------------------------- trivial stubs (must score 0)


STUB_SHAPES: dict[str, tuple[str, Callable[..., tuple[int, ...]]]] = {
    "q2": ("gaussian_nll", lambda x, *a: (len(x),)),
    "q4": ("learned_variance_nll", lambda x, *a: (len(x),)),
    "q6": ("cb_log_normalizer", lambda logits: tuple(logits.shape)),
    "q8": ("mog_log_density", lambda z, *a: (len(z),)),
    "q9": ("mc_kl", lambda z, *a: (len(z),)),
}


def stub(kind: str, shape_of: Callable[..., tuple[int, ...]]) -> Callable[..., Any]:
    """A trivial answer of the right shape: the input, zeros, a constant, noise or NaN."""

    def answer(*args: Any, **kwargs: Any) -> Any:
        if kind == "input":
            return args[0]
        shape = shape_of(*args)
        if kind == "zeros":
            return torch.zeros(shape)
        if kind == "constant":
            return torch.full(shape, 1.2345)
        if kind == "noise":
            return torch.randn(shape)
        return torch.full(shape, float("nan"))

    return answer


STUB_KINDS = ("input", "zeros", "constant", "noise", "nan")
STUBS = {
    f"stub_{kind}_{question}": (question, name, stub(kind, shape_of))
    for question, (name, shape_of) in STUB_SHAPES.items()
    for kind in STUB_KINDS
}

MUTANTS: dict[str, tuple[str, str, Any]] = {
    "gn_no_constant": ("q2", "gaussian_nll", gn_no_constant),
    "gn_mean_over_pixels": ("q2", "gaussian_nll", gn_mean_over_pixels),
    "gn_sigma_as_variance": ("q2", "gaussian_nll", gn_sigma_as_variance),
    "gn_log_variance_term": ("q2", "gaussian_nll", gn_log_variance_term),
    "gn_scalar_sigma_only": ("q2", "gaussian_nll", gn_scalar_sigma_only),
    "gn_batch_mean": ("q2", "gaussian_nll", gn_batch_mean),
    "gn_sigma_per_pixel_only": ("q2", "gaussian_nll", gn_sigma_per_pixel_only),
    "q3_a": ("q3", "q3_answer", "a"),
    "q3_d": ("q3", "q3_answer", "d"),
    "lv_no_floor": ("q4", "learned_variance_nll", lv_no_floor),
    "lv_floor_on_variance": ("q4", "learned_variance_nll", lv_floor_on_variance),
    "lv_additive_floor": ("q4", "learned_variance_nll", lv_additive_floor),
    "lv_variance_overflows": ("q4", "learned_variance_nll", lv_variance_overflows),
    "lv_where_nan_gradient": ("q4", "learned_variance_nll", lv_where_nan_gradient),
    "lv_gaussian_nll_loss": ("q4", "learned_variance_nll", lv_gaussian_nll_loss),
    "lv_no_constant": ("q4", "learned_variance_nll", lv_no_constant),
    "lv_log_sigma_as_log_variance": ("q4", "learned_variance_nll", lv_log_sigma_as_log_variance),
    "lv_detached_floor": ("q4", "learned_variance_nll", lv_detached_floor),
    "lv_clamps_in_place": ("q4", "learned_variance_nll", lv_clamps_in_place),
    "lv_default_floor": ("q4", "learned_variance_nll", lv_default_floor),
    "q5_nats_over_d": ("q5", "q5_answer", -3600 / 784 / math.log(2)),
    "q5_forgot_log256": ("q5", "q5_answer", -3600 / (784 * math.log(2))),
    "q5_in_nats": ("q5", "q5_answer", (-3600 + 784 * math.log(256)) / 784),
    "cb_naive_lambda": ("q6", "cb_log_normalizer", cb_naive_lambda),
    "cb_torch_distributions": ("q6", "cb_log_normalizer", cb_torch_distributions),
    "cb_where_nan_gradient": ("q6", "cb_log_normalizer", cb_where_nan_gradient),
    "cb_returns_c": ("q6", "cb_log_normalizer", cb_returns_c),
    "cb_missing_half": ("q6", "cb_log_normalizer", cb_missing_half),
    "cb_no_abs": ("q6", "cb_log_normalizer", cb_no_abs),
    "cb_float32_buffer": ("q6", "cb_log_normalizer", cb_float32_buffer),
    "q7_b": ("q7", "q7_answer", "b"),
    "q7_c": ("q7", "q7_answer", "c"),
    "mog_naive_sum_exp": ("q8", "mog_log_density", mog_naive_sum_exp),
    "mog_unnormalised_logits": ("q8", "mog_log_density", mog_unnormalised_logits),
    "mog_equal_weights": ("q8", "mog_log_density", mog_equal_weights),
    "mog_log_vars_as_log_std": ("q8", "mog_log_density", mog_log_vars_as_log_std),
    "mog_no_constant": ("q8", "mog_log_density", mog_no_constant),
    "mog_max_component": ("q8", "mog_log_density", mog_max_component),
    "mk_closed_form_standard": ("q9", "mc_kl", mk_closed_form_standard),
    "mk_sign_flipped": ("q9", "mc_kl", mk_sign_flipped),
    "mk_prior_at_mean": ("q9", "mc_kl", mk_prior_at_mean),
    "mk_logvar_as_log_std": ("q9", "mc_kl", mk_logvar_as_log_std),
    "mk_no_constant": ("q9", "mc_kl", mk_no_constant),
    **STUBS,
}

# ---------------------------------------------------------------- correct variants


def gn_distributions(x, mu, sigma):
    """torch.distributions.Normal, validated."""
    scale = torch.as_tensor(sigma, dtype=x.dtype).expand_as(x)
    return -Normal(mu, scale, validate_args=True).log_prob(x).sum(dim=1)


def gn_float64(x, mu, sigma):
    """Everything in float64, written with the variance."""
    x, mu = x.double(), mu.double()
    var = torch.as_tensor(sigma, dtype=torch.float64) ** 2
    return (0.5 * (x - mu) ** 2 / var + 0.5 * torch.log(2 * math.pi * var)).expand_as(x).sum(1)


def gn_torch_loss(x, mu, sigma):
    """F.gaussian_nll_loss with full=True and a tiny eps."""
    var = (torch.as_tensor(sigma, dtype=x.dtype) ** 2).expand_as(x)
    return F.gaussian_nll_loss(mu, x, var, full=True, reduction="none", eps=1e-12).sum(dim=1)


def lv_distributions(x, mu, log_sigma, sigma_min=0.01):
    """Normal(mu, exp(log_sigma).clamp(min=sigma_min)).log_prob."""
    scale = torch.exp(log_sigma).clamp(min=sigma_min).expand_as(x)
    return -Normal(mu, scale).log_prob(x).sum(dim=1)


def lv_float64_maximum(x, mu, log_sigma, sigma_min=0.01):
    """float64, torch.maximum of sigma and sigma_min, division by sigma."""
    x, mu, log_sigma = x.double(), mu.double(), log_sigma.double()
    sigma = torch.maximum(torch.exp(log_sigma), torch.tensor(sigma_min, dtype=torch.float64))
    per_pixel = 0.5 * ((x - mu) / sigma) ** 2 + torch.log(sigma) + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_safe_where(x, mu, log_sigma, sigma_min=0.01):
    """torch.where on log_sigma itself (both branches finite), then the exact formula."""
    floor = torch.full_like(log_sigma, math.log(sigma_min))
    log_s = torch.where(log_sigma > floor, log_sigma, floor)
    per_pixel = 0.5 * (x - mu) ** 2 * torch.exp(-2 * log_s) + log_s + HALF_LOG_2PI
    return per_pixel.expand_as(x).sum(dim=1)


def lv_calls_gaussian_nll(x, mu, log_sigma, sigma_min=0.01):
    """Floors sigma, then calls the notebook's gaussian_nll, looked up when it runs (as a
    notebook cell's global is): here, in the namespace the probe was given."""
    frame = sys._getframe(1)
    while frame is not None and not isinstance(frame.f_locals.get("ns"), dict):
        frame = frame.f_back
    assert frame is not None, "called outside a probe"
    gaussian_nll = frame.f_locals["ns"]["gaussian_nll"]
    sigma = torch.exp(log_sigma).clamp(min=sigma_min).expand_as(x)
    return gaussian_nll(x, mu, sigma)


def cb_series_float64(logits):
    """float64 throughout, a two-term series below 1e-3, log(eta / tanh(eta / 2)) above."""
    e = logits.double()
    small = e.abs() < 1e-3
    safe = torch.where(small, torch.ones_like(e), e)
    exact = torch.log(safe / torch.tanh(safe / 2))
    return torch.where(small, math.log(2.0) + e**2 / 12, exact)


def cb_logcosh_form(logits):
    """log C = log(2 eta) - log(e^eta - 1) + log(e^eta + 1), symmetric and stable via softplus,
    with a series near 0 (different algebra, same function)."""
    a = logits.abs()
    small = a < 1e-3
    safe = torch.where(small, torch.ones_like(a), a)
    # tanh(a/2) = (1 - e^-a) / (1 + e^-a)
    exact = torch.log(safe) - torch.log(-torch.expm1(-safe)) + torch.log1p(torch.exp(-safe))
    return torch.where(small, math.log(2.0) + a**2 / 12, exact)


def cb_library_in_the_middle(logits):
    """torch's ContinuousBernoulli in float64 where it is accurate (|logit| < 30), log|logit|
    beyond (where tanh(|logit| / 2) is 1 to double precision)."""
    inside = logits.abs() < 30
    safe_in = torch.where(inside, logits, torch.zeros_like(logits))
    safe_out = torch.where(inside, torch.full_like(logits, 40.0), logits.abs())
    lib = ContinuousBernoulli(logits=safe_in.double())._cont_bern_log_norm().to(logits.dtype)
    return torch.where(inside, lib, torch.log(safe_out))


def mog_distributions(z, means, log_vars, logits):
    """MixtureSameFamily of Independent Normals."""
    from torch.distributions import Categorical, Independent, MixtureSameFamily

    components = Independent(Normal(means, torch.exp(0.5 * log_vars)), 1)
    return MixtureSameFamily(Categorical(logits=logits), components).log_prob(z)


def mog_manual_max_float64(z, means, log_vars, logits):
    """float64, log-sum-exp written by hand with the maximum subtracted, loops over components."""
    z, means, log_vars, logits = (t.double() for t in (z, means, log_vars, logits))
    log_pi = logits - torch.logsumexp(logits, dim=0)
    terms = []
    for k in range(len(means)):
        normal = Normal(means[k], torch.exp(0.5 * log_vars[k]))
        terms.append(log_pi[k] + normal.log_prob(z).sum(dim=1))
    stacked = torch.stack(terms, dim=1)
    top = stacked.max(dim=1, keepdim=True).values
    return (top + torch.log(torch.exp(stacked - top).sum(dim=1, keepdim=True))).squeeze(1)


def mk_distributions(z, mu, logvar, log_prior):
    """Normal(mu, std).log_prob."""
    return Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(dim=1) - log_prior(z)


def mk_float64(z, mu, logvar, log_prior):
    """log q in float64, written with the standardised sample."""
    eps = (z.double() - mu.double()) / torch.exp(0.5 * logvar.double())
    log_q = (-0.5 * eps**2 - 0.5 * logvar.double() - HALF_LOG_2PI).sum(dim=1)
    return log_q - log_prior(z).double()


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "gn_distributions": ("q2", "gaussian_nll", gn_distributions),
    "gn_float64": ("q2", "gaussian_nll", gn_float64),
    "gn_torch_loss": ("q2", "gaussian_nll", gn_torch_loss),
    "q3_upper": ("q3", "q3_answer", "C"),
    "lv_distributions": ("q4", "learned_variance_nll", lv_distributions),
    "lv_float64_maximum": ("q4", "learned_variance_nll", lv_float64_maximum),
    "lv_safe_where": ("q4", "learned_variance_nll", lv_safe_where),
    "lv_calls_gaussian_nll": ("q4", "learned_variance_nll", lv_calls_gaussian_nll),
    "q5_rounded": ("q5", "q5_answer", 1.38),
    "cb_series_float64": ("q6", "cb_log_normalizer", cb_series_float64),
    "cb_logcosh_form": ("q6", "cb_log_normalizer", cb_logcosh_form),
    "cb_library_in_the_middle": ("q6", "cb_log_normalizer", cb_library_in_the_middle),
    "q7_parenthesised": ("q7", "q7_answer", "(a)"),
    "mog_distributions": ("q8", "mog_log_density", mog_distributions),
    "mog_manual_max_float64": ("q8", "mog_log_density", mog_manual_max_float64),
    "mk_distributions": ("q9", "mc_kl", mk_distributions),
    "mk_float64": ("q9", "mc_kl", mk_float64),
}

# ---------------------------------------------------------------- cascades
# learned_variance_nll may call gaussian_nll. The q4 probe runs it again with a stand-in
# gaussian_nll swapped in, and the verdict accepts either run, so a q2 mistake costs q2 only.

CASCADES: dict[str, tuple[str, dict[str, Any]]] = {
    "gn_no_constant_then_lv_calls_it": (
        "q2",
        {"gaussian_nll": gn_no_constant, "learned_variance_nll": lv_calls_gaussian_nll},
    ),
    "gn_mean_over_pixels_then_lv_calls_it": (
        "q2",
        {
            "gaussian_nll": gn_mean_over_pixels,
            "learned_variance_nll": lv_calls_gaussian_nll,
        },
    ),
    "gn_sigma_as_variance_then_lv_calls_it": (
        "q2",
        {
            "gaussian_nll": gn_sigma_as_variance,
            "learned_variance_nll": lv_calls_gaussian_nll,
        },
    ),
}

# ---------------------------------------------------------------- tests


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS, cascades=CASCADES, key_seeds=(None,))


@pytest.mark.thorough
@pytest.mark.parametrize("name", sorted(STUBS))
def test_trivial_stub_scores_zero(name: str) -> None:
    """The input returned, zeros, a constant, noise or NaN earn nothing on their question."""
    question, variable, value = STUBS[name]
    scores = hidden_scores(ASSIGNMENT, with_answers(ASSIGNMENT, {variable: value}))
    assert scores[question] == 0.0, f"{name} earns {scores[question]:.0%} of {question}"
