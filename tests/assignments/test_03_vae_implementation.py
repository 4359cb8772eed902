"""03_vae_implementation: the hidden tests give the key full marks, charge each classic mistake to
its own question only, keep every sound variant at full marks, and give guesses nothing.

The VAE mutants and variants are self-contained classes (or subclasses of a correct base) that
differ from a correct model only where they say they do. Mistakes in `vae_loss`, its two terms and
`evaluate` are cascades: `with_answers` rebinds the key's functions to the mutant namespace, so the
key's own `evaluate` and `train_vae` call the mutant exactly as in a student's kernel, and the
mutant must still cost only its own question (see CASCADES).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence

from tests.otter_support import (
    check_blank_fails_public,
    check_expected_questions,
    check_guesses_score_zero,
    check_key_full_marks,
    check_mutant_costs_one_question,
    check_variant_full_marks,
    hidden_feedback,
    hidden_questions,
    hidden_scores,
    key_namespace,
    run_key_notebook,
    with_answers,
)

ASSIGNMENT = "03_vae_implementation"
AUTO_GRADED = {"q1", "q2", "q3", "q4", "q5", "q6", "q7"}


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    """Tiny models on a shared 2-core machine: more threads only contend (restored after)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


# ---------------------------------------------------------------- q1: VAE classes


class BaseVAE(nn.Module):
    """A correct VAE (one hidden layer, ReLU) that the mutants below break in one place each."""

    def __init__(self, latent_dim=20, hidden_dim=400, input_dim=784):
        super().__init__()
        self.latent_dim, self.input_dim = latent_dim, input_dim
        self.body = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.ReLU())
        self.mu_head = nn.Linear(hidden_dim, latent_dim)
        self.logvar_head = nn.Linear(hidden_dim, latent_dim)
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, input_dim)
        )

    def encode(self, x):
        hidden = self.body(x.reshape(x.shape[0], -1))
        return self.mu_head(hidden), self.logvar_head(hidden)

    def reparameterize(self, mu, logvar):
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class VAENoSigmoid(BaseVAE):
    """decode returns logits: outputs outside [0, 1]."""

    def decode(self, z):
        return self.decoder(z)


class VAEUnflattened(BaseVAE):
    """encode feeds (B, 1, 28, 28) images straight into nn.Linear."""

    def encode(self, x):
        hidden = self.body(x)
        return self.mu_head(hidden), self.logvar_head(hidden)


class VAEMissingHalf(BaseVAE):
    """sigma = exp(logvar): the 1/2 is missing."""

    def reparameterize(self, mu, logvar):
        return mu + torch.exp(logvar) * torch.randn_like(mu)


class VAELogvarAsStd(BaseVAE):
    """logvar used as the standard deviation."""

    def reparameterize(self, mu, logvar):
        return mu + logvar * torch.randn_like(mu)


class VAENoNoise(BaseVAE):
    """reparameterize returns mu: no sampling at all."""

    def reparameterize(self, mu, logvar):
        return mu


class VAEDetachedZ(BaseVAE):
    """forward detaches z, so the reconstruction sends no gradient to the encoder."""

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar).detach()), mu, logvar


class VAEDetachedReparameterize(BaseVAE):
    """reparameterize returns a detached sample."""

    def reparameterize(self, mu, logvar):
        return (mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)).detach()


class VAETorchNormal(BaseVAE):
    """torch.normal: right distribution, no gradient to mu and logvar."""

    def reparameterize(self, mu, logvar):
        return torch.normal(mu, torch.exp(0.5 * logvar))


class VAESharedNoise(BaseVAE):
    """One noise vector shared by every row of the batch."""

    def reparameterize(self, mu, logvar):
        eps = torch.randn(mu.shape[-1], dtype=mu.dtype, device=mu.device)
        return mu + torch.exp(0.5 * logvar) * eps


class VAEForwardDecodesMean(BaseVAE):
    """forward decodes mu: the model never sees noise during training."""

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(mu), mu, logvar


class VAEImageShapedOutput(BaseVAE):
    """decode returns (B, 1, 28, 28) instead of (B, 784)."""

    def decode(self, z):
        return torch.sigmoid(self.decoder(z)).reshape(-1, 1, 28, 28)


class VAEHardCoded(nn.Module):
    """Sizes hard-coded to 784 and 20 instead of input_dim and latent_dim."""

    def __init__(self, latent_dim=20, hidden_dim=400, input_dim=784):
        super().__init__()
        self.latent_dim, self.input_dim = latent_dim, input_dim
        self.body = nn.Sequential(nn.Linear(784, hidden_dim), nn.ReLU())
        self.heads = nn.Linear(hidden_dim, 40)
        self.decoder = nn.Sequential(
            nn.Linear(20, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, 784)
        )

    def encode(self, x):
        return self.heads(self.body(x.reshape(-1, 784))).chunk(2, dim=1)

    def reparameterize(self, mu, logvar):
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z):
        return torch.sigmoid(self.decoder(z))

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


# q1 variants: correct and written differently.


class VAESeparateLayers(nn.Module):
    """The classic layout: fc1, fc21, fc22, fc3, fc4 as attributes, F.relu, x.view."""

    def __init__(self, latent_dim=20, hidden_dim=400, input_dim=784):
        super().__init__()
        self.input_dim = input_dim
        self.latent_dim = latent_dim
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x):
        h1 = F.relu(self.fc1(x.view(-1, self.input_dim)))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return eps.mul(std).add_(mu)

    def decode(self, z):
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z))))

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class VAEOneHead(nn.Module):
    """One linear head producing 2 * latent_dim numbers, split into mu and logvar; nn.Flatten."""

    def __init__(self, latent_dim=20, hidden_dim=400, input_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),
            nn.Linear(input_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, 2 * latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden_dim),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden_dim, input_dim),
            nn.Sigmoid(),
        )

    def encode(self, x):
        mu, logvar = torch.chunk(self.encoder(x), 2, dim=-1)
        return mu, logvar

    def reparameterize(self, mu, logvar):
        return mu + torch.randn_like(logvar) * (0.5 * logvar).exp()

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class VAEDistributions(BaseVAE):
    """torch.distributions: Normal(mu, sigma).rsample()."""

    def reparameterize(self, mu, logvar):
        return Normal(mu, torch.exp(0.5 * logvar)).rsample()


class VAELogits(BaseVAE):
    """The decoder network produces logits; decode applies the sigmoid to them."""

    def decode_logits(self, z):
        return self.decoder(z)

    def decode(self, z):
        return torch.sigmoid(self.decode_logits(z))


# ---------------------------------------------------------------- q2: the loss


def _nll(x_hat, x):
    x = x.reshape(x_hat.shape)
    return -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)


def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


def loss_kl_wrong_sign(x_hat, x, mu, logvar, beta=1.0):
    """The KL added with the wrong sign (the -0.5 * sum(...) form without its minus)."""
    kl = 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)
    return (_nll(x_hat, x) + beta * kl).mean()


def loss_mean_over_pixels(x_hat, x, mu, logvar, beta=1.0):
    """F.binary_cross_entropy's default reduction: the mean over pixels and images."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape)) + beta * _kl(mu, logvar).mean()


def loss_sum_over_batch(x_hat, x, mu, logvar, beta=1.0):
    """Summed over the batch instead of averaged."""
    return (_nll(x_hat, x) + beta * _kl(mu, logvar)).sum()


def loss_beta_on_reconstruction(x_hat, x, mu, logvar, beta=1.0):
    """beta multiplies the wrong term."""
    return (beta * _nll(x_hat, x) + _kl(mu, logvar)).mean()


def loss_ignores_beta(x_hat, x, mu, logvar, beta=1.0):
    """beta accepted but unused."""
    return (_nll(x_hat, x) + _kl(mu, logvar)).mean()


def loss_kl_missing_half(x_hat, x, mu, logvar, beta=1.0):
    """The KL without its factor 1/2."""
    return (_nll(x_hat, x) + beta * 2 * _kl(mu, logvar)).mean()


def loss_kl_mean_over_dims(x_hat, x, mu, logvar, beta=1.0):
    """The KL averaged over latent coordinates."""
    return (_nll(x_hat, x) + beta * _kl(mu, logvar) / mu.shape[1]).mean()


def loss_detached_kl(x_hat, x, mu, logvar, beta=1.0):
    """KL computed on detached tensors: no gradient reaches the encoder through it."""
    return (_nll(x_hat, x) + beta * _kl(mu.detach(), logvar.detach())).mean()


def loss_squared_error(x_hat, x, mu, logvar, beta=1.0):
    """Squared error instead of the Bernoulli likelihood."""
    recon = (x_hat - x.reshape(x_hat.shape)).pow(2).sum(dim=1)
    return (recon + beta * _kl(mu, logvar)).mean()


def loss_no_reshape(x_hat, x, mu, logvar, beta=1.0):
    """Image-shaped targets not reshaped: F.binary_cross_entropy refuses them."""
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / x_hat.shape[0]
    return recon + beta * _kl(mu, logvar).mean()


def nll_mean_over_pixels(x_hat, x):
    """bernoulli_nll averaged over pixels."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="none").mean(dim=1)


def kl_wrong_sign(mu, logvar):
    """gaussian_kl with the wrong sign."""
    return -_kl(mu, logvar)


def loss_sum_then_divide(x_hat, x, mu, logvar, beta=1.0):
    """reduction='sum' divided by the batch size, and the textbook KL."""
    batch = x_hat.shape[0]
    recon = F.binary_cross_entropy(x_hat, x.view_as(x_hat), reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (recon + beta * kl) / batch


def loss_torch_distributions(x_hat, x, mu, logvar, beta=1.0):
    """Everything from torch.distributions (Bernoulli without validation: grey targets)."""
    log_lik = Bernoulli(probs=x_hat, validate_args=False).log_prob(x.reshape(x_hat.shape)).sum(1)
    q = Normal(mu, torch.exp(0.5 * logvar))
    kl = kl_divergence(q, Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)
    return torch.mean(-log_lik + beta * kl)


def loss_from_logits(x_hat, x, mu, logvar, beta=1.0):
    """BCE with logits on logit(x_hat), for a decoder whose decode applies the sigmoid."""
    logits = torch.logit(x_hat, eps=1e-7)
    recon = F.binary_cross_entropy_with_logits(logits, x.reshape_as(x_hat), reduction="none")
    return (recon.sum(dim=1) + beta * _kl(mu, logvar)).mean()


def nll_from_logits(x_hat, x):
    """bernoulli_nll via BCE with logits."""
    logits = torch.logit(x_hat)
    target = x.flatten(start_dim=1)
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(-1)


def kl_distributions(mu, logvar):
    """gaussian_kl via torch.distributions."""
    q = Normal(mu, torch.exp(0.5 * logvar))
    return kl_divergence(q, Normal(0.0, 1.0)).sum(dim=-1)


# ---------------------------------------------------------------- q4: evaluate


def _model_loss(model, x):
    x_hat, mu, logvar = model(x)
    return (_nll(x_hat, x) + _kl(mu, logvar)).mean()


def evaluate_decodes_mean(model, x):
    """Decodes mu: no noise, so it measures a different (smaller) quantity."""
    with torch.no_grad():
        x = x.to(_device_of(model)).flatten(1)
        mu, logvar = model.encode(x)
        return ((_nll(model.decode(mu), x) + _kl(mu, logvar)).mean()).item()


def evaluate_sums_over_images(model, x):
    """The total over images instead of the mean."""
    with torch.no_grad():
        x = x.to(_device_of(model)).flatten(1)
        x_hat, mu, logvar = model(x)
        return (_nll(x_hat, x) + _kl(mu, logvar)).sum().item()


def evaluate_mean_over_pixels(model, x):
    """The reconstruction term averaged over pixels."""
    with torch.no_grad():
        x = x.to(_device_of(model)).flatten(1)
        x_hat, mu, logvar = model(x)
        return (F.binary_cross_entropy(x_hat, x) + _kl(mu, logvar).mean()).item()


def evaluate_takes_a_step(model, x):
    """Trains while it measures: one optimizer step on the evaluated images."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = x.to(_device_of(model)).flatten(1)
    loss = _model_loss(model, x)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluate_one_pass(model, x):
    """All images at once, no batching, torch.no_grad as a decorator-free context."""
    model.eval()
    with torch.no_grad():
        x = x.to(_device_of(model))
        x_hat, mu, logvar = model(x)
        return float(loss_sum_then_divide(x_hat, x, mu, logvar))


def evaluate_small_batches(model, x):
    """Batches of 64 by slicing, a running float total weighted by batch size."""
    total, count = 0.0, 0
    with torch.no_grad():
        flat = x.to(_device_of(model)).reshape(len(x), -1)
        for start in range(0, len(flat), 64):
            chunk = flat[start : start + 64]
            x_hat, mu, logvar = model(chunk)
            total += loss_torch_distributions(x_hat, chunk, mu, logvar).item() * len(chunk)
            count += len(chunk)
    return total / count


# ---------------------------------------------------------------- q5: train_vae


def _make_train_vae(
    *,
    batch_source: str = "train",
    step: bool = True,
    use_beta: bool = True,
    test_source: str = "test",
) -> Callable:
    """A train_vae with one deliberate mistake, built from the key's own helpers."""

    def train_vae(model, train_x, test_x, epochs, batch_size=128, lr=1e-3, beta=1.0):
        ns = key_namespace(ASSIGNMENT)
        device = _device_of(model)
        train_x, test_x = train_x.to(device), test_x.to(device)
        data = {
            "train": train_x,
            "test": test_x,
            "both": torch.cat([train_x.flatten(1), test_x.flatten(1)]),
        }[batch_source]
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        history = {"train": [], "test": [], "recon": [], "kl": []}
        for _ in range(epochs):
            model.train()
            sums = torch.zeros(3)
            for x_batch in ns["batches"](data, batch_size=batch_size):
                x_hat, mu, logvar = model(x_batch)
                loss = ns["vae_loss"](x_hat, x_batch, mu, logvar, beta=beta if use_beta else 1.0)
                optimizer.zero_grad()
                loss.backward()
                if step:
                    optimizer.step()
                with torch.no_grad():
                    terms = torch.stack(
                        [
                            loss,
                            ns["bernoulli_nll"](x_hat, x_batch).mean(),
                            ns["gaussian_kl"](mu, logvar).mean(),
                        ]
                    )
                    sums += terms * len(x_batch)
            loss_value, recon, kl = (sums / len(data)).tolist()
            scored = test_x if test_source == "test" else train_x
            for key, value in zip(
                history, (loss_value, ns["evaluate"](model, scored), recon, kl), strict=True
            ):
                history[key].append(value)
        return history

    return train_vae


def train_vae_per_batch_items(model, train_x, test_x, epochs, batch_size=128, lr=1e-3, beta=1.0):
    """Correct but written differently: own shuffling, .item() per batch, a bar over batches."""
    ns = key_namespace(ASSIGNMENT)
    from tqdm.auto import tqdm

    device = _device_of(model)
    train = train_x.to(device).reshape(len(train_x), -1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {"train": [], "test": [], "recon": [], "kl": []}
    steps = math.ceil(len(train) / batch_size)
    with tqdm(total=epochs * steps, desc="training") as bar:
        for _ in range(epochs):
            model.train()
            order = torch.randperm(len(train), device=device)
            loss_sum = recon_sum = kl_sum = 0.0
            for start in range(0, len(train), batch_size):
                batch = train[order[start : start + batch_size]]
                x_hat, mu, logvar = model(batch)
                recon = F.binary_cross_entropy(x_hat, batch, reduction="sum") / len(batch)
                kl = ns["gaussian_kl"](mu, logvar).mean()
                loss = recon + beta * kl
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                loss_sum += loss.item() * len(batch)
                recon_sum += recon.item() * len(batch)
                kl_sum += kl.item() * len(batch)
                bar.update(1)
            model.eval()
            with torch.no_grad():
                test = test_x.to(device)
                x_hat, mu, logvar = model(test)
                test_loss = ns["vae_loss"](x_hat, test, mu, logvar).item()
            history["train"].append(loss_sum / len(train))
            history["test"].append(test_loss)
            history["recon"].append(recon_sum / len(train))
            history["kl"].append(kl_sum / len(train))
    return history


# ---------------------------------------------------------------- q7: reconstruct


def reconstruct_samples(model, x):
    """Decodes a sampled z: a different picture at every call."""
    with torch.no_grad():
        return model(x.to(_device_of(model)))[0]


def reconstruct_image_shaped(model, x):
    """Returns (B, 1, 28, 28)."""
    with torch.no_grad():
        return model.decode(model.encode(x)[0]).reshape(-1, 1, 28, 28)


def reconstruct_with_grad(model, x):
    """Right values, but builds a graph (no torch.no_grad)."""
    return model.decode(model.encode(x)[0])


def reconstruct_detach(model, x):
    """decode(mu) detached instead of under torch.no_grad."""
    mu, _logvar = model.encode(x.to(_device_of(model)))
    return model.decode(mu).detach()


class VAEInlineForward(BaseVAE):
    """forward samples z itself instead of calling self.reparameterize (same formula)."""

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decode(z), mu, logvar


class VAEInlineRsample(BaseVAE):
    """forward and reparameterize both use Normal(...).rsample(), forward inlined."""

    def reparameterize(self, mu, logvar):
        return Normal(mu, torch.exp(0.5 * logvar), validate_args=True).rsample()

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(Normal(mu, (0.5 * logvar).exp()).rsample()), mu, logvar


class VAEClampedDecoder(BaseVAE):
    """decode clamps its probabilities to [1e-6, 1 - 1e-6] (a common guard against log(0))."""

    def decode(self, z):
        return torch.sigmoid(self.decoder(z)).clamp(1e-6, 1 - 1e-6)


# ---------------------------------------------------------------- q2: more mistakes and variants


def loss_returns_item(x_hat, x, mu, logvar, beta=1.0):
    """Returns a Python float: no graph, not a tensor."""
    return (_nll(x_hat, x) + beta * _kl(mu, logvar)).mean().item()


def loss_per_image(x_hat, x, mu, logvar, beta=1.0):
    """Forgets the batch mean: one value per image."""
    return _nll(x_hat, x) + beta * _kl(mu, logvar)


def nll_default_reduction(x_hat, x):
    """F.binary_cross_entropy with its default reduction: one scalar mean."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape))


def nll_wrong_sign(x_hat, x):
    """The log-likelihood instead of its negative."""
    return -_nll(x_hat, x)


def kl_missing_half(mu, logvar):
    """gaussian_kl without its factor 1/2."""
    return 2 * _kl(mu, logvar)


def kl_mean_over_dims(mu, logvar):
    """gaussian_kl averaged over latent coordinates."""
    return _kl(mu, logvar) / mu.shape[1]


def loss_epsilon_in_log(x_hat, x, mu, logvar, beta=1.0):
    """torch.log(x_hat + 1e-6): an epsilon inside the logs."""
    x = x.reshape(x_hat.shape)
    nll = -(x * torch.log(x_hat + 1e-6) + (1 - x) * torch.log(1 - x_hat + 1e-6)).sum(dim=1)
    return (nll + beta * _kl(mu, logvar)).mean()


def loss_clamped(x_hat, x, mu, logvar, beta=1.0):
    """Probabilities clamped to [1e-6, 1 - 1e-6] before the logs."""
    p = x_hat.clamp(1e-6, 1 - 1e-6)
    x = x.view(x.size(0), -1)
    nll = -(x * p.log() + (1 - x) * (1 - p).log()).sum(-1)
    kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum(-1)
    return torch.mean(nll + beta * kl)


def loss_float64(x_hat, x, mu, logvar, beta=1.0):
    """Everything computed in float64 (and returned as float64)."""
    x_hat, x = x_hat.double(), x.double().reshape(x_hat.shape)
    mu, logvar = mu.double(), logvar.double()
    return (_nll(x_hat, x) + beta * _kl(mu, logvar)).mean()


def loss_bce_sum_divided(x_hat, x, mu, logvar, beta=1.0):
    """F.binary_cross_entropy(reduction='sum') over the batch, divided by its size; batch KL."""
    batch = x_hat.size(0)
    recon = F.binary_cross_entropy(x_hat, x.reshape(batch, -1), reduction="sum") / batch
    kl = 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1 - logvar) / batch
    return recon + beta * kl


def loss_validated_normal(x_hat, x, mu, logvar, beta=1.0):
    """KL from torch.distributions with validate_args=True; Bernoulli from logits, unvalidated."""
    target = x.reshape(x_hat.shape)
    bern = Bernoulli(logits=torch.logit(x_hat), validate_args=False)
    q = Normal(mu, torch.exp(0.5 * logvar), validate_args=True)
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu), validate_args=True)
    kl = kl_divergence(q, p).sum(dim=1)
    return (-bern.log_prob(target).sum(dim=1) + beta * kl).mean()


def nll_epsilon_in_log(x_hat, x):
    """bernoulli_nll with an epsilon of 1e-6 inside the logs."""
    x = x.reshape(x_hat.shape)
    return -(x * torch.log(x_hat + 1e-6) + (1 - x) * torch.log(1 - x_hat + 1e-6)).sum(dim=1)


def nll_clamped(x_hat, x):
    """bernoulli_nll on probabilities clamped to [1e-6, 1 - 1e-6]."""
    p = torch.clamp(x_hat, min=1e-6, max=1 - 1e-6)
    return F.binary_cross_entropy(p, x.reshape(p.shape), reduction="none").sum(dim=1)


def nll_bernoulli_distribution(x_hat, x):
    """torch.distributions.Bernoulli without validation (grey targets)."""
    dist = Bernoulli(probs=x_hat, validate_args=False)
    return -dist.log_prob(x.flatten(start_dim=1)).sum(dim=-1)


def nll_float64(x_hat, x):
    """bernoulli_nll in float64."""
    return _nll(x_hat.double(), x.double())


def kl_validated(mu, logvar):
    """gaussian_kl via torch.distributions with validate_args=True."""
    q = Normal(mu, torch.exp(0.5 * logvar), validate_args=True)
    p = Normal(torch.zeros_like(mu), torch.ones_like(mu), validate_args=True)
    return kl_divergence(q, p).sum(dim=-1)


# ---------------------------------------------------------------- q4: more mistakes and variants


def evaluate_returns_tensor(model, x):
    """Right value, but a tensor instead of a Python float."""
    with torch.no_grad():
        x = x.to(_device_of(model))
        return _model_loss(model, x.flatten(1))


def evaluate_unweighted_batches(model, x):
    """The mean of the batch means: the last, smaller batch counts as much as a full one."""
    means = []
    with torch.no_grad():
        flat = x.to(_device_of(model)).reshape(len(x), -1)
        for start in range(0, len(flat), 1000):
            means.append(_model_loss(model, flat[start : start + 1000]).item())
    return sum(means) / len(means)


def evaluate_inline_epsilon(model, x):
    """Its own loss with an epsilon in the logs, float64 accumulation, no vae_loss."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        flat = x.to(_device_of(model)).flatten(1)
        for chunk in flat.split(777):
            x_hat, mu, logvar = model(chunk)
            nll = -(chunk * torch.log(x_hat + 1e-6) + (1 - chunk) * torch.log(1 - x_hat + 1e-6))
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
            total += (nll.sum(1) + kl.sum(1)).double().sum().item()
    return total / len(flat)


# ---------------------------------------------------------------- q5: one more variant


def train_vae_inline_test_loss(model, train_x, test_x, epochs, batch_size=128, lr=1e-3, beta=1.0):
    """Correct, but scores the test images with its own code instead of evaluate."""
    device = _device_of(model)
    train, test = train_x.to(device).flatten(1), test_x.to(device).flatten(1)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {"train": [], "test": [], "recon": [], "kl": []}
    for _ in range(epochs):
        model.train()
        totals = torch.zeros(3)
        for index in torch.randperm(len(train)).split(batch_size):
            batch = train[index]
            x_hat, mu, logvar = model(batch)
            recon, kl = _nll(x_hat, batch).mean(), _kl(mu, logvar).mean()
            loss = recon + beta * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            totals += torch.stack([loss, recon, kl]).detach() * len(batch)
        model.eval()
        with torch.no_grad():
            test_loss = _model_loss(model, test).item()
        values = (totals / len(train)).tolist()
        for key, value in zip(("train", "recon", "kl"), values, strict=True):
            history[key].append(value)
        history["test"].append(test_loss)
    return history


# ---------------------------------------------------------------- mutants and variants

# name -> (question, variable, value): each mutant must cost its question and no other.
MUTANTS: dict[str, tuple[str, str, Any]] = {
    "vae_no_sigmoid": ("q1", "VAE", VAENoSigmoid),
    "vae_unflattened_input": ("q1", "VAE", VAEUnflattened),
    "vae_missing_half_in_sigma": ("q1", "VAE", VAEMissingHalf),
    "vae_logvar_as_sigma": ("q1", "VAE", VAELogvarAsStd),
    "vae_no_noise": ("q1", "VAE", VAENoNoise),
    "vae_detached_z_in_forward": ("q1", "VAE", VAEDetachedZ),
    "vae_detached_reparameterize": ("q1", "VAE", VAEDetachedReparameterize),
    "vae_torch_normal": ("q1", "VAE", VAETorchNormal),
    "vae_shared_noise": ("q1", "VAE", VAESharedNoise),
    "vae_forward_decodes_mean": ("q1", "VAE", VAEForwardDecodesMean),
    "vae_image_shaped_output": ("q1", "VAE", VAEImageShapedOutput),
    "vae_hard_coded_sizes": ("q1", "VAE", VAEHardCoded),
    # vae_loss mistakes: the key's evaluate and train_vae call vae_loss (cascades, see LIVE)
    "loss_kl_wrong_sign": ("q2", "vae_loss", loss_kl_wrong_sign),
    "loss_mean_over_pixels": ("q2", "vae_loss", loss_mean_over_pixels),
    "loss_sum_over_batch": ("q2", "vae_loss", loss_sum_over_batch),
    "loss_beta_on_reconstruction": ("q2", "vae_loss", loss_beta_on_reconstruction),
    "loss_ignores_beta": ("q2", "vae_loss", loss_ignores_beta),
    "loss_kl_missing_half": ("q2", "vae_loss", loss_kl_missing_half),
    "loss_kl_mean_over_dims": ("q2", "vae_loss", loss_kl_mean_over_dims),
    "loss_detached_kl": ("q2", "vae_loss", loss_detached_kl),
    "loss_squared_error": ("q2", "vae_loss", loss_squared_error),
    "loss_no_reshape": ("q2", "vae_loss", loss_no_reshape),
    "loss_returns_item": ("q2", "vae_loss", loss_returns_item),
    "loss_per_image": ("q2", "vae_loss", loss_per_image),
    # the two terms: the key's vae_loss and train_vae call them (cascades, see LIVE)
    "nll_mean_over_pixels": ("q2", "bernoulli_nll", nll_mean_over_pixels),
    "nll_default_reduction": ("q2", "bernoulli_nll", nll_default_reduction),
    "nll_wrong_sign": ("q2", "bernoulli_nll", nll_wrong_sign),
    "kl_wrong_sign": ("q2", "gaussian_kl", kl_wrong_sign),
    "kl_missing_half": ("q2", "gaussian_kl", kl_missing_half),
    "kl_mean_over_dims": ("q2", "gaussian_kl", kl_mean_over_dims),
    "q3_binary_floor_zero": ("q3", "q3_answer", 0.0),
    "q3_every_pixel": ("q3", "q3_answer", 784 * math.log(2)),
    "q3_bits": ("q3", "q3_answer", 84.0),
    "q3_per_pixel": ("q3", "q3_answer", 84 * math.log(2) / 784),
    # evaluate mistakes: the key's train_vae calls evaluate (cascades, see LIVE)
    "evaluate_decodes_mean": ("q4", "evaluate", evaluate_decodes_mean),
    "evaluate_sums_over_images": ("q4", "evaluate", evaluate_sums_over_images),
    "evaluate_mean_over_pixels": ("q4", "evaluate", evaluate_mean_over_pixels),
    "evaluate_takes_a_step": ("q4", "evaluate", evaluate_takes_a_step),
    "evaluate_returns_tensor": ("q4", "evaluate", evaluate_returns_tensor),
    "train_on_test_data": ("q5", "train_vae", _make_train_vae(batch_source="test")),
    "train_on_train_and_test": ("q5", "train_vae", _make_train_vae(batch_source="both")),
    "train_without_step": ("q5", "train_vae", _make_train_vae(step=False)),
    "train_ignores_beta": ("q5", "train_vae", _make_train_vae(use_beta=False)),
    "train_scores_train_as_test": ("q5", "train_vae", _make_train_vae(test_source="train")),
    "q6_easier_images": ("q6", "q6_answer", "a"),
    "q6_evaluate_decodes_mean": ("q6", "q6_answer", "b"),
    "q6_underfitting": ("q6", "q6_answer", "d"),
    "reconstruct_samples": ("q7", "reconstruct", reconstruct_samples),
    "reconstruct_image_shaped": ("q7", "reconstruct", reconstruct_image_shaped),
    "reconstruct_with_grad": ("q7", "reconstruct", reconstruct_with_grad),
}

# name -> (question, variable, value): correct answers written differently, full marks everywhere.
VARIANTS: dict[str, tuple[str, str, Any]] = {
    "vae_separate_layers": ("q1", "VAE", VAESeparateLayers),
    "vae_one_head": ("q1", "VAE", VAEOneHead),
    "vae_torch_distributions": ("q1", "VAE", VAEDistributions),
    "vae_logits_decoder": ("q1", "VAE", VAELogits),
    "vae_forward_inlines_sampling": ("q1", "VAE", VAEInlineForward),
    "vae_forward_inlines_rsample": ("q1", "VAE", VAEInlineRsample),
    "vae_clamped_decoder": ("q1", "VAE", VAEClampedDecoder),
    "loss_sum_then_divide": ("q2", "vae_loss", loss_sum_then_divide),
    "loss_torch_distributions": ("q2", "vae_loss", loss_torch_distributions),
    "loss_from_logits": ("q2", "vae_loss", loss_from_logits),
    "loss_epsilon_in_log": ("q2", "vae_loss", loss_epsilon_in_log),
    "loss_clamped": ("q2", "vae_loss", loss_clamped),
    "loss_float64": ("q2", "vae_loss", loss_float64),
    "loss_bce_sum_divided": ("q2", "vae_loss", loss_bce_sum_divided),
    "loss_validated_normal": ("q2", "vae_loss", loss_validated_normal),
    "nll_from_logits": ("q2", "bernoulli_nll", nll_from_logits),
    "nll_epsilon_in_log": ("q2", "bernoulli_nll", nll_epsilon_in_log),
    "nll_clamped": ("q2", "bernoulli_nll", nll_clamped),
    "nll_bernoulli_distribution": ("q2", "bernoulli_nll", nll_bernoulli_distribution),
    "nll_float64": ("q2", "bernoulli_nll", nll_float64),
    "kl_torch_distributions": ("q2", "gaussian_kl", kl_distributions),
    "kl_validated": ("q2", "gaussian_kl", kl_validated),
    "q3_rounded": ("q3", "q3_answer", 58.22),
    "evaluate_one_pass": ("q4", "evaluate", evaluate_one_pass),
    "evaluate_small_batches": ("q4", "evaluate", evaluate_small_batches),
    "evaluate_inline_epsilon": ("q4", "evaluate", evaluate_inline_epsilon),
    "train_vae_per_batch_items": ("q5", "train_vae", train_vae_per_batch_items),
    "train_vae_inline_test_loss": ("q5", "train_vae", train_vae_inline_test_loss),
    "q6_upper_case": ("q6", "q6_answer", " C "),
    "reconstruct_detach": ("q7", "reconstruct", reconstruct_detach),
}

# The names that the key's own evaluate and train_vae call: with_answers rebinds the key's
# functions to the mutant namespace, so these mutants are the cascades (a vae_loss bug seen by the
# key's evaluate and train_vae, an evaluate bug seen by the key's train_vae) that must still cost
# their own question only.
UPSTREAM = {"vae_loss", "bernoulli_nll", "gaussian_kl", "evaluate"}
CASCADES = sorted(name for name, (_, var, _) in MUTANTS.items() if var in UPSTREAM)


# ---------------------------------------------------------------- tests


def test_auto_graded_questions_are_the_expected_ones() -> None:
    check_expected_questions(ASSIGNMENT, AUTO_GRADED)


def test_hidden_tests_cover_every_auto_graded_question() -> None:
    assert [q.name for q in hidden_questions(ASSIGNMENT)] == sorted(AUTO_GRADED)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_key_full_marks(seed: int) -> None:
    check_key_full_marks(ASSIGNMENT, seed)


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_mutant_costs_one_question(mutant: str) -> None:
    question, name, value = MUTANTS[mutant]
    check_mutant_costs_one_question(ASSIGNMENT, question, {name: value}, mutant)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_full_marks(variant: str) -> None:
    _question, name, value = VARIANTS[variant]
    check_variant_full_marks(ASSIGNMENT, {name: value})


def test_cascades_reach_the_key_downstream_functions() -> None:
    """In a mutant namespace the key's evaluate really calls the mutant vae_loss, so the
    one-question checks of CASCADES test the probes' reference swaps, not a copy's isolation."""
    namespace = with_answers(ASSIGNMENT, {"vae_loss": loss_sum_over_batch})
    torch.manual_seed(0)
    model = BaseVAE(latent_dim=2, hidden_dim=5)
    x = torch.rand(9, 784)
    torch.manual_seed(1)
    broken = namespace["evaluate"](model, x)
    torch.manual_seed(1)
    right = key_namespace(ASSIGNMENT)["evaluate"](model, x)
    assert broken == pytest.approx(9 * right, rel=1e-5)
    assert CASCADES, "no cascade mutants"


def test_probes_put_the_students_functions_back() -> None:
    """The probes swap reference functions in for evaluate and train_vae and restore them."""
    replacements = {"vae_loss": loss_mean_over_pixels, "evaluate": evaluate_decodes_mean}
    namespace = with_answers(ASSIGNMENT, replacements)
    scores = hidden_scores(ASSIGNMENT, namespace)
    assert namespace["vae_loss"] is loss_mean_over_pixels
    assert namespace["evaluate"] is evaluate_decodes_mean
    assert "bernoulli_nll" in namespace and "gaussian_kl" in namespace
    assert scores["q2"] < 1 and scores["q4"] < 1 and scores["q5"] == 1, scores


def test_guesses_score_zero() -> None:
    check_guesses_score_zero(ASSIGNMENT)


def test_feedback_names_the_mistake() -> None:
    """Messages say what is wrong where the mistake can be told apart."""
    cases = {
        "loss_mean_over_pixels": "averaged over pixels",
        "loss_sum_over_batch": "summed over the batch",
        "evaluate_decodes_mean": "decodes mu",
        "vae_no_sigmoid": "sigmoid",
    }
    for mutant, phrase in cases.items():
        question, name, value = MUTANTS[mutant]
        message = hidden_feedback(ASSIGNMENT, with_answers(ASSIGNMENT, {name: value}))[question]
        assert phrase in message, (mutant, message)


def test_missing_answers_fail_public_checks() -> None:
    check_blank_fails_public(ASSIGNMENT, AUTO_GRADED)


@pytest.mark.slow
def test_key_notebook_runs_top_to_bottom_in_fast_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_key_notebook(ASSIGNMENT, tmp_path, monkeypatch)
