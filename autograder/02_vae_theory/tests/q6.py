from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 1

@test_case(points=0, hidden=False)
def test_reparameterize_shape_and_noise(reparameterize):
    import torch
    assert callable(reparameterize), 'define a function reparameterize(mu, logvar)'
    mu, logvar = (torch.zeros(6, 3), torch.zeros(6, 3))
    z = reparameterize(mu, logvar)
    assert isinstance(z, torch.Tensor), f'reparameterize must return a tensor, got {type(z).__name__}'
    assert z.shape == mu.shape, f'z must have the shape of mu {mu.shape}, got {z.shape}'
    assert torch.isfinite(z).all(), 'z contains inf or nan'
    assert not torch.allclose(z, mu), 'z equals mu: the sample needs noise eps ~ N(0, I)'

@test_case(points=None, hidden=True)
def test_q6_hidden_evidence():
    raise AssertionError("q6 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

