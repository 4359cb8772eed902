from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 2

@test_case(points=None, hidden=False)
def test_kl_per_dimension_shape_and_zero(kl_per_dimension):
    import torch
    assert callable(kl_per_dimension), 'define a function kl_per_dimension(mu, logvar)'
    kl = kl_per_dimension(torch.zeros(6, 4), torch.zeros(6, 4))
    assert isinstance(kl, torch.Tensor), f'kl_per_dimension must return a tensor, got {type(kl)}'
    assert tuple(kl.shape) == (4,), f'expected one value per latent dimension, shape (4,), got {tuple(kl.shape)}'
    assert torch.allclose(kl, torch.zeros(4), atol=1e-06), 'posteriors equal to the prior have KL 0'

@test_case(points=None, hidden=True)
def test_kl_per_dimension_matches_reference(kl_per_dimension):
    import torch
    gen = torch.Generator().manual_seed(91)
    mu = 1.3 * torch.randn(97, 6, generator=gen)
    logvar = torch.randn(97, 6, generator=gen)
    expected = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).mean(dim=0)
    got = kl_per_dimension(mu, logvar)
    assert tuple(got.shape) == (6,), f'expected shape (6,), got {tuple(got.shape)}'
    if torch.allclose(got, 97 * expected, rtol=0.0001):
        raise AssertionError('average over the images, do not sum: the result must not grow with N')
    if torch.allclose(got, -expected, rtol=0.0001):
        raise AssertionError('wrong sign: a KL divergence is >= 0')
    assert torch.allclose(got, expected, atol=0.0001, rtol=0.0001), 'values differ from the closed-form KL averaged over images (sigma^2 = exp(logvar))'

@test_case(points=None, hidden=True)
def test_kl_per_dimension_known_values(kl_per_dimension):
    import math
    import torch
    mu = torch.tensor([[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    logvar = torch.tensor([[0.0, 0.0, math.log(4.0)], [0.0, 0.0, math.log(4.0)]])
    expected = torch.tensor([0.0, 1.0, 0.5 * (4.0 - 1.0 - math.log(4.0))])
    got = kl_per_dimension(mu, logvar)
    assert torch.allclose(got, expected, atol=0.0001), f'expected {[round(v, 4) for v in expected.tolist()]} for these posteriors, got {[round(v, 4) for v in got.tolist()]}'

