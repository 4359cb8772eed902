from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 2

@test_case(points=None, hidden=False)
def test_bernoulli_nll_shape_and_range(bernoulli_nll):
    import torch
    assert callable(bernoulli_nll), 'define a function bernoulli_nll(x_hat, x)'
    x_hat = torch.full((4, 784), 0.3)
    x = torch.rand(4, 1, 28, 28)
    nll = bernoulli_nll(x_hat, x)
    assert isinstance(nll, torch.Tensor), f'bernoulli_nll must return a tensor, got {type(nll)}'
    assert nll.shape == (4,), f'expected shape (4,), got {tuple(nll.shape)}: sum over pixels, one value per image (x may arrive as (B, 1, 28, 28))'
    assert torch.isfinite(nll).all() and (nll >= 0).all(), 'the NLL must be finite and >= 0'

@test_case(points=None, hidden=True)
def test_bernoulli_nll_matches_reference(bernoulli_nll):
    import torch
    gen = torch.Generator().manual_seed(17)
    x_hat = 0.01 + 0.98 * torch.rand(7, 13, generator=gen)
    x = torch.rand(7, 13, generator=gen)
    expected = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)
    got = bernoulli_nll(x_hat, x)
    assert got.shape == (7,), f'expected shape (7,), got {tuple(got.shape)}'
    if torch.allclose(got, expected / 13, atol=0.0001, rtol=0.0001):
        raise AssertionError("sum over pixels, do not average: an image's likelihood is a product")
    if torch.allclose(got, -expected, atol=0.0001, rtol=0.0001):
        raise AssertionError('sign error: the negative log-likelihood is >= 0')
    assert torch.allclose(got, expected, atol=0.0001, rtol=0.0001), 'values differ from the summed binary cross-entropy on grey targets with D = 13'

@test_case(points=None, hidden=True)
def test_bernoulli_nll_image_shaped_targets(bernoulli_nll):
    import torch
    gen = torch.Generator().manual_seed(23)
    x_hat = 0.02 + 0.96 * torch.rand(5, 784, generator=gen)
    x = torch.rand(5, 1, 28, 28, generator=gen)
    flat = x.reshape(5, 784)
    expected = -(flat * x_hat.log() + (1 - flat) * (1 - x_hat).log()).sum(dim=1)
    got = bernoulli_nll(x_hat, x)
    assert got.shape == (5,), f'expected shape (5,) for x of shape (5, 1, 28, 28), got {got.shape}'
    assert torch.allclose(got, expected, atol=0.001, rtol=0.0001), 'with image-shaped x the result should equal the flattened computation'

@test_case(points=None, hidden=True)
def test_bernoulli_nll_known_value(bernoulli_nll):
    import math
    import torch
    x_hat = torch.full((3, 784), 0.5)
    x = (torch.arange(3 * 784).reshape(3, 784) % 2).float()
    got = bernoulli_nll(x_hat, x)
    expected = 784 * math.log(2)
    assert torch.allclose(got, torch.full((3,), expected), rtol=0.0001), f'a fair coin per pixel must cost 784 * log 2 = {expected:.2f} nats per image, got {got.tolist()}'

@test_case(points=None, hidden=True)
def test_bernoulli_nll_gradient(bernoulli_nll):
    import torch
    gen = torch.Generator().manual_seed(29)
    x_hat = (0.05 + 0.9 * torch.rand(3, 11, generator=gen, dtype=torch.float64)).requires_grad_()
    x = torch.rand(3, 11, generator=gen, dtype=torch.float64)
    nll = bernoulli_nll(x_hat, x)
    assert nll.requires_grad, 'the result is cut off from the graph: no .detach(), .item() or numpy'
    nll.sum().backward()
    assert x_hat.grad is not None, 'no gradient reached x_hat'
    p = x_hat.detach()
    assert torch.allclose(x_hat.grad, (p - x) / (p * (1 - p)), atol=1e-06), 'd(nll)/d(x_hat) should be (x_hat - x) / (x_hat (1 - x_hat)) for each pixel'

