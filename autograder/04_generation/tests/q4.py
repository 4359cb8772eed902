from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 3

@test_case(points=None, hidden=False)
def test_slerp_shape_and_ends(slerp):
    import torch
    assert callable(slerp), 'define a function slerp(z_start, z_end, steps)'
    start, end = (torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 2.0, 0.0]))
    path = slerp(start, end, 5)
    assert isinstance(path, torch.Tensor), f'slerp must return a tensor, got {type(path)}'
    assert tuple(path.shape) == (5, 3), f'expected shape (steps, d) = (5, 3), got {tuple(path.shape)}'
    assert torch.isfinite(path).all(), 'slerp returned nan or inf'
    assert torch.allclose(path[0], start, atol=1e-05) and torch.allclose(path[-1], end, atol=1e-05), 'the first row must be z_start and the last row z_end'

@test_case(points=None, hidden=True)
def test_slerp_stays_on_the_circle(slerp):
    import math
    import torch
    start = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0])
    end = torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0])
    path = slerp(start, end, 7)
    assert tuple(path.shape) == (7, 5), f'expected (7, 5), got {tuple(path.shape)}'
    norms = path.norm(dim=1)
    assert torch.allclose(norms, torch.ones(7), atol=0.0001), f'between two orthogonal unit vectors every slerp point has length 1 (the straight line dips to {math.sqrt(0.5):.3f} in the middle); got lengths {[round(v, 3) for v in norms.tolist()]}'
    cosines = (path[1:] * path[:-1]).sum(dim=1) / (norms[1:] * norms[:-1])
    angles = torch.acos(cosines.clamp(-1, 1))
    assert torch.allclose(angles, torch.full((6,), math.pi / 12), atol=0.001), 'consecutive slerp points must be separated by equal angles Omega / (steps - 1)'

@test_case(points=None, hidden=True)
def test_slerp_matches_the_formula(slerp):
    import torch
    gen = torch.Generator().manual_seed(41)
    start, end = (3 * torch.randn(6, generator=gen), torch.randn(6, generator=gen))
    path = slerp(start, end, 9)
    assert tuple(path.shape) == (9, 6), f'expected (9, 6), got {tuple(path.shape)}'
    assert torch.allclose(path[0], start, atol=0.0001) and torch.allclose(path[-1], end, atol=0.0001), 'the path must start at z_start and end at z_end'
    s, e = (start.double(), end.double())
    omega = torch.acos((s @ e / (s.norm() * e.norm())).clamp(-1, 1))
    t = torch.linspace(0, 1, 9, dtype=torch.float64).unsqueeze(1)
    expected = (torch.sin((1 - t) * omega) * s + torch.sin(t * omega) * e) / torch.sin(omega)
    assert torch.allclose(path.double(), expected, atol=0.0001, rtol=0.0001), 'slerp does not match the formula for two vectors of different lengths: compute Omega from the normalised vectors, but apply the weights to the original vectors'

@test_case(points=None, hidden=True)
def test_slerp_parallel_vectors_fall_back_to_a_line(slerp):
    import torch
    gen = torch.Generator().manual_seed(42)
    start = torch.randn(5, generator=gen)
    for end in (2.5 * start, start.clone(), start + 1e-06 * torch.randn(5, generator=gen)):
        path = slerp(start, end, 4)
        assert torch.isfinite(path).all(), 'slerp gave nan for (nearly) parallel vectors: clamp cos(Omega) to [-1, 1] and fall back to the straight line when Omega is tiny'
        t = torch.linspace(0, 1, 4).unsqueeze(1)
        assert torch.allclose(path, (1 - t) * start + t * end, atol=0.0001), 'for parallel vectors slerp must equal the straight-line path'

