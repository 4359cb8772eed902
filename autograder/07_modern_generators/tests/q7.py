from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 2

@test_case(points=0, hidden=False)
def test_diffusion_loss_scalar(diffusion_loss):
    import torch

    class Zero(torch.nn.Module):
        """A stand-in denoiser that predicts no noise: the loss is then the noise's mean square."""

        def __init__(self):
            super().__init__()
            self.bias = torch.nn.Parameter(torch.zeros(()))

        def forward(self, z_t, t):
            return z_t * 0 + self.bias
    assert callable(diffusion_loss), 'define a function diffusion_loss(model, z0, alpha_bar)'
    alpha_bar = torch.cumprod(1 - torch.linspace(0.01, 0.2, 20), 0)
    loss = diffusion_loss(Zero(), torch.randn(4000, 3), alpha_bar)
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0, 'return a scalar tensor'
    assert loss.requires_grad, 'the loss must carry the gradient to the model (no .item())'
    assert 0.9 < float(loss) < 1.1, f'predicting 0 for standard normal noise gives a loss near 1, got {float(loss):.3f}'

@test_case(points=None, hidden=True)
def test_q7_hidden_evidence():
    raise AssertionError("q7 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

