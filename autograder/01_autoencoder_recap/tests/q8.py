from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 2

@test_case(points=None, hidden=False)
def test_interpolate_shape_and_endpoints(interpolate):
    import torch
    assert callable(interpolate), 'define a function interpolate(z_start, z_end, steps)'
    start, end = (torch.tensor([0.0, 1.0]), torch.tensor([2.0, -1.0]))
    path = interpolate(start, end, 5)
    assert isinstance(path, torch.Tensor), f'return a tensor, got {type(path)}'
    assert path.shape == (5, 2), f'expected shape (steps, d) = (5, 2), got {tuple(path.shape)}'
    assert torch.allclose(path[0], start) and torch.allclose(path[-1], end), 'the first row must be z_start and the last row z_end'

@test_case(points=None, hidden=True)
def test_interpolate_matches_reference(interpolate):
    import torch
    gen = torch.Generator().manual_seed(401)
    start, end = (3 * torch.randn(5, generator=gen), 3 * torch.randn(5, generator=gen))
    t = torch.linspace(0, 1, 7)[:, None]
    expected = start + t * (end - start)
    got = interpolate(start, end, 7)
    assert got.shape == (7, 5), f'expected shape (7, 5), got {tuple(got.shape)}'
    assert torch.allclose(got[0], start, atol=1e-06) and torch.allclose(got[-1], end, atol=1e-05), 'the path must start exactly at z_start and end exactly at z_end'
    assert torch.allclose(got, expected, atol=1e-05), 'rows must be z_start + t (z_end - z_start) with t = k / (steps - 1)'

@test_case(points=None, hidden=True)
def test_interpolate_even_spacing_and_two_steps(interpolate):
    import torch
    start = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    end = torch.tensor([-3.0, 4.0, 0.5], dtype=torch.float64)
    path = interpolate(start, end, 11).double()
    steps = path[1:] - path[:-1]
    assert torch.allclose(steps, (end - start).expand(10, 3) / 10, atol=1e-06), 'consecutive points must be equally spaced, (z_end - z_start) / (steps - 1) apart'
    two = interpolate(start, end, 2).double()
    assert two.shape == (2, 3) and torch.allclose(two, torch.stack([start, end]), atol=1e-06), 'with steps = 2 the path is just the two endpoints'

