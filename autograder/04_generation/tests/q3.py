from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 2

@test_case(points=None, hidden=False)
def test_interpolate_shape_and_ends(interpolate):
    import torch
    assert callable(interpolate), 'define a function interpolate(z_start, z_end, steps)'
    start, end = (torch.zeros(3), torch.ones(3))
    path = interpolate(start, end, 5)
    assert isinstance(path, torch.Tensor), f'interpolate must return a tensor, got {type(path)}'
    assert tuple(path.shape) == (5, 3), f'expected shape (steps, d) = (5, 3), got {tuple(path.shape)}'
    assert torch.allclose(path[0], start) and torch.allclose(path[-1], end), 'the first row must be z_start and the last row z_end'

@test_case(points=None, hidden=True)
def test_interpolate_matches_the_straight_line(interpolate):
    import torch
    gen = torch.Generator().manual_seed(31)
    start, end = (2 * torch.randn(7, generator=gen), 2 * torch.randn(7, generator=gen))
    path = interpolate(start, end, 9)
    assert tuple(path.shape) == (9, 7), f'expected (9, 7), got {tuple(path.shape)}'
    assert torch.allclose(path[0], start, atol=1e-05), 'the path must start exactly at z_start'
    assert torch.allclose(path[-1], end, atol=1e-05), 'the path must end exactly at z_end: both endpoints are included, t_i = i / (steps - 1)'
    t = torch.arange(9, dtype=torch.float32).unsqueeze(1) / 8
    expected = (1 - t) * start + t * end
    assert torch.allclose(path, expected, atol=1e-05), 'row i must be (1 - t_i) z_start + t_i z_end with evenly spaced t_i from 0 to 1'

@test_case(points=None, hidden=True)
def test_interpolate_is_evenly_spaced(interpolate):
    import torch
    gen = torch.Generator().manual_seed(32)
    start, end = (torch.randn(4, generator=gen), torch.randn(4, generator=gen))
    path = interpolate(start, end, 6)
    steps = path[1:] - path[:-1]
    assert torch.allclose(steps, ((end - start) / 5).expand(5, 4), atol=1e-05), 'consecutive points must be equally far apart: each step is (z_end - z_start) / (steps - 1)'
    two = interpolate(start, end, 2)
    assert tuple(two.shape) == (2, 4) and torch.allclose(two, torch.stack([start, end]), atol=1e-06), 'with steps=2 the path is just [z_start, z_end]'

