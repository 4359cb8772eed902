from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 1

@test_case(points=0, hidden=False)
def test_encode_means_shape(encode_means):
    import torch

    class TinyEncoder(torch.nn.Module):
        """A stand-in model: encode maps (B, 784) to (mu, logvar), each (B, 3)."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 3
            self.mu = torch.nn.Linear(784, 3)
            self.logvar = torch.nn.Linear(784, 3)

        def encode(self, x):
            return (self.mu(x), self.logvar(x))
    assert callable(encode_means), 'define a function encode_means(model, x, batch_size=1000)'
    means = encode_means(TinyEncoder(), torch.rand(10, 784), batch_size=4)
    assert isinstance(means, torch.Tensor), f'encode_means must return a tensor, got {type(means).__name__}'
    assert tuple(means.shape) == (10, 3), f'expected shape (N, d) = (10, 3), got {tuple(means.shape)}'

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

