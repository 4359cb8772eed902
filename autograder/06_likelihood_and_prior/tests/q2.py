from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 1

@test_case(points=0, hidden=False)
def test_gaussian_nll_shape_and_value(gaussian_nll):
    import math
    import torch
    assert callable(gaussian_nll), 'define a function gaussian_nll(x, mu, sigma)'
    nll = gaussian_nll(torch.zeros(3, 4), torch.zeros(3, 4), 1.0)
    assert isinstance(nll, torch.Tensor), f'return a tensor, got {type(nll).__name__}'
    assert tuple(nll.shape) == (3,), f'expected one value per image, shape (3,), got {tuple(nll.shape)}'
    expected = 4 * 0.5 * math.log(2 * math.pi)
    assert torch.allclose(nll, torch.full((3,), expected), atol=0.0001), f'x = mu and sigma = 1 give 4 · ½ log 2π = {expected:.4f} per image; got {nll.tolist()}'

@test_case(points=None, hidden=True)
def test_q2_hidden_evidence():
    raise AssertionError("q2 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

