from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

@test_case(points=0, hidden=False)
def test_learned_variance_nll_shape_and_floor(learned_variance_nll):
    import math
    import torch
    assert callable(learned_variance_nll), 'define a function learned_variance_nll(x, mu, log_sigma, sigma_min=0.01)'
    x = torch.zeros(2, 5)
    nll = learned_variance_nll(x, x.clone(), torch.full((5,), -50.0))
    assert isinstance(nll, torch.Tensor), f'return a tensor, got {type(nll).__name__}'
    assert tuple(nll.shape) == (2,), f'expected shape (2,), got {tuple(nll.shape)}'
    floor = 5 * (math.log(0.01) + 0.5 * math.log(2 * math.pi))
    assert torch.isfinite(nll).all(), 'a tiny sigma must be floored: got a non-finite value'
    assert torch.allclose(nll, torch.full((2,), floor), atol=0.001), f'x = mu with sigma below the floor: each pixel costs log(sigma_min) + ½ log 2π, {floor:.3f} for 5 pixels; got {nll.tolist()}'

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

