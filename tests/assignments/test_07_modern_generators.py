"""07_modern_generators: the hidden tests give the key full marks, charge each mistake once, accept
correct variants, and give trivial stubs nothing.

Every mutant below is a plausible mistake; it must lose points on its own question and on no other.
Every variant is a correct answer written differently (torch.cdist or expanded squared distances,
a custom autograd Function or `z + (q - z).detach()` for the straight-through path, float64,
chunking); it must keep every point. Stubs (the input returned, zeros, a constant, random noise,
NaN) are registered as mutants of their question and must score 0 there (a dedicated test).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import hidden_scores, with_answers

ASSIGNMENT = "07_modern_generators"
AUTO_GRADED = {"q1", "q2", "q3", "q4", "q5", "q7", "q8", "q9"}


# ---------------------------------------------------------------- q1: quantize


def _nearest(z, codebook):
    """Nearest-code indices by squared Euclidean distance (no gradient)."""
    with torch.no_grad():
        return torch.cdist(z, codebook).argmin(dim=1)


def qz_argmax(z, codebook):
    """argmax of the distances: the farthest code."""
    with torch.no_grad():
        indices = torch.cdist(z, codebook).argmax(dim=1)
    codes = codebook.detach()[indices]
    return z + (codes - z).detach(), indices


def qz_dot_product(z, codebook):
    """Largest dot product instead of smallest distance: ignores the codes' lengths."""
    with torch.no_grad():
        indices = (z @ codebook.T).argmax(dim=1)
    return z + (codebook.detach()[indices] - z).detach(), indices


def qz_l1(z, codebook):
    """Nearest in L1 distance, not Euclidean."""
    with torch.no_grad():
        indices = (z[:, None, :] - codebook[None]).abs().sum(-1).argmin(dim=1)
    return z + (codebook.detach()[indices] - z).detach(), indices


def qz_no_straight_through(z, codebook):
    """Returns codebook[indices]: no gradient reaches the encoder."""
    indices = _nearest(z, codebook)
    return codebook[indices], indices


def qz_no_detach(z, codebook):
    """z + (q - z) without detach: the value is right, the gradient to z cancels."""
    indices = _nearest(z, codebook)
    return z + (codebook[indices] - z), indices


def qz_gradient_to_codebook(z, codebook):
    """q + z - z.detach(): straight-through to z, but the decoder's gradient also hits the codes."""
    indices = _nearest(z, codebook)
    return codebook[indices] + z - z.detach(), indices


def qz_returns_z(z, codebook):
    """Forgets to quantize: returns z itself with the right indices."""
    return z, _nearest(z, codebook)


def qz_float_indices(z, codebook):
    """Indices left as floats."""
    q, indices = z + (codebook.detach()[_nearest(z, codebook)] - z).detach(), _nearest(z, codebook)
    return q, indices.float()


# stubs
def qz_stub_input(z, codebook):
    """Stub: the input and zero indices."""
    return z, torch.zeros(len(z), dtype=torch.long)


def qz_stub_zeros(z, codebook):
    """Stub: zeros of the right shape."""
    return torch.zeros_like(z), torch.zeros(len(z), dtype=torch.long)


def qz_stub_random(z, codebook):
    """Stub: random codes and random indices."""
    return torch.randn_like(z), torch.randint(len(codebook), (len(z),))


def qz_stub_nan(z, codebook):
    """Stub: NaN."""
    return torch.full_like(z, float("nan")), torch.zeros(len(z), dtype=torch.long)


# ---------------------------------------------------------------- q2: vq_loss


def vq_no_detach(z, codes, beta=0.25):
    """No stop-gradients: both sides get (1 + β) times the gradient."""
    return F.mse_loss(codes, z) + beta * F.mse_loss(z, codes)


def vq_detach_swapped(z, codes, beta=0.25):
    """Stop-gradients on the wrong sides: β lands on the codebook, 1 on the encoder."""
    return F.mse_loss(codes.detach(), z) + beta * F.mse_loss(z.detach(), codes)


def vq_beta_on_codebook(z, codes, beta=0.25):
    """β weights the codebook term instead of the commitment term."""
    return beta * F.mse_loss(codes, z.detach()) + F.mse_loss(z, codes.detach())


def vq_sum(z, codes, beta=0.25):
    """Sums the squared distances."""
    return ((codes - z.detach()) ** 2).sum() + beta * ((z - codes.detach()) ** 2).sum()


def vq_missing_beta(z, codes, beta=0.25):
    """Forgets β."""
    return F.mse_loss(codes, z.detach()) + F.mse_loss(z, codes.detach())


def vq_only_codebook(z, codes, beta=0.25):
    """Forgets the commitment term."""
    return F.mse_loss(codes, z.detach())


def vq_default_beta_one(z, codes, beta=1.0):
    """Right for any beta passed, but beta defaults to 1, not the 0.25 of the signature."""
    return F.mse_loss(codes, z.detach()) + beta * F.mse_loss(z, codes.detach())


def vq_stub_zeros(z, codes, beta=0.25):
    """Stub: a zero loss."""
    return torch.zeros(())


def vq_stub_nan(z, codes, beta=0.25):
    """Stub: NaN."""
    return torch.tensor(float("nan"))


# ---------------------------------------------------------------- q4: revive_codebook


def rv_unchanged(codebook, z, counts):
    """Stub: returns the codebook as it is."""
    return codebook


def rv_random(codebook, z, counts):
    """Re-draws dead codes from N(0, I): far from where the encoder puts its outputs."""
    new = codebook.clone()
    dead = counts == 0
    new[dead] = torch.randn(int(dead.sum()), codebook.shape[1])
    return new


def rv_to_used_mean(codebook, z, counts):
    """Moves every dead code onto the same point, the mean of the used codes: one cell, shared."""
    new = codebook.clone()
    dead = counts == 0
    new[dead] = codebook[~dead].mean(0)
    return new


def rv_resets_everything(codebook, z, counts):
    """Re-seeds every code from the encoder outputs, used codes included."""
    return z[torch.randint(len(z), (len(codebook),))].clone()


def rv_stub_zeros(codebook, z, counts):
    """Stub: zeros."""
    return torch.zeros_like(codebook)


def rv_stub_constant(codebook, z, counts):
    """Stub: a constant."""
    return torch.full_like(codebook, 0.5)


def rv_stub_random(codebook, z, counts):
    """Stub: random noise."""
    return torch.randn_like(codebook)


def rv_stub_nan(codebook, z, counts):
    """Stub: NaN."""
    return torch.full_like(codebook, float("nan"))


# ---------------------------------------------------------------- q5: noise_latents


def nl_no_sqrt(z0, t, noise, alpha_bar):
    """alpha_bar and 1 - alpha_bar without square roots."""
    a = alpha_bar[t][:, None]
    return a * z0 + (1 - a) * noise


def nl_off_by_one(z0, t, noise, alpha_bar):
    """alpha_bar[t - 1]: the step numbering shifted."""
    a = alpha_bar[(t - 1).clamp(min=0)][:, None]
    return a.sqrt() * z0 + (1 - a).sqrt() * noise


def nl_variance_one(z0, t, noise, alpha_bar):
    """sqrt(alpha_bar) z0 + noise: the variance grows instead of staying 1."""
    return alpha_bar[t][:, None].sqrt() * z0 + noise


def nl_stub_input(z0, t, noise, alpha_bar):
    """Stub: returns z0."""
    return z0


def nl_stub_zeros(z0, t, noise, alpha_bar):
    """Stub: zeros."""
    return torch.zeros_like(z0)


def nl_stub_random(z0, t, noise, alpha_bar):
    """Stub: fresh noise."""
    return torch.randn_like(z0)


def nl_stub_nan(z0, t, noise, alpha_bar):
    """Stub: NaN."""
    return torch.full_like(z0, float("nan"))


# ---------------------------------------------------------------- q7: diffusion_loss


def _noised(z0, alpha_bar, t=None, noise=None):
    """t, noise and z_t for a correct loss (closed form written out)."""
    t = torch.randint(len(alpha_bar), (len(z0),)) if t is None else t
    noise = torch.randn_like(z0) if noise is None else noise
    a = alpha_bar[t][:, None]
    return t, noise, a.sqrt() * z0 + (1 - a).sqrt() * noise


def dl_target_z0(model, z0, alpha_bar):
    """Regresses z0 instead of the noise."""
    t, _, zt = _noised(z0, alpha_bar)
    return F.mse_loss(model(zt, t), z0)


def dl_sum(model, z0, alpha_bar):
    """Sums the squared errors."""
    t, noise, zt = _noised(z0, alpha_bar)
    return ((model(zt, t) - noise) ** 2).sum()


def dl_uniform_noise(model, z0, alpha_bar):
    """torch.rand_like: uniform noise on [0, 1)."""
    t = torch.randint(len(alpha_bar), (len(z0),))
    _, noise, zt = _noised(z0, alpha_bar, t, torch.rand_like(z0))
    return F.mse_loss(model(zt, t), noise)


def dl_one_step_for_batch(model, z0, alpha_bar):
    """One random step for the whole batch instead of one per row."""
    t = torch.randint(len(alpha_bar), (1,)).expand(len(z0)).contiguous()
    _, noise, zt = _noised(z0, alpha_bar, t)
    return F.mse_loss(model(zt, t), noise)


def dl_skips_last_step(model, z0, alpha_bar):
    """randint(0, T - 1): the last step is never drawn."""
    t = torch.randint(len(alpha_bar) - 1, (len(z0),))
    _, noise, zt = _noised(z0, alpha_bar, t)
    return F.mse_loss(model(zt, t), noise)


def dl_float_steps(model, z0, alpha_bar):
    """Steps drawn as floats (then used to index as long, but passed to the model as floats)."""
    t = torch.randint(len(alpha_bar), (len(z0),))
    _, noise, zt = _noised(z0, alpha_bar, t)
    return F.mse_loss(model(zt, t.float()), noise)


def dl_detached(model, z0, alpha_bar):
    """Returns a Python float: no gradient."""
    t, noise, zt = _noised(z0, alpha_bar)
    return torch.tensor(F.mse_loss(model(zt, t), noise).item())


def dl_stub_zeros(model, z0, alpha_bar):
    """Stub: zero."""
    return torch.zeros((), requires_grad=True)


def dl_stub_constant(model, z0, alpha_bar):
    """Stub: a constant."""
    return torch.tensor(1.0, requires_grad=True)


def dl_stub_nan(model, z0, alpha_bar):
    """Stub: NaN."""
    return torch.tensor(float("nan"), requires_grad=True)


# ---------------------------------------------------------------- q8: ddpm_sample


def _sampler(
    noise_last=False,
    no_noise=False,
    reversed_order=False,
    sigma=None,
    no_rescale=False,
    start_zero=False,
    keep_graph=False,
):
    """A DDPM sampler with one switch flipped."""

    def ddpm_sample(model, n, dim, betas):
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        z = torch.zeros(n, dim) if start_zero else torch.randn(n, dim)
        order = range(len(betas)) if reversed_order else range(len(betas) - 1, -1, -1)
        with contextlib.nullcontext() if keep_graph else torch.no_grad():
            for t in order:
                eps = model(z, torch.full((n,), t, dtype=torch.long))
                z = z - betas[t] / (1 - alpha_bar[t]).sqrt() * eps
                if not no_rescale:
                    z = z / alphas[t].sqrt()
                if (t > 0 or noise_last) and not no_noise:
                    scale = betas[t].sqrt() if sigma is None else sigma(betas, alpha_bar, t)
                    z = z + scale * torch.randn_like(z)
        return z

    return ddpm_sample


def ds_stub_zeros(model, n, dim, betas):
    """Stub: zeros."""
    return torch.zeros(n, dim)


def ds_stub_random(model, n, dim, betas):
    """Stub: standard normal noise."""
    return torch.randn(n, dim)


def ds_stub_nan(model, n, dim, betas):
    """Stub: NaN."""
    return torch.full((n, dim), float("nan"))


# ---------------------------------------------------------------- registry

MUTANTS: dict[str, tuple[str, str, Any]] = {
    "qz_argmax": ("q1", "quantize", qz_argmax),
    "qz_dot_product": ("q1", "quantize", qz_dot_product),
    "qz_l1": ("q1", "quantize", qz_l1),
    "qz_no_straight_through": ("q1", "quantize", qz_no_straight_through),
    "qz_no_detach": ("q1", "quantize", qz_no_detach),
    "qz_gradient_to_codebook": ("q1", "quantize", qz_gradient_to_codebook),
    "qz_returns_z": ("q1", "quantize", qz_returns_z),
    "qz_float_indices": ("q1", "quantize", qz_float_indices),
    "qz_stub_input": ("q1", "quantize", qz_stub_input),
    "qz_stub_zeros": ("q1", "quantize", qz_stub_zeros),
    "qz_stub_random": ("q1", "quantize", qz_stub_random),
    "qz_stub_nan": ("q1", "quantize", qz_stub_nan),
    "vq_no_detach": ("q2", "vq_loss", vq_no_detach),
    "vq_detach_swapped": ("q2", "vq_loss", vq_detach_swapped),
    "vq_beta_on_codebook": ("q2", "vq_loss", vq_beta_on_codebook),
    "vq_sum": ("q2", "vq_loss", vq_sum),
    "vq_missing_beta": ("q2", "vq_loss", vq_missing_beta),
    "vq_only_codebook": ("q2", "vq_loss", vq_only_codebook),
    "vq_default_beta_one": ("q2", "vq_loss", vq_default_beta_one),
    "vq_stub_zeros": ("q2", "vq_loss", vq_stub_zeros),
    "vq_stub_nan": ("q2", "vq_loss", vq_stub_nan),
    "q3_wrong": ("q3", "q3_answer", "a"),
    "rv_stub_unchanged": ("q4", "revive_codebook", rv_unchanged),
    "rv_random": ("q4", "revive_codebook", rv_random),
    "rv_to_used_mean": ("q4", "revive_codebook", rv_to_used_mean),
    "rv_resets_everything": ("q4", "revive_codebook", rv_resets_everything),
    "rv_stub_zeros": ("q4", "revive_codebook", rv_stub_zeros),
    "rv_stub_constant": ("q4", "revive_codebook", rv_stub_constant),
    "rv_stub_random": ("q4", "revive_codebook", rv_stub_random),
    "rv_stub_nan": ("q4", "revive_codebook", rv_stub_nan),
    "nl_no_sqrt": ("q5", "noise_latents", nl_no_sqrt),
    "nl_off_by_one": ("q5", "noise_latents", nl_off_by_one),
    "nl_variance_one": ("q5", "noise_latents", nl_variance_one),
    "nl_stub_input": ("q5", "noise_latents", nl_stub_input),
    "nl_stub_zeros": ("q5", "noise_latents", nl_stub_zeros),
    "nl_stub_random": ("q5", "noise_latents", nl_stub_random),
    "nl_stub_nan": ("q5", "noise_latents", nl_stub_nan),
    "dl_target_z0": ("q7", "diffusion_loss", dl_target_z0),
    "dl_sum": ("q7", "diffusion_loss", dl_sum),
    "dl_uniform_noise": ("q7", "diffusion_loss", dl_uniform_noise),
    "dl_one_step_for_batch": ("q7", "diffusion_loss", dl_one_step_for_batch),
    "dl_skips_last_step": ("q7", "diffusion_loss", dl_skips_last_step),
    "dl_float_steps": ("q7", "diffusion_loss", dl_float_steps),
    "dl_detached": ("q7", "diffusion_loss", dl_detached),
    "dl_stub_zeros": ("q7", "diffusion_loss", dl_stub_zeros),
    "dl_stub_constant": ("q7", "diffusion_loss", dl_stub_constant),
    "dl_stub_nan": ("q7", "diffusion_loss", dl_stub_nan),
    "ds_noise_at_last_step": ("q8", "ddpm_sample", _sampler(noise_last=True)),
    "ds_no_noise": ("q8", "ddpm_sample", _sampler(no_noise=True)),
    "ds_wrong_order": ("q8", "ddpm_sample", _sampler(reversed_order=True)),
    "ds_no_rescale": ("q8", "ddpm_sample", _sampler(no_rescale=True)),
    "ds_start_zero": ("q8", "ddpm_sample", _sampler(start_zero=True)),
    "ds_sigma_is_variance": (
        "q8",
        "ddpm_sample",
        _sampler(sigma=lambda betas, alpha_bar, t: betas[t]),
    ),
    "ds_keeps_graph": ("q8", "ddpm_sample", _sampler(keep_graph=True)),
    "ds_stub_zeros": ("q8", "ddpm_sample", ds_stub_zeros),
    "ds_stub_random": ("q8", "ddpm_sample", ds_stub_random),
    "ds_stub_nan": ("q8", "ddpm_sample", ds_stub_nan),
    "q9_wrong": ("q9", "q9_answer", "b"),
}

#: Trivial answers that must earn nothing on their question (not just lose some points).
STUBS = sorted(name for name in MUTANTS if "_stub_" in name)


# ---------------------------------------------------------------- variants


def qz_cdist(z, codebook):
    """torch.cdist for the distances, the straight-through written as z + (q - z).detach()."""
    indices = torch.cdist(z.detach(), codebook.detach()).argmin(dim=1)
    q = codebook[indices].detach()
    return z + (q - z).detach(), indices


class _StraightThrough(torch.autograd.Function):
    """Forward: the codes; backward: the gradient passed to z unchanged, nothing to the codes."""

    @staticmethod
    def forward(ctx, z, codes):
        return codes.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad, None


def qz_autograd_function(z, codebook):
    """Expanded (N, K, D) squared distances and a custom autograd Function."""
    distances = ((z.detach()[:, None, :] - codebook.detach()[None, :, :]) ** 2).sum(-1)
    indices = distances.argmin(dim=1)
    return _StraightThrough.apply(z, codebook.detach()[indices]), indices


def qz_float64_chunked(z, codebook):
    """Distances in float64, in chunks of 64 rows; embedding lookup; int32 indices."""
    with torch.no_grad():
        parts = [torch.cdist(chunk.double(), codebook.double()).argmin(1) for chunk in z.split(64)]
    indices = torch.cat(parts)
    q = F.embedding(indices, codebook.detach())
    return q + (z - z.detach()), indices.int()


def vq_sg_by_hand(z, codes, beta=0.25):
    """Means of squares written out, stop-gradients with .detach() on copies."""
    sz, sc = z.detach(), codes.detach()
    return ((sz - codes) ** 2).mean() + beta * ((z - sc) ** 2).mean()


def vq_float64(z, codes, beta=0.25):
    """In float64, with F.mse_loss."""
    z, codes = z.double(), codes.double()
    return F.mse_loss(codes, z.detach()) + beta * F.mse_loss(z, codes.detach())


def rv_noise_around_outputs(codebook, z, counts):
    """Dead codes (count 0) re-seeded at random encoder outputs plus a little noise, in place."""
    dead = torch.nonzero(counts == 0).flatten()
    picks = torch.randperm(len(z))[: len(dead)]
    if len(picks) < len(dead):
        picks = torch.randint(len(z), (len(dead),))
    codebook[dead] = z[picks] + 0.01 * torch.randn(len(dead), z.shape[1])
    return codebook


def rv_kmeans_plus_plus(codebook, z, counts):
    """Dead codes (count 0) placed by k-means++-style far-point seeding, in float64. (Codes in use
    keep their values, however rarely used: moving those breaks the prompt's rule.)"""
    new = codebook.clone().double()
    rare = counts == 0
    keep = new[~rare]
    for j in torch.nonzero(rare).flatten().tolist():
        distances = torch.cdist(z.double(), keep).min(1).values ** 2
        pick = torch.multinomial(distances / distances.sum(), 1)
        new[j] = z[pick].double()
        keep = torch.cat([keep, new[j : j + 1]])
    return new.float()


def nl_broadcast_view(z0, t, noise, alpha_bar):
    """view(-1, 1) and torch.sqrt, in float64."""
    a = alpha_bar.double()[t].view(-1, 1)
    return torch.sqrt(a) * z0.double() + torch.sqrt(1 - a) * noise.double()


def dl_own_closed_form(model, z0, alpha_bar):
    """Writes the closed form out instead of calling noise_latents; sum / numel."""
    t = torch.randint(0, len(alpha_bar), (z0.shape[0],), device=z0.device)
    noise = torch.randn(z0.shape, device=z0.device)
    a = alpha_bar[t].unsqueeze(-1)
    error = model(a.sqrt() * z0 + (1 - a).sqrt() * noise, t) - noise
    return (error**2).sum() / error.numel()


def dl_float64(model, z0, alpha_bar):
    """Noise and loss in float64, through noise_latents-like arithmetic."""
    t = torch.randint(len(alpha_bar), (len(z0),))
    noise = torch.randn(z0.shape, dtype=torch.float64)
    a = alpha_bar.double()[t][:, None]
    z_t = (a.sqrt() * z0.double() + (1 - a).sqrt() * noise).float()
    return ((model(z_t, t).double() - noise) ** 2).mean()


def ds_posterior_variance(model, n, dim, betas):
    """σ_t² = β̃_t, the posterior variance (Ho et al.'s other choice), float64 throughout."""
    betas = betas.double()
    alpha_bar = torch.cumprod(1 - betas, 0)
    z = torch.randn(n, dim, dtype=torch.float64)
    with torch.no_grad():
        for t in reversed(range(len(betas))):
            eps = model(z, torch.full((n,), t, dtype=torch.long)).double()
            z = (z - betas[t] / torch.sqrt(1 - alpha_bar[t]) * eps) / torch.sqrt(1 - betas[t])
            if t > 0:
                var = betas[t] * (1 - alpha_bar[t - 1]) / (1 - alpha_bar[t])
                z = z + var.sqrt() * torch.randn_like(z)
    return z


def ds_x0_form(model, n, dim, betas):
    """Posterior mean written through the predicted z0 (same update, other algebra), σ² = β."""
    alphas = 1 - betas
    alpha_bar = torch.cumprod(alphas, 0)
    z = torch.randn(n, dim)
    for t in range(len(betas) - 1, -1, -1):
        with torch.no_grad():
            eps = model(z, torch.full((n,), t, dtype=torch.long))
        ab_prev = alpha_bar[t - 1] if t > 0 else torch.tensor(1.0)
        z0_hat = (z - (1 - alpha_bar[t]).sqrt() * eps) / alpha_bar[t].sqrt()
        coef0 = ab_prev.sqrt() * betas[t] / (1 - alpha_bar[t])
        coeft = alphas[t].sqrt() * (1 - ab_prev) / (1 - alpha_bar[t])
        z = coef0 * z0_hat + coeft * z
        if t > 0:
            z = z + betas[t].sqrt() * torch.randn_like(z)
    return z


VARIANTS: dict[str, tuple[str, str, Any]] = {
    "qz_cdist": ("q1", "quantize", qz_cdist),
    "qz_autograd_function": ("q1", "quantize", qz_autograd_function),
    "qz_float64_chunked": ("q1", "quantize", qz_float64_chunked),
    "vq_sg_by_hand": ("q2", "vq_loss", vq_sg_by_hand),
    "vq_float64": ("q2", "vq_loss", vq_float64),
    "q3_upper_case": ("q3", "q3_answer", "C"),
    "rv_noise_around_outputs": ("q4", "revive_codebook", rv_noise_around_outputs),
    "rv_kmeans_plus_plus": ("q4", "revive_codebook", rv_kmeans_plus_plus),
    "nl_broadcast_view": ("q5", "noise_latents", nl_broadcast_view),
    "dl_own_closed_form": ("q7", "diffusion_loss", dl_own_closed_form),
    "dl_float64": ("q7", "diffusion_loss", dl_float64),
    "ds_posterior_variance": ("q8", "ddpm_sample", ds_posterior_variance),
    "ds_x0_form": ("q8", "ddpm_sample", ds_x0_form),
    "q9_parenthesised": ("q9", "q9_answer", "(a)"),
}

# ---------------------------------------------------------------- cascades
# diffusion_loss (q7) calls noise_latents (q5) in the key: a wrong noise_latents must cost q5 only,
# whether the downstream loss calls it (the key) or not (a variant).

CASCADES: dict[str, tuple[str, dict[str, Any]]] = {
    "nl_no_sqrt_then_key_loss": ("q5", {"noise_latents": nl_no_sqrt}),
    "nl_off_by_one_then_own_loss": (
        "q5",
        {"noise_latents": nl_off_by_one, "diffusion_loss": dl_own_closed_form},
    ),
    "qz_no_straight_through_then_cdist_revive": (
        "q1",
        {"quantize": qz_no_straight_through, "revive_codebook": rv_kmeans_plus_plus},
    ),
}


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS, cascades=CASCADES, key_seeds=(None,))


@pytest.mark.thorough
@pytest.mark.parametrize("stub", STUBS)
def test_trivial_stubs_score_zero(stub: str) -> None:
    """A stub (input, zeros, constant, noise, NaN) earns nothing on its question."""
    question, variable, value = MUTANTS[stub]
    scores = hidden_scores(ASSIGNMENT, with_answers(ASSIGNMENT, {variable: value}))
    assert scores[question] == 0, f"{stub} earned {scores[question]:.0%} on {question}"
