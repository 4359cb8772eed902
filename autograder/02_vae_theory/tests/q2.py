from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 3

@test_case(points=None, hidden=False)
def test_gaussian_kl_shape(gaussian_kl):
    import torch
    assert callable(gaussian_kl), 'define a function gaussian_kl(mu, logvar)'
    mu, logvar = (torch.zeros(4, 3), torch.zeros(4, 3))
    kl = gaussian_kl(mu, logvar)
    assert isinstance(kl, torch.Tensor), f'gaussian_kl must return a tensor, got {type(kl)}'
    assert kl.shape == (4,), f'expected shape (4,) for mu of shape (4, 3), got {tuple(kl.shape)}: sum over the latent dimension, keep one value per example'

@test_case(points=None, hidden=False)
def test_gaussian_kl_zero_at_prior_and_positive(gaussian_kl):
    import torch
    kl0 = gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5))
    assert torch.allclose(kl0, torch.zeros(2), atol=1e-06), f'q = N(0, I) is the prior itself, so the KL must be 0; got {kl0.tolist()}'
    kl1 = gaussian_kl(torch.ones(2, 5), torch.full((2, 5), -1.0))
    assert torch.isfinite(kl1).all() and (kl1 > 0).all(), f'a Gaussian different from the prior must have KL > 0; got {kl1.tolist()}'

@test_case(points=None, hidden=True)
def test_gaussian_kl_matches_reference(gaussian_kl):
    import torch
    gen = torch.Generator().manual_seed(2024)
    mu = 1.5 * torch.randn(7, 5, generator=gen)
    logvar = torch.randn(7, 5, generator=gen)
    expected = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=1)
    got = gaussian_kl(mu, logvar)
    assert got.shape == (7,), f'expected shape (7,), got {tuple(got.shape)}'
    if torch.allclose(got, -expected, atol=0.0001, rtol=0.0001):
        raise AssertionError('KL has the wrong sign: it must be >= 0')
    if torch.allclose(got, 2 * expected, atol=0.0001, rtol=0.0001):
        raise AssertionError('KL is twice the expected value: the factor 1/2 is missing')
    if torch.allclose(got, expected / 5, atol=0.0001, rtol=0.0001):
        raise AssertionError('sum over latent dimensions, do not average')
    assert torch.allclose(got, expected, atol=0.0001, rtol=0.0001), 'KL differs from the closed form on random inputs: check that logvar is log(sigma^2), so sigma^2 = exp(logvar)'

@test_case(points=None, hidden=True)
def test_gaussian_kl_known_values(gaussian_kl):
    import math
    import torch
    mu = torch.tensor([[0.0], [1.0], [0.0], [-3.0]])
    logvar = torch.tensor([[0.0], [0.0], [math.log(4.0)], [math.log(0.01)]])
    expected = torch.tensor([0.0, 0.5, 0.5 * (4.0 - 1.0 - math.log(4.0)), 0.5 * (9.0 + 0.01 - 1.0 - math.log(0.01))])
    got = gaussian_kl(mu, logvar)
    assert got.shape == (4,), f'with d = 1 the result must still have shape (B,), got {got.shape}'
    assert torch.allclose(got, expected, atol=0.0001, rtol=0.0001), f'known values (mu, sigma^2) = (0, 1), (1, 1), (0, 4), (-3, 0.01) should give {[round(v, 4) for v in expected.tolist()]}, got {[round(v, 4) for v in got.tolist()]}'

@test_case(points=None, hidden=True)
def test_gaussian_kl_gradients(gaussian_kl):
    import torch
    gen = torch.Generator().manual_seed(7)
    mu = torch.randn(5, 3, generator=gen, dtype=torch.float64).requires_grad_()
    logvar = torch.randn(5, 3, generator=gen, dtype=torch.float64).requires_grad_()
    kl = gaussian_kl(mu, logvar)
    assert kl.requires_grad, 'the KL is cut off from the graph: use torch operations, no .item(), .detach() or numpy'
    kl.sum().backward()
    assert mu.grad is not None and logvar.grad is not None, 'no gradient reached mu or logvar'
    assert torch.allclose(mu.grad, mu.detach(), atol=1e-06), 'dKL/dmu should equal mu'
    assert torch.allclose(logvar.grad, 0.5 * (logvar.detach().exp() - 1), atol=1e-06), 'dKL/dlogvar should equal (exp(logvar) - 1) / 2'

