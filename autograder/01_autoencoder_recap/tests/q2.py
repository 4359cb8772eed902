from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 1

@test_case(points=0, hidden=False)
def test_reconstruction_loss_is_a_positive_scalar(reconstruction_loss):
    import torch
    assert callable(reconstruction_loss), 'define a function reconstruction_loss(x_hat, x)'
    loss = reconstruction_loss(torch.full((4, 784), 0.3), torch.rand(4, 1, 28, 28))
    assert isinstance(loss, torch.Tensor), f'return a tensor, got {type(loss).__name__}'
    assert loss.dim() == 0, f'return a scalar (0-dim) tensor, got shape {tuple(loss.shape)}'
    assert torch.isfinite(loss) and loss > 0, f'the loss must be a positive number, got {loss}'
    assert loss > 50, f'{float(loss):.3f} looks like an average over pixels: sum over the 784 pixels, average over images'

@test_case(points=None, hidden=True)
def test_q2_hidden_evidence():
    raise AssertionError("q2 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

