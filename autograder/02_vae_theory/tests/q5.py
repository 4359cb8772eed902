from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 3

@test_case(points=0, hidden=False)
def test_monte_carlo_kl_shape(monte_carlo_kl):
    import torch
    assert callable(monte_carlo_kl), 'define a function monte_carlo_kl(mu, logvar, n_samples)'
    est = monte_carlo_kl(torch.zeros(3, 2), torch.zeros(3, 2), 10)
    assert isinstance(est, torch.Tensor), f'monte_carlo_kl must return a tensor, got {type(est).__name__}'
    assert est.shape == (3,), f'expected shape (3,) for mu of shape (3, 2), got {tuple(est.shape)}: average over the samples, sum over the latent dimensions'
    assert torch.isfinite(est).all(), 'the estimate contains inf or nan'

@test_case(points=None, hidden=True)
def test_q5_hidden_evidence():
    raise AssertionError("q5 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

