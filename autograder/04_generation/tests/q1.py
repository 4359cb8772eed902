from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 1

@test_case(points=0, hidden=False)
def test_sample_prior_shape_and_range(sample_prior):
    import torch

    class TinyDecoder(torch.nn.Module):
        """A stand-in model: latent_dim = 3 and a decode method."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 3
            self.linear = torch.nn.Linear(3, 784)

        def decode(self, z):
            return torch.sigmoid(self.linear(z))
    assert callable(sample_prior), 'define a function sample_prior(model, n, temperature=1.0)'
    images = sample_prior(TinyDecoder(), 5)
    assert isinstance(images, torch.Tensor), f'sample_prior must return a tensor, got {type(images).__name__}'
    assert tuple(images.shape) == (5, 784), f'expected shape (5, 784), got {tuple(images.shape)}'
    assert images.min() >= 0 and images.max() <= 1, 'images must be decoder outputs, in [0, 1]'
    images = sample_prior(TinyDecoder(), 4, temperature=0.5)
    assert tuple(images.shape) == (4, 784), 'sample_prior must accept temperature=...'

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

