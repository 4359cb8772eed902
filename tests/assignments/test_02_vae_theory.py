"""02_vae_theory: the built hidden tests pass the key, catch each classic mistake, accept variants.

Every mutant below is a mistake students make; each must fail at least one hidden test. Every
variant is a correct answer written differently; each must pass all tests, public and hidden.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Independent, Normal, kl_divergence

from tests.assignments.harness import AssignmentChecks, Cases

ASSIGNMENT = "02_vae_theory"
AUTO_GRADED = {"q1", "q2", "q3", "q5", "q6", "q7", "q8", "q8b", "q9", "q10"}


# ---------------------------------------------------------------- mutants (classic mistakes)


def kl_wrong_sign(mu, logvar):
    """Sign flipped: the familiar -0.5 * sum(1 + logvar - mu^2 - exp(logvar)) without the minus."""
    return 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)


def kl_missing_half(mu, logvar):
    """The factor 1/2 forgotten."""
    return (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)


def kl_sigma_as_logvar(mu, logvar):
    """Treats the second argument as sigma."""
    return 0.5 * (mu.pow(2) + logvar.pow(2) - 1 - torch.log(logvar.pow(2))).sum(dim=-1)


def kl_std_as_variance(mu, logvar):
    """Uses exp(logvar / 2) = sigma where sigma^2 is meant."""
    return 0.5 * (mu.pow(2) + torch.exp(0.5 * logvar) - 1 - 0.5 * logvar).sum(dim=-1)


def kl_mean_over_dims(mu, logvar):
    """Averages over latent dimensions instead of summing."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean(dim=-1)


def kl_no_reduction(mu, logvar):
    """Returns (B, d) instead of (B,)."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)


def kl_sum_over_batch(mu, logvar):
    """Sums over the batch too: a scalar."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum()


def kl_missing_minus_one(mu, logvar):
    """Drops the -1: not zero at the prior."""
    return 0.5 * (mu.pow(2) + logvar.exp() - logvar).sum(dim=-1)


def kl_detached(mu, logvar):
    """Right values, but no gradient."""
    return (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)).detach()


def mc_closed_form(mu, logvar, n_samples):
    """Returns the closed form: deterministic, not an estimate."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)


def mc_sum_over_samples(mu, logvar, n_samples):
    """Sums over samples instead of averaging."""
    std = torch.exp(0.5 * logvar)
    z = Normal(mu, std).sample((n_samples,))
    ratio = Normal(mu, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)
    return ratio.sum(dim=-1).sum(dim=0)


def mc_samples_from_prior(mu, logvar, n_samples):
    """Draws z from the prior instead of from q."""
    std = torch.exp(0.5 * logvar)
    z = torch.randn(n_samples, *mu.shape)
    ratio = Normal(mu, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)
    return ratio.sum(dim=-1).mean(dim=0)


def mc_missing_logvar_term(mu, logvar, n_samples):
    """Forgets the -log(sigma^2)/2 normaliser of log q."""
    std = torch.exp(0.5 * logvar)
    eps = torch.randn(n_samples, *mu.shape)
    z = mu + std * eps
    return (-0.5 * eps.pow(2) + 0.5 * z.pow(2)).sum(dim=-1).mean(dim=0)


def mc_exp_logvar_as_std(mu, logvar, n_samples):
    """Samples with standard deviation exp(logvar)."""
    std = torch.exp(logvar)
    z = mu + std * torch.randn(n_samples, *mu.shape)
    ratio = Normal(mu, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)
    return ratio.sum(dim=-1).mean(dim=0)


def mc_mean_over_dims(mu, logvar, n_samples):
    """Averages over latent dimensions instead of summing."""
    std = torch.exp(0.5 * logvar)
    z = mu + std * torch.randn(n_samples, *mu.shape)
    ratio = Normal(mu, std).log_prob(z) - Normal(0.0, 1.0).log_prob(z)
    return ratio.mean(dim=-1).mean(dim=0)


def rep_no_noise(mu, logvar):
    """Returns the mean: no sampling at all."""
    return mu + 0 * logvar


def rep_exp_logvar_as_std(mu, logvar):
    """Uses exp(logvar) = sigma^2 as the standard deviation."""
    return mu + torch.exp(logvar) * torch.randn_like(mu)


def rep_logvar_as_std(mu, logvar):
    """Uses logvar itself as the standard deviation."""
    return mu + logvar * torch.randn_like(mu)


def rep_torch_normal(mu, logvar):
    """Samples with torch.normal: right distribution, zero gradient."""
    return torch.normal(mu, torch.exp(0.5 * logvar))


def rep_detached(mu, logvar):
    """Right distribution, cut from the graph."""
    return (mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).detach()


def rep_shared_noise(mu, logvar):
    """One noise vector shared by every row of the batch."""
    eps = torch.randn(mu.shape[-1], dtype=mu.dtype)
    return mu + torch.exp(0.5 * logvar) * eps


def rep_reseeded(mu, logvar):
    """Reseeds inside: every call returns the same sample."""
    torch.manual_seed(0)
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


def rep_uniform_noise(mu, logvar):
    """Uniform noise instead of Gaussian."""
    return mu + torch.exp(0.5 * logvar) * torch.rand_like(mu)


def nll_mean_over_pixels(x_hat, x):
    """Averages over pixels: the PyTorch default scale."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="none").mean(dim=1)


def nll_default_reduction(x_hat, x):
    """F.binary_cross_entropy with its default reduction: one scalar mean."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape))


def nll_sum_everything(x_hat, x):
    """reduction='sum': one scalar for the whole batch."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="sum")


def nll_wrong_sign(x_hat, x):
    """The log-likelihood instead of its negative."""
    x = x.reshape(x_hat.shape)
    return (x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)


def nll_swapped_arguments(x_hat, x):
    """Prediction and target swapped."""
    x = x.reshape(x_hat.shape)
    return F.binary_cross_entropy(x, x_hat, reduction="none").sum(dim=1)


def nll_hard_coded_784(x_hat, x):
    """Assumes 784 pixels."""
    x = x.reshape(-1, 784)
    return F.binary_cross_entropy(x_hat.reshape(-1, 784), x, reduction="none").sum(dim=1)


def nll_squared_error(x_hat, x):
    """Squared error instead of the Bernoulli likelihood."""
    return (x_hat - x.reshape(x_hat.shape)).pow(2).sum(dim=1)


def _ref_nll(x_hat, x):
    x = x.reshape(x_hat.shape)
    return -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)


def _ref_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def elbo_sum_over_batch(x_hat, x, mu, logvar, beta=1.0):
    """Sums over the batch instead of averaging."""
    return (_ref_nll(x_hat, x) + beta * _ref_kl(mu, logvar)).sum()


def elbo_minus_kl(x_hat, x, mu, logvar, beta=1.0):
    """Subtracts the KL (confuses the ELBO with its negative)."""
    return (_ref_nll(x_hat, x) - beta * _ref_kl(mu, logvar)).mean()


def elbo_beta_on_reconstruction(x_hat, x, mu, logvar, beta=1.0):
    """beta multiplies the wrong term."""
    return (beta * _ref_nll(x_hat, x) + _ref_kl(mu, logvar)).mean()


def elbo_ignores_beta(x_hat, x, mu, logvar, beta=1.0):
    """beta accepted but unused."""
    return (_ref_nll(x_hat, x) + _ref_kl(mu, logvar)).mean()


def elbo_pixel_mean(x_hat, x, mu, logvar, beta=1.0):
    """Reconstruction averaged over pixels (F.binary_cross_entropy's default) plus the summed KL."""
    recon = F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape))
    return recon + beta * _ref_kl(mu, logvar).mean()


def elbo_keeps_a_dimension(x_hat, x, mu, logvar, beta=1.0):
    """The right value with a dimension kept: shape (1,), not a 0-dimensional scalar."""
    return (_ref_nll(x_hat, x) + beta * _ref_kl(mu, logvar)).mean(dim=0, keepdim=True)


def elbo_detached_kl(x_hat, x, mu, logvar, beta=1.0):
    """KL computed on detached tensors: no gradient reaches the encoder through it."""
    return (_ref_nll(x_hat, x) + beta * _ref_kl(mu.detach(), logvar.detach())).mean()


def mc_closed_form_plus_noise(mu, logvar, n_samples):
    """The closed form plus a little noise: random, converges, but not a Monte Carlo estimate."""
    exact = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=-1)
    return exact + 0.05 * torch.randn_like(exact) / math.sqrt(n_samples)


def logits_sigmoid_then_bce(logits, x):
    """Sigmoid, then F.binary_cross_entropy: clamped at -100 nats once sigmoid rounds to 1."""
    x = x.reshape(logits.shape)
    return F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="none").sum(dim=1)


def logits_sigmoid_epsilon(logits, x):
    """Sigmoid, then the explicit logs with an epsilon: capped near 16 nats when saturated."""
    p, x = torch.sigmoid(logits), x.reshape(logits.shape)
    eps = 1e-7
    return -(x * torch.log(p + eps) + (1 - x) * torch.log(1 - p + eps)).sum(dim=1)


def logits_sigmoid_in_float64(logits, x):
    """Sigmoid and logs in float64: sigmoid(l) still rounds to 1 for l above about 37."""
    p, x = torch.sigmoid(logits.double()), x.reshape(logits.shape).double()
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(dim=1)


def logits_log_of_sigmoids(logits, x):
    """log(sigmoid(l)) and log(sigmoid(-l)): right until sigmoid underflows to 0 below -88."""
    x = x.reshape(logits.shape)
    log_p, log_not_p = torch.sigmoid(logits).log(), torch.sigmoid(-logits).log()
    return -(x * log_p + (1 - x) * log_not_p).sum(dim=1)


def logits_where_overflow(logits, x):
    """Right values through torch.where, but the branch not taken overflows: nan gradients."""
    x = x.reshape(logits.shape)
    softplus = torch.where(
        logits < 0, torch.log1p(torch.exp(logits)), logits + torch.log1p(torch.exp(-logits))
    )
    return (softplus - x * logits).sum(dim=1)


def logits_mean_over_pixels(logits, x):
    """Averages over pixels."""
    x = x.reshape(logits.shape)
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").mean(dim=1)


def logits_missing_one_minus_x(logits, x):
    """Only the x log sigmoid(l) term: the (1 - x) log(1 - sigmoid(l)) term is forgotten."""
    return -(x.reshape(logits.shape) * F.logsigmoid(logits)).sum(dim=1)


def logits_x_not_reshaped(logits, x):
    """The softplus identity, but x is not reshaped: image-shaped targets do not broadcast."""
    return (F.softplus(logits) - x * logits).sum(dim=1)


def logits_sign_flipped(logits, x):
    """softplus(-l) where softplus(l) belongs: the loss of the negated logit."""
    x = x.reshape(logits.shape)
    return (F.softplus(-logits) + x * logits).sum(dim=1)


def logits_bce_with_logits(logits, x):
    """F.binary_cross_entropy_with_logits, summed over pixels: off limits in q8b."""
    target = x.reshape(logits.shape)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=1)


def logits_bernoulli_dist(logits, x):
    """torch.distributions.Bernoulli(logits=...) without validation (grey targets): off limits."""
    dist = Bernoulli(logits=logits, validate_args=False)
    return dist.log_prob(x.reshape(logits.shape)).neg().sum(1)


def _bce_from_logits_helper(logits, target):
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(dim=1)


def logits_library_in_a_helper(logits, x):
    """The off-limits library loss, hidden in a helper of the notebook's own."""
    return _bce_from_logits_helper(logits, x.reshape(logits.shape))


#: The off-limits library loss under a name of the notebook's own, and an instance of the module.
_bce_alias = F.binary_cross_entropy_with_logits
_bce_module = torch.nn.BCEWithLogitsLoss(reduction="none")


def logits_library_alias(logits, x):
    """The off-limits library loss called through an alias: `bce = F.binary_cross_entropy_...`."""
    return _bce_alias(logits, x.reshape(logits.shape), reduction="none").sum(dim=1)


def logits_library_instance(logits, x):
    """The off-limits loss module, built once at notebook level and called by its own name."""
    return _bce_module(logits, x.reshape(logits.shape)).sum(dim=1)


MUTANTS: dict[str, tuple[str, str, Any]] = {
    "mc_closed_form_plus_noise": ("q5", "monte_carlo_kl", mc_closed_form_plus_noise),
    "kl_wrong_sign": ("q2", "gaussian_kl", kl_wrong_sign),
    "kl_missing_half": ("q2", "gaussian_kl", kl_missing_half),
    "kl_sigma_as_logvar": ("q2", "gaussian_kl", kl_sigma_as_logvar),
    "kl_std_as_variance": ("q2", "gaussian_kl", kl_std_as_variance),
    "kl_mean_over_dims": ("q2", "gaussian_kl", kl_mean_over_dims),
    "kl_no_reduction": ("q2", "gaussian_kl", kl_no_reduction),
    "kl_sum_over_batch": ("q2", "gaussian_kl", kl_sum_over_batch),
    "kl_missing_minus_one": ("q2", "gaussian_kl", kl_missing_minus_one),
    "kl_detached": ("q2", "gaussian_kl", kl_detached),
    "mc_closed_form": ("q5", "monte_carlo_kl", mc_closed_form),
    "mc_sum_over_samples": ("q5", "monte_carlo_kl", mc_sum_over_samples),
    "mc_samples_from_prior": ("q5", "monte_carlo_kl", mc_samples_from_prior),
    "mc_missing_logvar_term": ("q5", "monte_carlo_kl", mc_missing_logvar_term),
    "mc_exp_logvar_as_std": ("q5", "monte_carlo_kl", mc_exp_logvar_as_std),
    "mc_mean_over_dims": ("q5", "monte_carlo_kl", mc_mean_over_dims),
    "rep_no_noise": ("q6", "reparameterize", rep_no_noise),
    "rep_exp_logvar_as_std": ("q6", "reparameterize", rep_exp_logvar_as_std),
    "rep_logvar_as_std": ("q6", "reparameterize", rep_logvar_as_std),
    "rep_torch_normal": ("q6", "reparameterize", rep_torch_normal),
    "rep_detached": ("q6", "reparameterize", rep_detached),
    "rep_shared_noise": ("q6", "reparameterize", rep_shared_noise),
    "rep_reseeded": ("q6", "reparameterize", rep_reseeded),
    "rep_uniform_noise": ("q6", "reparameterize", rep_uniform_noise),
    "nll_mean_over_pixels": ("q8", "bernoulli_nll", nll_mean_over_pixels),
    "nll_default_reduction": ("q8", "bernoulli_nll", nll_default_reduction),
    "nll_sum_everything": ("q8", "bernoulli_nll", nll_sum_everything),
    "nll_wrong_sign": ("q8", "bernoulli_nll", nll_wrong_sign),
    "nll_swapped_arguments": ("q8", "bernoulli_nll", nll_swapped_arguments),
    "nll_hard_coded_784": ("q8", "bernoulli_nll", nll_hard_coded_784),
    "nll_squared_error": ("q8", "bernoulli_nll", nll_squared_error),
    "logits_sigmoid_then_bce": ("q8b", "bernoulli_nll_from_logits", logits_sigmoid_then_bce),
    # the one-call library losses the prompt puts off limits: right numbers, not the student's
    "logits_bce_with_logits": ("q8b", "bernoulli_nll_from_logits", logits_bce_with_logits),
    "logits_bernoulli_dist": ("q8b", "bernoulli_nll_from_logits", logits_bernoulli_dist),
    "logits_library_in_a_helper": (
        "q8b",
        "bernoulli_nll_from_logits",
        logits_library_in_a_helper,
    ),
    "logits_library_alias": ("q8b", "bernoulli_nll_from_logits", logits_library_alias),
    "logits_library_instance": ("q8b", "bernoulli_nll_from_logits", logits_library_instance),
    "logits_sigmoid_epsilon": (
        "q8b",
        "bernoulli_nll_from_logits",
        logits_sigmoid_epsilon,
    ),
    "logits_sigmoid_in_float64": ("q8b", "bernoulli_nll_from_logits", logits_sigmoid_in_float64),
    "logits_log_of_sigmoids": ("q8b", "bernoulli_nll_from_logits", logits_log_of_sigmoids),
    "logits_where_overflow": ("q8b", "bernoulli_nll_from_logits", logits_where_overflow),
    "logits_mean_over_pixels": ("q8b", "bernoulli_nll_from_logits", logits_mean_over_pixels),
    "logits_missing_one_minus_x": ("q8b", "bernoulli_nll_from_logits", logits_missing_one_minus_x),
    "logits_x_not_reshaped": ("q8b", "bernoulli_nll_from_logits", logits_x_not_reshaped),
    "logits_sign_flipped": ("q8b", "bernoulli_nll_from_logits", logits_sign_flipped),
    "elbo_sum_over_batch": ("q9", "negative_elbo", elbo_sum_over_batch),
    "elbo_minus_kl": ("q9", "negative_elbo", elbo_minus_kl),
    "elbo_beta_on_reconstruction": ("q9", "negative_elbo", elbo_beta_on_reconstruction),
    "elbo_ignores_beta": ("q9", "negative_elbo", elbo_ignores_beta),
    "elbo_pixel_mean": ("q9", "negative_elbo", elbo_pixel_mean),
    "elbo_detached_kl": ("q9", "negative_elbo", elbo_detached_kl),
    "elbo_keeps_a_dimension": ("q9", "negative_elbo", elbo_keeps_a_dimension),
    "q1_kl_to_prior": ("q1", "q1_answer", "a"),
    "q1_evidence_changes": ("q1", "q1_answer", "b"),
    "q1_reconstruction_only": ("q1", "q1_answer", "d"),
    "q3_sigma_not_variance": ("q3", "q3_answer", 0.5 * (0.1 - 1 - math.log(0.1))),
    "q3_sign": ("q3", "q3_answer", -0.5 * (0.01 - 1 - math.log(0.01))),
    "q7_correct_claimed": ("q7", "q7_answer", "a"),
    "q7_std_is_sigma": ("q7", "q7_answer", "b"),
    "q7_no_gradient": ("q7", "q7_answer", "c"),
    "q10_mu_term_suffices": ("q10", "q10_answer", "a"),
    "q10_no_minimum": ("q10", "q10_answer", "b"),
}


# ---------------------------------------------------------------- variants (correct, different)


def kl_torch_distributions(mu, logvar):
    """KL from torch.distributions, summed over dimensions."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    return kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(dim=-1)


def kl_independent(mu, logvar):
    """KL between Independent (multivariate diagonal) distributions."""
    q = Independent(Normal(mu, logvar.mul(0.5).exp()), 1)
    p = Independent(Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    return kl_divergence(q, p)


def kl_textbook_form(mu, logvar):
    """The textbook -0.5 * sum(1 + logvar - mu^2 - exp(logvar)), with other local names."""
    per_dim = 1 + logvar - mu * mu - torch.exp(logvar)
    return -0.5 * torch.sum(per_dim, dim=1)


def kl_via_sigma(mu, logvar):
    """Through sigma and log sigma."""
    sigma = torch.exp(logvar / 2)
    return (0.5 * mu**2 + 0.5 * sigma**2 - 0.5 - torch.log(sigma)).sum(-1)


def mc_torch_distributions(mu, logvar, n_samples):
    """log_prob from torch.distributions, samples with rsample."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    z = q.rsample((n_samples,))
    return (q.log_prob(z) - Normal(0.0, 1.0).log_prob(z)).sum(dim=-1).mean(dim=0)


def mc_python_loop(mu, logvar, n_samples):
    """A loop over samples, accumulating a running sum (slow but correct)."""
    std = torch.exp(0.5 * logvar)
    total = torch.zeros(mu.shape[0])
    for _ in range(n_samples):
        z = mu + std * torch.randn_like(mu)
        log_q = -0.5 * (math.log(2 * math.pi) + logvar + ((z - mu) / std) ** 2)
        log_p = -0.5 * (math.log(2 * math.pi) + z**2)
        total = total + (log_q - log_p).sum(dim=1)
    return total / n_samples


def mc_expanded_batch(mu, logvar, n_samples):
    """Repeats the batch n_samples times along a new leading axis, then reshapes."""
    b, d = mu.shape
    mu_rep = mu.unsqueeze(0).expand(n_samples, b, d)
    logvar_rep = logvar.unsqueeze(0).expand(n_samples, b, d)
    z = mu_rep + torch.exp(0.5 * logvar_rep) * torch.randn(n_samples, b, d)
    log_ratio = 0.5 * (z**2 - (z - mu_rep) ** 2 / logvar_rep.exp() - logvar_rep)
    return log_ratio.sum(-1).mean(0)


def rep_rsample(mu, logvar):
    """torch.distributions rsample."""
    return Normal(mu, torch.exp(0.5 * logvar)).rsample()


def rep_sqrt_exp(mu, logvar):
    """sigma as sqrt(exp(logvar)) and noise made with torch.randn(shape)."""
    return mu + torch.sqrt(torch.exp(logvar)) * torch.randn(mu.shape, dtype=mu.dtype)


def rep_noise_first(mu, logvar):
    """Noise times sigma, then the mean, with different names."""
    noise = torch.randn_like(logvar)
    return noise * (0.5 * logvar).exp() + mu


def nll_explicit(x_hat, x):
    """The formula written out, flattening x by its batch size."""
    x = x.view(x.shape[0], -1)
    return -(x * torch.log(x_hat) + (1 - x) * torch.log(1 - x_hat)).sum(dim=1)


def nll_bernoulli_distribution(x_hat, x):
    """torch.distributions.Bernoulli without validation (grey targets)."""
    dist = Bernoulli(probs=x_hat, validate_args=False)
    return -dist.log_prob(x.flatten(start_dim=1)).sum(dim=-1)


def nll_from_logits(x_hat, x):
    """BCE with logits on logit(x_hat)."""
    logits = torch.logit(x_hat)
    return F.binary_cross_entropy_with_logits(logits, x.reshape_as(x_hat), reduction="none").sum(
        dim=1
    )


def elbo_sum_then_divide(x_hat, x, mu, logvar, beta=1.0):
    """reduction='sum' divided by the batch size, and the textbook KL."""
    batch = x_hat.shape[0]
    recon = F.binary_cross_entropy(x_hat, x.view_as(x_hat), reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (recon + beta * kl) / batch


def elbo_torch_distributions(x_hat, x, mu, logvar, beta=1.0):
    """Everything from torch.distributions."""
    log_lik = Bernoulli(probs=x_hat, validate_args=False).log_prob(x.reshape(x_hat.shape)).sum(1)
    q = Normal(mu, torch.exp(0.5 * logvar))
    kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)
    return torch.mean(-log_lik + beta * kl)


def nll_epsilon(x_hat, x):
    """Keras-style epsilon inside the logs."""
    x = x.reshape(x_hat.shape)
    eps = 1e-6
    return -(x * torch.log(x_hat + eps) + (1 - x) * torch.log(1 - x_hat + eps)).sum(dim=1)


def nll_clamped(x_hat, x):
    """Probabilities clamped to [1e-6, 1 - 1e-6] before the logs."""
    p = x_hat.clamp(1e-6, 1 - 1e-6)
    x = x.reshape(p.shape)
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(dim=1)


def nll_float64(x_hat, x):
    """Computed in float64 and returned as float64."""
    p, x = x_hat.double(), x.reshape(x_hat.shape).double()
    return -(x * p.log() + (1 - x) * (1 - p).log()).sum(dim=1)


def kl_float64(mu, logvar):
    """Computed in float64."""
    mu, logvar = mu.double(), logvar.double()
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def elbo_epsilon_and_float64(x_hat, x, mu, logvar, beta=1.0):
    """Epsilon in the logs and float64 arithmetic, without the earlier functions."""
    p, target = x_hat.double(), x.reshape(x_hat.shape).double()
    nll = -(target * (p + 1e-6).log() + (1 - target) * (1 - p + 1e-6).log()).sum(dim=1)
    kl = 0.5 * (mu.double() ** 2 + logvar.double().exp() - 1 - logvar.double()).sum(dim=1)
    return (nll + beta * kl).mean()


def logits_softplus_identity(logits, x):
    """softplus(l) - x l, the identity written out."""
    x = x.reshape(logits.shape)
    return (F.softplus(logits) - x * logits).sum(dim=1)


def logits_log_sigmoid(logits, x):
    """-(x log sigma(l) + (1 - x) log sigma(-l)) with F.logsigmoid."""
    x = x.reshape(logits.shape)
    return -(x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)).sum(dim=1)


def logits_float64(logits, x):
    """The stable identity in float64, cast back to the logits' dtype."""
    l64, x64 = logits.double(), x.reshape(logits.shape).double()
    return (
        (torch.clamp(l64, min=0) - x64 * l64 + torch.log1p(torch.exp(-l64.abs())))
        .sum(1)
        .to(logits.dtype)
    )


def logits_logaddexp(logits, x):
    """log(1 + e^l) as torch.logaddexp(0, l)."""
    x = x.reshape(logits.shape)
    return (torch.logaddexp(torch.zeros_like(logits), logits) - x * logits).sum(dim=1)


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "nll_epsilon": ("q8", "bernoulli_nll", nll_epsilon),
    "nll_clamped": ("q8", "bernoulli_nll", nll_clamped),
    "nll_float64": ("q8", "bernoulli_nll", nll_float64),
    "kl_float64": ("q2", "gaussian_kl", kl_float64),
    "elbo_epsilon_and_float64": ("q9", "negative_elbo", elbo_epsilon_and_float64),
    "kl_torch_distributions": ("q2", "gaussian_kl", kl_torch_distributions),
    "kl_independent": ("q2", "gaussian_kl", kl_independent),
    "kl_textbook_form": ("q2", "gaussian_kl", kl_textbook_form),
    "kl_via_sigma": ("q2", "gaussian_kl", kl_via_sigma),
    "mc_torch_distributions": ("q5", "monte_carlo_kl", mc_torch_distributions),
    "mc_python_loop": ("q5", "monte_carlo_kl", mc_python_loop),
    "mc_expanded_batch": ("q5", "monte_carlo_kl", mc_expanded_batch),
    "rep_rsample": ("q6", "reparameterize", rep_rsample),
    "rep_sqrt_exp": ("q6", "reparameterize", rep_sqrt_exp),
    "rep_noise_first": ("q6", "reparameterize", rep_noise_first),
    "nll_explicit": ("q8", "bernoulli_nll", nll_explicit),
    "nll_bernoulli_distribution": ("q8", "bernoulli_nll", nll_bernoulli_distribution),
    "nll_from_logits": ("q8", "bernoulli_nll", nll_from_logits),
    "logits_softplus_identity": ("q8b", "bernoulli_nll_from_logits", logits_softplus_identity),
    "logits_log_sigmoid": ("q8b", "bernoulli_nll_from_logits", logits_log_sigmoid),
    "logits_float64": ("q8b", "bernoulli_nll_from_logits", logits_float64),
    "logits_logaddexp": ("q8b", "bernoulli_nll_from_logits", logits_logaddexp),
    "elbo_sum_then_divide": ("q9", "negative_elbo", elbo_sum_then_divide),
    "elbo_torch_distributions": ("q9", "negative_elbo", elbo_torch_distributions),
    "q1_upper_case": ("q1", "q1_answer", "C"),
    "q3_rounded": ("q3", "q3_answer", 1.81),
    "q7_padded": ("q7", "q7_answer", " d "),
    "q10_upper_case": ("q10", "q10_answer", "D"),
}


# ---------------------------------------------------------------- tests


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS, key_seeds=(None,))
