from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 3

@test_case(points=None, hidden=False)
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
    assert isinstance(images, torch.Tensor), f'latent_grid must return a tensor, got {type(images)}'
    assert tuple(images.shape) == (9, 784), f'expected (side * side, 784) = (9, 784), got {tuple(images.shape)}'

@test_case(points=None, hidden=True)
def test_latent_grid_uses_normal_quantiles(latent_grid):
    import torch

    class RecordingDecoder(torch.nn.Module):
        """A stand-in model that records every code it is asked to decode."""

        def __init__(self, latent_dim):
            super().__init__()
            self.latent_dim = latent_dim
            self.linear = torch.nn.Linear(latent_dim, 784)
            self.codes = []

        def decode(self, z):
            self.codes.append(z.detach().clone())
            return torch.sigmoid(self.linear(z))
    model = RecordingDecoder(3)
    images = latent_grid(model, 4)
    assert tuple(images.shape) == (16, 784), f'expected (16, 784), got {tuple(images.shape)}'
    z = torch.cat(model.codes)
    assert tuple(z.shape) == (16, 3), f'expected 16 codes of 3 entries, got {tuple(z.shape)}'
    expected = torch.tensor([-1.1503494, -0.3186394, 0.3186394, 1.1503494])
    for dim in (0, 1):
        values = torch.unique(z[:, dim])
        assert len(values) == 4 and torch.allclose(values, expected, atol=0.0001), f'the grid values should be the normal quantiles {expected.tolist()} (Phi^-1 of (k + 0.5) / side), got {values.tolist()}: not a uniform grid'
    assert torch.all(z[:, 2] == 0), 'coordinates outside dims must be 0'

@test_case(points=None, hidden=True)
def test_latent_grid_layout_and_dims(latent_grid):
    import torch

    class RecordingDecoder(torch.nn.Module):
        """A stand-in model that records every code it is asked to decode."""

        def __init__(self, latent_dim):
            super().__init__()
            self.latent_dim = latent_dim
            self.linear = torch.nn.Linear(latent_dim, 784)
            self.codes = []

        def decode(self, z):
            self.codes.append(z.detach().clone())
            return torch.sigmoid(self.linear(z))
    torch.manual_seed(81)
    model = RecordingDecoder(5)
    images = latent_grid(model, 5, dims=(3, 1))
    z = torch.cat(model.codes)
    assert tuple(z.shape) == (25, 5), f'expected 25 codes of 5 entries, got {tuple(z.shape)}'
    q = torch.distributions.Normal(0.0, 1.0).icdf((torch.arange(5) + 0.5) / 5)
    expected = torch.zeros(25, 5)
    for r in range(5):
        for c in range(5):
            expected[r * 5 + c, 3] = q[c]
            expected[r * 5 + c, 1] = q[4 - r]
    assert torch.all(z[:, [0, 2, 4]] == 0), 'only the two coordinates named in dims may be non-zero'
    assert torch.allclose(z, expected, atol=0.0001), 'image r * side + c must use z[dims[0]] = q[c] and z[dims[1]] = q[side - 1 - r]'
    with torch.no_grad():
        decoded = torch.sigmoid(model.linear(z))
    assert tuple(images.shape) == (25, 784), f'expected (25, 784), got {tuple(images.shape)}'
    assert torch.allclose(images, decoded, atol=1e-05), 'return model.decode of the grid codes'

