from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 2

@test_case(points=0, hidden=False)
def test_slerp_shape_and_ends(slerp):
    import torch
    assert callable(slerp), 'define a function slerp(z_start, z_end, steps)'
    start, end = (torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 2.0, 0.0]))
    path = slerp(start, end, 5)
    assert isinstance(path, torch.Tensor), f'slerp must return a tensor, got {type(path).__name__}'
    assert tuple(path.shape) == (5, 3), f'expected shape (steps, d) = (5, 3), got {tuple(path.shape)}'
    assert torch.isfinite(path).all(), 'slerp returned nan or inf'
    assert torch.allclose(path[0], start, atol=1e-05) and torch.allclose(path[-1], end, atol=1e-05), 'the first row must be z_start and the last row z_end'

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

