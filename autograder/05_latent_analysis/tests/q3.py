from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=0, hidden=False)
def test_kl_per_dimension_shape_and_zero(kl_per_dimension):
    import torch
    assert callable(kl_per_dimension), 'define a function kl_per_dimension(mu, logvar)'
    kl = kl_per_dimension(torch.zeros(6, 4), torch.zeros(6, 4))
    assert isinstance(kl, torch.Tensor), f'kl_per_dimension must return a tensor, got {type(kl).__name__}'
    assert tuple(kl.shape) == (4,), f'expected one value per latent dimension, shape (4,), got {tuple(kl.shape)}'
    assert torch.allclose(kl, torch.zeros(4), atol=1e-06), 'posteriors equal to the prior have KL 0'

@test_case(points=None, hidden=True)
def test_q3_hidden_evidence():
    raise AssertionError("q3 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

