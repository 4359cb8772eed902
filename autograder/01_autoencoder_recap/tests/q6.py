from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 2

@test_case(points=None, hidden=False)
def test_latent_mesh_shape_and_range(latent_mesh):
    import torch
    assert callable(latent_mesh), 'define a function latent_mesh(lim, side)'
    mesh = latent_mesh(2.0, 5)
    assert isinstance(mesh, torch.Tensor), f'return a tensor, got {type(mesh)}'
    assert mesh.shape == (25, 2), f'expected shape (side * side, 2) = (25, 2), got {mesh.shape}'
    assert mesh.is_floating_point(), 'the grid must hold floats'
    assert abs(mesh.min().item() + 2.0) < 1e-06 and abs(mesh.max().item() - 2.0) < 1e-06, 'the grid must reach both -lim and +lim'

@test_case(points=None, hidden=True)
def test_latent_mesh_points(latent_mesh):
    import torch
    for lim, side in ((2.5, 5), (1.0, 4), (3.0, 2), (0.5, 7)):
        values = torch.linspace(-lim, lim, side, dtype=torch.float64)
        grid = values.tolist()
        expected = sorted(((round(a, 5), round(b, 5)) for a in grid for b in grid))
        mesh = latent_mesh(lim, side)
        assert tuple(mesh.shape) == (side * side, 2), f'latent_mesh({lim}, {side}) must have shape ({side * side}, 2), got {mesh.shape}'
        got = sorted(((round(a, 5), round(b, 5)) for a, b in mesh.double().tolist()))
        assert got == expected, f'latent_mesh({lim}, {side}) does not hold every pair of {side} evenly spaced values from {-lim} to {lim} (both included) exactly once'

@test_case(points=None, hidden=True)
def test_latent_mesh_order(latent_mesh):
    import torch
    lim, side = (1.5, 4)
    values = torch.linspace(-lim, lim, side, dtype=torch.float64)
    expected = torch.tensor([[values[j].item(), values[side - 1 - i].item()] for i in range(side) for j in range(side)], dtype=torch.float64)
    got = latent_mesh(lim, side).double()
    assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-05), 'points are in the wrong order: row by row from the top (second coordinate = +lim), first coordinate increasing along each row'

