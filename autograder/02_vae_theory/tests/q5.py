from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 2

@test_case(points=None, hidden=False)
def test_monte_carlo_kl_shape(monte_carlo_kl):
    import torch
    assert callable(monte_carlo_kl), 'define a function monte_carlo_kl(mu, logvar, n_samples)'
    est = monte_carlo_kl(torch.zeros(3, 2), torch.zeros(3, 2), 10)
    assert isinstance(est, torch.Tensor), f'monte_carlo_kl must return a tensor, got {type(est)}'
    assert est.shape == (3,), f'expected shape (3,) for mu of shape (3, 2), got {tuple(est.shape)}: average over the samples, sum over the latent dimensions'
    assert torch.isfinite(est).all(), 'the estimate contains inf or nan'

@test_case(points=None, hidden=True)
def test_monte_carlo_kl_is_random(monte_carlo_kl):
    import torch
    gen = torch.Generator().manual_seed(11)
    mu = torch.randn(3, 5, generator=gen)
    logvar = 0.5 * torch.randn(3, 5, generator=gen)
    first = monte_carlo_kl(mu, logvar, 7)
    second = monte_carlo_kl(mu, logvar, 7)
    assert first.shape == (3,), f'expected shape (3,), got {tuple(first.shape)}'
    assert not torch.allclose(first, second), 'two calls returned the same values: the estimate must use fresh random samples each time (and must not be the closed form)'

@test_case(points=None, hidden=True)
def test_monte_carlo_kl_converges_to_closed_form(monte_carlo_kl):
    import torch
    gen = torch.Generator().manual_seed(3)
    mu = torch.randn(5, 4, generator=gen)
    logvar = 0.7 * torch.randn(5, 4, generator=gen)
    closed_form = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=1)
    est = monte_carlo_kl(mu, logvar, 20000)
    assert est.shape == (5,), f'expected shape (5,), got {tuple(est.shape)}'
    assert torch.allclose(est, closed_form, atol=0.15), 'with 20000 samples the estimate should be within 0.15 nats of the closed form: sample z from q (not from the prior), average over samples, sum over dimensions, and include the log-variance in log q'

@test_case(points=None, hidden=True)
def test_monte_carlo_kl_single_sample_is_unbiased(monte_carlo_kl):
    import math
    import torch
    mu = torch.tensor([[1.0, -0.5]]).repeat(20000, 1)
    logvar = torch.tensor([[math.log(0.5), math.log(2.0)]]).repeat(20000, 1)
    closed_form = 0.5 * (mu[0] ** 2 + logvar[0].exp() - 1 - logvar[0]).sum()
    est = monte_carlo_kl(mu, logvar, 1)
    assert est.shape == (20000,), f'expected shape (20000,), got {tuple(est.shape)}'
    assert abs(est.mean().item() - closed_form.item()) < 0.1, 'with n_samples = 1 the estimates should average to the closed form over many rows'

