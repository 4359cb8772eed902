from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 1

@test_case(points=0, hidden=False)
def test_bernoulli_nll_shape_and_range(bernoulli_nll):
    import torch
    assert callable(bernoulli_nll), 'define a function bernoulli_nll(x_hat, x)'
    x_hat = torch.full((4, 784), 0.3)
    x = torch.rand(4, 1, 28, 28)
    nll = bernoulli_nll(x_hat, x)
    assert isinstance(nll, torch.Tensor), f'bernoulli_nll must return a tensor, got {type(nll).__name__}'
    assert nll.shape == (4,), f'expected shape (4,), got {tuple(nll.shape)}: sum over pixels, one value per image (x may arrive as (B, 1, 28, 28))'
    assert torch.isfinite(nll).all() and (nll >= 0).all(), 'the NLL must be finite and >= 0'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

