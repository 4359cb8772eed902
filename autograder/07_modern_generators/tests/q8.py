from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 4

@test_case(points=0, hidden=False)
def test_ddpm_sample_shape(ddpm_sample):
    import torch

    class Zero(torch.nn.Module):
        """A stand-in denoiser that predicts no noise."""

        def __init__(self):
            super().__init__()
            self.bias = torch.nn.Parameter(torch.zeros(()))

        def forward(self, z, t):
            assert tuple(t.shape) == (len(z),), 'give the model t of shape (n,), one step per row'
            return torch.zeros_like(z) + self.bias
    assert callable(ddpm_sample), 'define a function ddpm_sample(model, n, dim, betas)'
    samples = ddpm_sample(Zero(), 5, 3, torch.linspace(0.01, 0.2, 10))
    assert isinstance(samples, torch.Tensor) and tuple(samples.shape) == (5, 3), 'return the samples as a tensor of shape (n, dim)'
    assert torch.isfinite(samples).all(), 'the samples must be finite'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

