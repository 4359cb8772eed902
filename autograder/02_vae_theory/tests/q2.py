from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 1

@test_case(points=0, hidden=False)
def test_gaussian_kl_shape(gaussian_kl):
    import torch
    assert callable(gaussian_kl), 'define a function gaussian_kl(mu, logvar)'
    mu, logvar = (torch.zeros(4, 3), torch.zeros(4, 3))
    kl = gaussian_kl(mu, logvar)
    assert isinstance(kl, torch.Tensor), f'gaussian_kl must return a tensor, got {type(kl).__name__}'
    assert kl.shape == (4,), f'expected shape (4,) for mu of shape (4, 3), got {tuple(kl.shape)}: sum over the latent dimension, keep one value per example'

@test_case(points=0, hidden=False)
def test_gaussian_kl_zero_at_prior_and_positive(gaussian_kl):
    import torch
    kl0 = gaussian_kl(torch.zeros(2, 5), torch.zeros(2, 5))
    assert torch.allclose(kl0, torch.zeros(2), atol=1e-06), f'q = N(0, I) is the prior itself, so the KL must be 0; got {kl0.tolist()}'
    kl1 = gaussian_kl(torch.ones(2, 5), torch.full((2, 5), -1.0))
    assert torch.isfinite(kl1).all() and (kl1 > 0).all(), f'a Gaussian different from the prior must have KL > 0; got {kl1.tolist()}'

@test_case(points=None, hidden=True)
def test_q2_hidden_evidence():
    raise AssertionError("q2 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

