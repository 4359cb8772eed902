from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 2

@test_case(points=None, hidden=False)
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
    assert isinstance(means, torch.Tensor), f'encode_means must return a tensor, got {type(means)}'
    assert tuple(means.shape) == (10, 3), f'expected shape (N, d) = (10, 3), got {tuple(means.shape)}'

@test_case(points=None, hidden=True)
def test_encode_means_batches_and_values(encode_means):
    import torch

    class RecordingEncoder(torch.nn.Module):
        """A stand-in model that records the size of every batch it encodes."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 5
            self.mu = torch.nn.Linear(784, 5)
            self.logvar = torch.nn.Linear(784, 5)
            self.sizes = []

        def encode(self, x):
            self.sizes.append(len(x))
            return (self.mu(x), self.logvar(x))
    torch.manual_seed(71)
    model = RecordingEncoder()
    x = torch.rand(2501, 784)
    means = encode_means(model, x, batch_size=1000)
    assert tuple(means.shape) == (2501, 5), f'expected (2501, 5), got {tuple(means.shape)}: include the last, shorter batch'
    assert max(model.sizes) <= 1000, f'batches must hold at most batch_size images, saw {model.sizes}'
    assert sum(model.sizes) == 2501, f'every image must be encoded exactly once, saw batches {model.sizes}'
    with torch.no_grad():
        expected = model.mu(x)
    assert torch.allclose(means, expected, atol=1e-05), 'the result must be the posterior means mu, in the order of x (not logvar, not a sample)'
    assert means.device.type == 'cpu', 'return the means on the CPU'
    assert not means.requires_grad, 'encode under torch.no_grad(): the result must not track gradients'

@test_case(points=None, hidden=True)
def test_encode_means_small_batches(encode_means):
    import torch

    class TinyEncoder(torch.nn.Module):
        """A stand-in model with two latent dimensions."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 2
            self.mu = torch.nn.Linear(784, 2)
            self.logvar = torch.nn.Linear(784, 2)

        def encode(self, x):
            return (self.mu(x), self.logvar(x))
    torch.manual_seed(72)
    model = TinyEncoder()
    x = torch.rand(7, 784)
    means = encode_means(model, x, batch_size=3)
    with torch.no_grad():
        expected = model.mu(x)
    assert tuple(means.shape) == (7, 2), f'expected (7, 2), got {tuple(means.shape)}'
    assert torch.allclose(means, expected, atol=1e-05), 'means differ from model.encode(x)[0]'

