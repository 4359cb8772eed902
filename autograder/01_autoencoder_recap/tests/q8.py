from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 1

@test_case(points=0, hidden=False)
def test_interpolate_shape_and_endpoints(interpolate):
    import torch
    assert callable(interpolate), 'define a function interpolate(z_start, z_end, steps)'
    start, end = (torch.tensor([0.0, 1.0]), torch.tensor([2.0, -1.0]))
    path = interpolate(start, end, 5)
    assert isinstance(path, torch.Tensor), f'return a tensor, got {type(path).__name__}'
    assert path.shape == (5, 2), f'expected shape (steps, d) = (5, 2), got {tuple(path.shape)}'
    assert torch.allclose(path[0], start) and torch.allclose(path[-1], end), 'the first row must be z_start and the last row z_end'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

