from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 7

@test_case(points=0, hidden=False)
def test_iwae_bound_shape(iwae_bound):
    import torch

    class TinyVAE(torch.nn.Module):
        """A stand-in model: 784 -> (mu, logvar) of size 3, 3 -> 784."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 3
            self.mu = torch.nn.Linear(784, 3)
            self.logvar = torch.nn.Linear(784, 3)
            self.out = torch.nn.Linear(3, 784)

        def encode(self, x):
            x = x.reshape(len(x), -1)
            return (self.mu(x), self.logvar(x))

        def decode(self, z):
            return torch.sigmoid(self.out(z))
    assert callable(iwae_bound), 'define a function iwae_bound(model, x, k)'
    called = set(getattr(getattr(iwae_bound, '__code__', None), 'co_names', ()))
    assert not called & {'importance_weighted_bound', 'vae_helpers'}, "write iwae_bound yourself: it must not call vae_helpers' importance_weighted_bound"
    torch.manual_seed(0)
    bound = iwae_bound(TinyVAE(), torch.rand(4, 784).round(), 5)
    assert isinstance(bound, torch.Tensor), f'iwae_bound must return a tensor, got {type(bound).__name__}'
    assert tuple(bound.shape) == (4,), f'expected one value per image, shape (4,), got {tuple(bound.shape)}'
    assert torch.isfinite(bound).all() and (bound < 0).all(), 'log p(x) of binary images is a finite negative number of nats'
    big = iwae_bound(TinyVAE(), torch.rand(2, 1, 28, 28).round(), 5000)
    assert tuple(big.shape) == (2,) and torch.isfinite(big).all(), f'with k = 5000 and x of shape (2, 1, 28, 28) expected 2 finite values: the bound must work for k up to at least 5000, got {big}'

@test_case(points=None, hidden=True)
def test_q9_hidden_evidence():
    raise AssertionError("q9 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

