from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 4

@test_case(points=None, hidden=False)
def test_iwae_bound_shape(iwae_bound):
    import torch

    class TinyVAE(torch.nn.Module):
        """A stand-in model: 784 -> (mu, logvar) of size 3, 3 -> 784."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 3
            self.mu = torch.nn.Linear(784, 3)
            self.logvar = torch.nn.Linear(784, 3)
            self.out = torch.nn.Linear(3, 784)

        def encode(self, x):
            x = x.reshape(len(x), -1)
            return (self.mu(x), self.logvar(x))

        def decode(self, z):
            return torch.sigmoid(self.out(z))
    assert callable(iwae_bound), 'define a function iwae_bound(model, x, k)'
    torch.manual_seed(0)
    bound = iwae_bound(TinyVAE(), torch.rand(4, 784).round(), 5)
    assert isinstance(bound, torch.Tensor), f'iwae_bound must return a tensor, got {type(bound)}'
    assert tuple(bound.shape) == (4,), f'expected one value per image, shape (4,), got {tuple(bound.shape)}'
    assert torch.isfinite(bound).all() and (bound < 0).all(), 'log p(x) of binary images is a finite negative number of nats'

@test_case(points=None, hidden=True)
def test_iwae_bound_exact_when_the_posterior_is_exact(iwae_bound):
    import torch

    class ConstantDecoderVAE(torch.nn.Module):
        """Decoder ignores z and q(z|x) is the prior, so every weight equals p(x) exactly."""

        def __init__(self):
            super().__init__()
            gen = torch.Generator().manual_seed(111)
            self.latent_dim = 4
            self.logits = torch.nn.Parameter(8.0 * torch.sign(torch.randn(784, generator=gen)))

        def encode(self, x):
            zeros = torch.zeros(x.shape[0], 4)
            return (zeros, zeros.clone())

        def decode(self, z):
            return torch.sigmoid(self.logits).expand(z.shape[0], 784)
    torch.manual_seed(112)
    model = ConstantDecoderVAE()
    x = torch.rand(7, 1, 28, 28).round()
    with torch.no_grad():
        p = torch.sigmoid(model.logits)
        flat = x.reshape(7, 784)
        exact = (flat * torch.log(p) + (1 - flat) * torch.log(1 - p)).sum(dim=1)
    for k in (1, 5):
        got = iwae_bound(model, x, k)
        assert tuple(got.shape) == (7,), f'expected shape (7,), got {tuple(got.shape)}'
        assert torch.isfinite(got).all(), 'log-weights near -3000 nats underflow if you exponentiate them: use torch.logsumexp'
        if k > 1 and torch.allclose(got, exact + torch.log(torch.tensor(float(k))), atol=0.05):
            raise AssertionError('subtract log k: the bound averages the k weights, it does not add them')
        assert torch.allclose(got, exact, atol=0.05, rtol=1e-05), f'with k={k}, every weight equals p(x) here, so the bound must equal log p(x) exactly'

@test_case(points=None, hidden=True)
def test_iwae_bound_approaches_log_likelihood(iwae_bound):
    import math
    import torch

    class OneDimVAE(torch.nn.Module):
        """One latent dimension, so log p(x) can be computed by numerical integration."""

        def __init__(self):
            super().__init__()
            gen = torch.Generator().manual_seed(3)
            self.latent_dim = 1
            self.weight = torch.nn.Parameter(0.1 * torch.randn(784, 1, generator=gen))
            self.bias = torch.nn.Parameter(0.5 * torch.randn(784, generator=gen))

        def encode(self, x):
            b = x.shape[0]
            return (torch.full((b, 1), 0.8), torch.full((b, 1), 0.5))

        def decode(self, z):
            return torch.sigmoid(z @ self.weight.T + self.bias)
    model = OneDimVAE()
    torch.manual_seed(121)
    with torch.no_grad():
        x = torch.bernoulli(model.decode(torch.randn(7, 1)))
        grid = torch.linspace(-10, 10, 4001).unsqueeze(1)
        step = 20 / 4000
        p = model.decode(grid)
        log_lik = x @ torch.log(p).T + (1 - x) @ torch.log(1 - p).T
        log_prior = torch.distributions.Normal(0.0, 1.0).log_prob(grid[:, 0])
        log_px = torch.logsumexp(log_lik + log_prior, dim=1) + math.log(step)
        q = torch.distributions.Normal(0.8, math.exp(0.25)).log_prob(grid[:, 0]).exp()
        elbo = (log_lik * q).sum(dim=1) * step - 0.5 * (0.8 ** 2 + math.exp(0.5) - 1 - 0.5)
    torch.manual_seed(122)
    tight = iwae_bound(model, x, 1000)
    assert tuple(tight.shape) == (7,), f'expected shape (7,), got {tuple(tight.shape)}'
    gap = (log_px - elbo).mean().item()
    assert torch.allclose(tight, log_px, atol=0.3), f'with k=1000 the bound should be within 0.3 nats of log p(x) = {log_px.tolist()}, got {tight.tolist()} (the ELBO is {gap:.2f} nats lower on average): average the weights with logsumexp - log k, do not average the log-weights'
    one = iwae_bound(model, x[:1].expand(2000, 784), 1)
    assert abs(one.mean().item() - elbo[0].item()) < 0.35, f'with k=1 the bound must be an unbiased estimate of the ELBO ({elbo[0].item():.2f}), got mean {one.mean().item():.2f}: check log p(x|z) + log p(z) - log q(z|x)'
    ten = iwae_bound(model, x[:1].expand(1000, 784), 10)
    assert elbo[0].item() + 0.3 < ten.mean().item() < log_px[0].item() + 0.1, f'with k=10 the bound should lie between the ELBO ({elbo[0].item():.2f}) and log p(x) ({log_px[0].item():.2f}), got {ten.mean().item():.2f}'

