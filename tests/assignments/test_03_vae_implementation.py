"""03_vae_implementation: the hidden tests give the key full marks, charge each classic mistake to
its own question only, keep every sound variant at full marks, and give guesses nothing.

The VAE mutants and variants are self-contained classes (or subclasses of a correct base) that
differ from a correct model only where they say they do. Mistakes in `evaluate` are cascades:
`with_answers` rebinds the key's functions to the mutant namespace, so the key's own `train_vae`
calls the mutant exactly as in a student's kernel, and the mutant must still cost only its own
question (see CASCADES). The loss (`vae_loss`, `bernoulli_nll`, `gaussian_kl`) is provided, not
graded: an edited copy of it must cost nothing (see EDITED_LOSS).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Bernoulli, Normal, kl_divergence

from tests.assignments.harness import AssignmentChecks, Cases
from tests.otter_support import (
    check_variant_full_marks,
    hidden_feedback,
    hidden_scores,
    key_namespace,
    with_answers,
)

ASSIGNMENT = "03_vae_implementation"
AUTO_GRADED = {"q1", "q3", "q4", "q5", "q6", "q7", "q10", "q11"}


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


# ---------------------------------------------------------------- the provided loss


def _nll(x_hat, x):
    x = x.reshape(x_hat.shape)
    return -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)


def _kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)


# The loss is provided in the notebook (not graded); a student may still edit its cell. These
# broken versions must cost nothing: the probes of evaluate and train_vae swap in stand-in terms.


def loss_mean_over_pixels(x_hat, x, mu, logvar, beta=1.0):
    """F.binary_cross_entropy's default reduction: the mean over pixels and images."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape)) + beta * _kl(mu, logvar).mean()


def loss_sum_over_batch(x_hat, x, mu, logvar, beta=1.0):
    """Summed over the batch instead of averaged."""
    return (_nll(x_hat, x) + beta * _kl(mu, logvar)).sum()


def nll_mean_over_pixels(x_hat, x):
    """bernoulli_nll averaged over pixels."""
    return F.binary_cross_entropy(x_hat, x.reshape(x_hat.shape), reduction="none").mean(dim=1)


def kl_wrong_sign(mu, logvar):
    """gaussian_kl with the wrong sign."""
    return 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=1)


def loss_sum_then_divide(x_hat, x, mu, logvar, beta=1.0):
    """reduction='sum' divided by the batch size, and the textbook KL (used by an evaluate)."""
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


EDITED_LOSS = {
    "vae_loss_mean_over_pixels": ("vae_loss", loss_mean_over_pixels),
    "vae_loss_sum_over_batch": ("vae_loss", loss_sum_over_batch),
    "bernoulli_nll_mean_over_pixels": ("bernoulli_nll", nll_mean_over_pixels),
    "gaussian_kl_wrong_sign": ("gaussian_kl", kl_wrong_sign),
    "vae_loss_torch_distributions": ("vae_loss", loss_torch_distributions),
}


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


# ---------------------------------------------------------------- q10: binarize


def binarize_threshold(x):
    """Rounds at 0.5: the same image at every call."""
    return (x > 0.5).float()


def binarize_reseeds(x):
    """Reseeds the global generator: the same draw at every call."""
    torch.manual_seed(0)
    return torch.bernoulli(x)


def binarize_uniform_noise(x):
    """Adds uniform noise to the grey values: no Bernoulli draw, values not 0 or 1."""
    return (x + 0.2 * (torch.rand_like(x) - 0.5)).clamp(0, 1)


def binarize_probabilities(x):
    """Returns the probabilities themselves."""
    return x.clone()


def binarize_returns_bool(x):
    """The right draw, but a boolean tensor."""
    return torch.rand_like(x) < x


def binarize_one_number_per_call(x):
    """One uniform number for every pixel: right frequencies, but the pixels are not independent."""
    return (torch.rand((), device=x.device) < x).float()


def binarize_compare(x):
    """A uniform number per pixel, compared with x."""
    return (torch.rand_like(x) < x).float()


def binarize_distribution(x):
    """torch.distributions.Bernoulli."""
    return Bernoulli(probs=x).sample()


def binarize_floor(x):
    """floor(x + u) with u uniform on [0, 1) is 1 exactly when u >= 1 - x: probability x."""
    return torch.floor(x + torch.rand_like(x))


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


# ---------------------------------------------------------------- q11: ConvVAE


class ConvBase(nn.Module):
    """A correct convolutional VAE (the notebook's design) that each mutant below breaks once."""

    def __init__(self, latent_dim=20, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.latent_dim, self.input_dim = latent_dim, 784
        self.enc = nn.Sequential(
            nn.Conv2d(1, c1, 4, 2, 1), nn.ELU(), nn.Conv2d(c1, c2, 4, 2, 1), nn.ELU(), nn.Flatten()
        )
        self.mu_head = nn.Linear(c2 * 49, latent_dim)
        self.logvar_head = nn.Linear(c2 * 49, latent_dim)
        self.dec = nn.Sequential(
            nn.Linear(latent_dim, c2 * 49),
            nn.ELU(),
            nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 4, 2, 1),
            nn.ELU(),
            nn.ConvTranspose2d(c1, 1, 4, 2, 1),
        )

    def encode(self, x):
        hidden = self.enc(x.reshape(-1, 1, 28, 28))
        return self.mu_head(hidden), self.logvar_head(hidden)

    def reparameterize(self, mu, logvar):
        return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

    def decode(self, z):
        return torch.sigmoid(self.dec(z)).flatten(1)

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class ConvDense(BaseVAE):
    """Not convolutional: the fully connected VAE under the new name."""

    def __init__(self, latent_dim=20, channels=(16, 32)):
        super().__init__(latent_dim=latent_dim, hidden_dim=400)


class ConvHardCodedLatent(ConvBase):
    """Ignores latent_dim: always 20."""

    def __init__(self, latent_dim=20, channels=(16, 32)):
        super().__init__(latent_dim=20, channels=channels)


class ConvNoSigmoid(ConvBase):
    """Returns logits instead of probabilities."""

    def decode(self, z):
        return self.dec(z).flatten(1)


class ConvImageShaped(ConvBase):
    """decode returns (B, 1, 28, 28) instead of flat rows."""

    def decode(self, z):
        return torch.sigmoid(self.dec(z))


class ConvNeedsImages(ConvBase):
    """encode feeds x to the convolutions as it comes: fails on flat (B, 784) input."""

    def encode(self, x):
        hidden = self.enc(x)
        return self.mu_head(hidden), self.logvar_head(hidden)


class ConvLogvarAsStd(ConvBase):
    """Uses exp(logvar) as the standard deviation."""

    def reparameterize(self, mu, logvar):
        return mu + torch.exp(logvar) * torch.randn_like(mu)


class ConvForwardDecodesMean(ConvBase):
    """forward decodes mu itself: the reconstruction never sees a sampled code."""

    def forward(self, x):
        mu, logvar = self.encode(x)
        return self.decode(mu), mu, logvar


class ConvWideDecoder(ConvBase):
    """Decoder from a full-resolution linear layer: within budget only for small latent sizes."""

    def __init__(self, latent_dim=20, channels=(16, 32)):
        super().__init__(latent_dim=latent_dim, channels=channels)
        c1, c2 = channels
        self.dec = nn.Sequential(
            nn.Linear(latent_dim, c2 * 28 * 28),
            nn.ELU(),
            nn.Unflatten(1, (c2, 28, 28)),
            nn.Conv2d(c2, 1, 3, padding=1),
        )


class ConvUpsample(nn.Module):
    """Correct, laid out differently: max-pooling encoder, upsampling + Conv2d decoder, one head."""

    def __init__(self, latent_dim=20, channels=(8, 16)):
        super().__init__()
        c1, c2 = channels
        self.latent_dim = latent_dim
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(c2 * 7 * 7, 2 * latent_dim)
        self.start = nn.Linear(latent_dim, c2 * 7 * 7)
        self.body = nn.Sequential(
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c2, c1, 3, padding=1),
            nn.ReLU(),
            nn.Upsample(scale_factor=2),
            nn.Conv2d(c1, 1, 3, padding=1),
        )
        self.c2 = c2

    def encode(self, x):
        h = self.features(x.view(x.shape[0], 1, 28, 28)).flatten(start_dim=1)
        mu, logvar = self.head(h).chunk(2, dim=-1)
        return mu, logvar

    def reparameterize(self, mu, logvar):
        return Normal(mu, (0.5 * logvar).exp()).rsample()

    def decode(self, z):
        h = torch.relu(self.start(z)).view(-1, self.c2, 7, 7)
        return torch.sigmoid(self.body(h)).view(z.shape[0], 784)

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


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
    "q6_evaluate_removes_noise": ("q6", "q6_answer", "c"),
    "q6_same_curves": ("q6", "q6_answer", "d"),
    "reconstruct_samples": ("q7", "reconstruct", reconstruct_samples),
    "reconstruct_image_shaped": ("q7", "reconstruct", reconstruct_image_shaped),
    "reconstruct_with_grad": ("q7", "reconstruct", reconstruct_with_grad),
    "binarize_threshold": ("q10", "binarize", binarize_threshold),
    "binarize_reseeds": ("q10", "binarize", binarize_reseeds),
    "binarize_uniform_noise": ("q10", "binarize", binarize_uniform_noise),
    "binarize_probabilities": ("q10", "binarize", binarize_probabilities),
    "binarize_returns_bool": ("q10", "binarize", binarize_returns_bool),
    "binarize_one_number_per_call": ("q10", "binarize", binarize_one_number_per_call),
    "conv_dense": ("q11", "ConvVAE", ConvDense),
    "conv_forward_decodes_mean": ("q11", "ConvVAE", ConvForwardDecodesMean),
    "conv_wide_decoder": ("q11", "ConvVAE", ConvWideDecoder),
    "conv_hard_coded_latent": ("q11", "ConvVAE", ConvHardCodedLatent),
    "conv_no_sigmoid": ("q11", "ConvVAE", ConvNoSigmoid),
    "conv_image_shaped": ("q11", "ConvVAE", ConvImageShaped),
    "conv_needs_images": ("q11", "ConvVAE", ConvNeedsImages),
    "conv_logvar_as_std": ("q11", "ConvVAE", ConvLogvarAsStd),
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
    "q3_rounded": ("q3", "q3_answer", 58.22),
    "evaluate_one_pass": ("q4", "evaluate", evaluate_one_pass),
    "evaluate_small_batches": ("q4", "evaluate", evaluate_small_batches),
    "evaluate_inline_epsilon": ("q4", "evaluate", evaluate_inline_epsilon),
    "train_vae_per_batch_items": ("q5", "train_vae", train_vae_per_batch_items),
    "train_vae_inline_test_loss": ("q5", "train_vae", train_vae_inline_test_loss),
    "q6_upper_case": ("q6", "q6_answer", " B "),
    "reconstruct_detach": ("q7", "reconstruct", reconstruct_detach),
    "binarize_torch_bernoulli": ("q10", "binarize", torch.bernoulli),
    "binarize_compare": ("q10", "binarize", binarize_compare),
    "binarize_distribution": ("q10", "binarize", binarize_distribution),
    "binarize_floor": ("q10", "binarize", binarize_floor),
    "conv_separate_heads": ("q11", "ConvVAE", ConvBase),
    "conv_upsample": ("q11", "ConvVAE", ConvUpsample),
}

# The names that the key's own train_vae calls: with_answers rebinds the key's functions to the
# mutant namespace, so these mutants are the cascades (an evaluate bug seen by the key's train_vae)
# that must still cost their own question only. Edits of the provided loss: see EDITED_LOSS.
UPSTREAM = {"evaluate"}
CASCADES = sorted(name for name, (_, var, _) in MUTANTS.items() if var in UPSTREAM)


def _history_shape(model, train_x, test_x, epochs, *args, **kwargs):
    """What train_vae returns, for its stubs: four lists of one float per epoch."""
    return {key: [0.0] * epochs for key in ("train", "test", "recon", "kl")}


# ---------------------------------------------------------------- tests


STUB_SHAPES = {"train_vae": _history_shape}


class TestGrading(AssignmentChecks):
    """The checks every assignment gets (tests/assignments/harness.py), on this registry."""

    CASES = Cases(ASSIGNMENT, AUTO_GRADED, MUTANTS, VARIANTS, stub_shapes=STUB_SHAPES)


def test_cascades_reach_the_key_downstream_functions() -> None:
    """In a mutant namespace the key's evaluate really calls the mutant vae_loss, so the
    one-question checks of CASCADES test the probes' stand-in swaps, not a copy's isolation."""
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
    """The probes swap stand-ins in for evaluate and train_vae and restore them."""
    replacements = {"vae_loss": loss_mean_over_pixels, "evaluate": evaluate_decodes_mean}
    namespace = with_answers(ASSIGNMENT, replacements)
    scores = hidden_scores(ASSIGNMENT, namespace)
    assert namespace["vae_loss"] is loss_mean_over_pixels
    assert namespace["evaluate"] is evaluate_decodes_mean
    assert "bernoulli_nll" in namespace and "gaussian_kl" in namespace
    assert scores["q4"] < 1 and scores["q5"] == 1, scores


@pytest.mark.parametrize("edit", sorted(EDITED_LOSS))
def test_edited_provided_loss_costs_nothing(edit: str) -> None:
    """The loss is provided, not graded: breaking its cell costs no point of Q4 or Q5."""
    name, value = EDITED_LOSS[edit]
    check_variant_full_marks(ASSIGNMENT, {name: value})


def test_feedback_names_the_mistake() -> None:
    """Messages say what is wrong where the mistake can be told apart."""
    cases = {
        "evaluate_decodes_mean": "decodes mu",
        "vae_no_sigmoid": "sigmoid",
        "binarize_threshold": "x > 0.5",
        "binarize_reseeds": "do not reseed",
        "binarize_probabilities": "exactly 0.0 or 1.0",
        "binarize_returns_bool": "not a boolean one",
        "conv_dense": "2-d convolution",
        "conv_no_sigmoid": "sigmoid",
    }
    for mutant, phrase in cases.items():
        question, name, value = MUTANTS[mutant]
        message = hidden_feedback(ASSIGNMENT, with_answers(ASSIGNMENT, {name: value}))[question]
        assert phrase in message, (mutant, message)
