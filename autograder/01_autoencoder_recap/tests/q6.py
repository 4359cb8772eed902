from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 1

@test_case(points=0, hidden=False)
def test_latent_mesh_shape_and_range(latent_mesh):
    import torch
    assert callable(latent_mesh), 'define a function latent_mesh(lim, side)'
    mesh = latent_mesh(2.0, 5)
    assert isinstance(mesh, torch.Tensor), f'return a tensor, got {type(mesh).__name__}'
    assert mesh.shape == (25, 2), f'expected shape (side * side, 2) = (25, 2), got {mesh.shape}'
    assert mesh.is_floating_point(), 'the grid must hold floats'
    assert abs(mesh.min().item() + 2.0) < 1e-06 and abs(mesh.max().item() - 2.0) < 1e-06, 'the grid must reach both -lim and +lim'

@test_case(points=None, hidden=True)
def test_q6_hidden_evidence():
    raise AssertionError("q6 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

