from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 3

@test_case(points=None, hidden=False)
def test_reparameterize_shape_and_noise(reparameterize):
    import torch
    assert callable(reparameterize), 'define a function reparameterize(mu, logvar)'
    mu, logvar = (torch.zeros(6, 3), torch.zeros(6, 3))
    z = reparameterize(mu, logvar)
    assert isinstance(z, torch.Tensor), f'reparameterize must return a tensor, got {type(z)}'
    assert z.shape == mu.shape, f'z must have the shape of mu {mu.shape}, got {z.shape}'
    assert torch.isfinite(z).all(), 'z contains inf or nan'
    assert not torch.allclose(z, mu), 'z equals mu: the sample needs noise eps ~ N(0, I)'

@test_case(points=None, hidden=True)
def test_reparameterize_statistics(reparameterize):
    import math
    import torch
    mu = torch.tensor([[-2.0, 0.0, 3.0]]).repeat(200000, 1)
    logvar = torch.tensor([[math.log(0.25), 0.0, math.log(4.0)]]).repeat(200000, 1)
    z = reparameterize(mu, logvar)
    assert z.shape == (200000, 3), f'expected shape (200000, 3), got {tuple(z.shape)}'
    mean, std = (z.mean(dim=0), z.std(dim=0))
    assert torch.allclose(mean, mu[0], atol=0.03), f'sample means {mean.tolist()} should be close to mu {mu[0].tolist()}'
    assert torch.allclose(std, torch.tensor([0.5, 1.0, 2.0]), rtol=0.02), f'sample standard deviations {std.tolist()} should be sigma = exp(logvar / 2) = [0.5, 1.0, 2.0]: logvar is log(sigma^2), and each element needs its own noise'

@test_case(points=None, hidden=True)
def test_reparameterize_is_random(reparameterize):
    import torch
    gen = torch.Generator().manual_seed(5)
    mu = torch.randn(7, 3, generator=gen)
    logvar = torch.randn(7, 3, generator=gen)
    first, second = (reparameterize(mu, logvar), reparameterize(mu, logvar))
    assert first.shape == (7, 3), f'expected shape (7, 3), got {tuple(first.shape)}'
    assert not torch.allclose(first, second), 'two calls returned the same sample: draw fresh noise each call and do not reseed'

@test_case(points=None, hidden=True)
def test_reparameterize_gradients(reparameterize):
    import torch
    gen = torch.Generator().manual_seed(9)
    mu = torch.randn(9, 4, generator=gen, dtype=torch.float64).requires_grad_()
    logvar = torch.randn(9, 4, generator=gen, dtype=torch.float64).requires_grad_()
    z = reparameterize(mu, logvar)
    assert z.requires_grad, 'z is cut off from the graph: torch.normal or .detach() stop gradients'
    z.sum().backward()
    assert mu.grad is not None and logvar.grad is not None, 'gradients must reach mu and logvar'
    assert torch.allclose(mu.grad, torch.ones_like(mu), atol=1e-06), 'dz/dmu must be 1: torch.normal(mu, std) has zero gradient, use mu + std * eps'
    expected = 0.5 * (z.detach() - mu.detach())
    assert torch.allclose(logvar.grad, expected, atol=1e-06), 'dz/dlogvar must be 0.5 * sigma * eps = 0.5 * (z - mu): sigma = exp(logvar / 2)'

