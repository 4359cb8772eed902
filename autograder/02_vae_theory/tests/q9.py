from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 2

@test_case(points=None, hidden=False)
def test_negative_elbo_is_scalar(negative_elbo):
    import torch
    assert callable(negative_elbo), 'define negative_elbo(x_hat, x, mu, logvar, beta=1.0)'
    loss = negative_elbo(torch.full((4, 784), 0.4), torch.rand(4, 1, 28, 28), torch.zeros(4, 2), torch.zeros(4, 2))
    assert isinstance(loss, torch.Tensor), f'negative_elbo must return a tensor, got {type(loss)}'
    assert loss.dim() == 0, f'expected a scalar (0-dim) tensor, got shape {tuple(loss.shape)}'
    assert torch.isfinite(loss) and loss > 0, f'the loss should be a positive number, got {loss}'

@test_case(points=None, hidden=True)
def test_negative_elbo_matches_reference(negative_elbo):
    import torch
    gen = torch.Generator().manual_seed(31)
    x_hat = 0.01 + 0.98 * torch.rand(7, 784, generator=gen)
    x = torch.rand(7, 1, 28, 28, generator=gen)
    mu = torch.randn(7, 3, generator=gen)
    logvar = torch.randn(7, 3, generator=gen)
    flat = x.reshape(7, 784)
    nll = -(flat * x_hat.log() + (1 - flat) * (1 - x_hat).log()).sum(dim=1)
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=1)
    got = negative_elbo(x_hat, x, mu, logvar)
    assert got.dim() == 0, f'expected a scalar, got shape {tuple(got.shape)}'
    if torch.allclose(got, (nll + kl).sum(), rtol=0.0001):
        raise AssertionError('average over the batch, do not sum')
    if torch.allclose(got, (nll - kl).mean(), rtol=0.0001):
        raise AssertionError('the KL term is added to the negative log-likelihood, not subtracted')
    assert torch.allclose(got, (nll + kl).mean(), rtol=0.0001), 'expected mean over the batch of (nll summed over pixels + KL summed over latent dims)'

@test_case(points=None, hidden=True)
def test_negative_elbo_beta(negative_elbo):
    import torch
    gen = torch.Generator().manual_seed(37)
    x_hat = 0.01 + 0.98 * torch.rand(5, 20, generator=gen)
    x = torch.rand(5, 20, generator=gen)
    mu = 2 * torch.randn(5, 4, generator=gen)
    logvar = torch.randn(5, 4, generator=gen)
    nll = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)
    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=1)
    for beta in (0.0, 2.5):
        got = negative_elbo(x_hat, x, mu, logvar, beta=beta)
        assert torch.allclose(got, (nll + beta * kl).mean(), rtol=0.0001), f'with beta = {beta} the loss should be mean(nll + beta * kl): beta multiplies the KL'

@test_case(points=None, hidden=True)
def test_negative_elbo_gradients(negative_elbo):
    import torch
    gen = torch.Generator().manual_seed(41)
    x_hat = (0.05 + 0.9 * torch.rand(3, 10, generator=gen, dtype=torch.float64)).requires_grad_()
    x = torch.rand(3, 10, generator=gen, dtype=torch.float64)
    mu = torch.randn(3, 2, generator=gen, dtype=torch.float64).requires_grad_()
    logvar = torch.randn(3, 2, generator=gen, dtype=torch.float64).requires_grad_()
    loss = negative_elbo(x_hat, x, mu, logvar, beta=1.5)
    assert loss.requires_grad, 'the loss is cut off from the graph: no .detach(), .item() or numpy'
    loss.backward()
    for name, t in (('x_hat', x_hat), ('mu', mu), ('logvar', logvar)):
        assert t.grad is not None, f'no gradient reached {name}'
    p = x_hat.detach()
    assert torch.allclose(x_hat.grad, (p - x) / (p * (1 - p)) / 3, atol=1e-06), 'gradient with respect to x_hat is wrong: batch mean of the per-image sums'
    assert torch.allclose(mu.grad, 1.5 * mu.detach() / 3, atol=1e-06), 'gradient with respect to mu should be beta * mu / B'
    assert torch.allclose(logvar.grad, 1.5 * 0.5 * (logvar.detach().exp() - 1) / 3, atol=1e-06), 'gradient with respect to logvar should be beta * (exp(logvar) - 1) / (2 B)'

