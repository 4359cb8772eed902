from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 2

@test_case(points=None, hidden=False)
def test_active_units_type(active_units):
    import torch
    assert callable(active_units), 'define a function active_units(mu, threshold=0.01)'
    mu = torch.zeros(8, 3)
    mu[:, 0] = torch.arange(8.0)
    count = active_units(mu)
    assert isinstance(count, int), f'return a Python int (use int(...) or .item()), got {type(count)}'
    assert count == 1, f'one of the three columns varies across the rows, got {count}'

@test_case(points=None, hidden=True)
def test_active_units_variance_over_the_data(active_units):
    import torch
    gen = torch.Generator().manual_seed(101)
    n = 97
    mu = torch.zeros(n, 9)
    mu[:, 0] = torch.randn(n, generator=gen)
    mu[:, 1] = 0.5 * torch.randn(n, generator=gen)
    mu[:, 2] = 3.0
    mu[:, 3] = 0.003 * torch.randn(n, generator=gen)
    mu[:, 4] = 2.0 + 0.3 * torch.randn(n, generator=gen)
    mu[:, 5] = -1.5
    mu[:, 6] = 0.2 * torch.randn(n, generator=gen)
    count = active_units(mu)
    assert isinstance(count, int), f'return a Python int, got {type(count)}'
    assert count == 4, f'expected 4 active dimensions, got {count}: take the variance of each column over the images (dim=0), not of each row over the dimensions, and not the size of the mean'

@test_case(points=None, hidden=True)
def test_active_units_threshold(active_units):
    import torch
    gen = torch.Generator().manual_seed(102)
    scales = torch.tensor([0.05, 0.3, 0.8, 1.5, 3.0])
    mu = torch.randn(501, 5, generator=gen) * scales
    assert active_units(mu, threshold=0.01) == 4, 'with threshold 0.01, four columns vary enough'
    assert active_units(mu, threshold=1.0) == 2, 'the threshold argument must be used'
    assert active_units(mu, threshold=100.0) == 0, 'no column has variance above 100'

