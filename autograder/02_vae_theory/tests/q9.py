from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 1

@test_case(points=0, hidden=False)
def test_negative_elbo_is_scalar(negative_elbo):
    import torch
    assert callable(negative_elbo), 'define negative_elbo(x_hat, x, mu, logvar, beta=1.0)'
    loss = negative_elbo(torch.full((4, 784), 0.4), torch.rand(4, 1, 28, 28), torch.zeros(4, 2), torch.zeros(4, 2))
    assert isinstance(loss, torch.Tensor), f'negative_elbo must return a tensor, got {type(loss).__name__}'
    assert loss.dim() == 0, f'expected a scalar (0-dim) tensor, got shape {tuple(loss.shape)}'
    assert torch.isfinite(loss) and loss > 0, f'the loss should be a positive number, got {loss}'

@test_case(points=None, hidden=True)
def test_q9_hidden_evidence():
    raise AssertionError("q9 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

