from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 2

@test_case(points=0, hidden=False)
def test_latent_grid_shape(latent_grid):
    import torch

    class TinyDecoder(torch.nn.Module):
        """A stand-in model: latent_dim = 2 and a decode method."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 2
            self.linear = torch.nn.Linear(2, 784)

        def decode(self, z):
            return torch.sigmoid(self.linear(z))
    assert callable(latent_grid), 'define a function latent_grid(model, side, dims=(0, 1))'
    images = latent_grid(TinyDecoder(), 3)
    assert isinstance(images, torch.Tensor), f'latent_grid must return a tensor, got {type(images).__name__}'
    assert tuple(images.shape) == (9, 784), f'expected (side * side, 784) = (9, 784), got {tuple(images.shape)}'

@test_case(points=None, hidden=True)
def test_q2_hidden_evidence():
    raise AssertionError("q2 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

