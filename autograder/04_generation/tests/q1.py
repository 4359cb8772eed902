from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=None, hidden=False)
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
    assert isinstance(images, torch.Tensor), f'sample_prior must return a tensor, got {type(images)}'
    assert tuple(images.shape) == (5, 784), f'expected shape (5, 784), got {tuple(images.shape)}'
    assert images.min() >= 0 and images.max() <= 1, 'images must be decoder outputs, in [0, 1]'
    images = sample_prior(TinyDecoder(), 4, temperature=0.5)
    assert tuple(images.shape) == (4, 784), 'sample_prior must accept temperature=...'

@test_case(points=None, hidden=True)
def test_sample_prior_temperature_scales_the_codes(sample_prior):
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
    torch.manual_seed(11)
    for temperature, low, high in ((0.5, 0.47, 0.53), (1.0, 0.95, 1.05), (2.0, 1.9, 2.1)):
        model = RecordingDecoder(5)
        images = sample_prior(model, 3001, temperature=temperature)
        assert tuple(images.shape) == (3001, 784), f'expected (3001, 784), got {tuple(images.shape)}'
        assert model.codes, 'sample_prior must call model.decode'
        z = torch.cat(model.codes)
        assert tuple(z.shape) == (3001, 5), f'decode should receive n codes of model.latent_dim = 5 entries, got {tuple(z.shape)}'
        std = z.std().item()
        assert low < std < high, f'with temperature {temperature} the codes should have standard deviation {temperature}, got {std:.3f}: the temperature multiplies z ~ N(0, I)'
        assert abs(z.mean().item()) < 0.06 * temperature, 'codes must be centred at 0, like the prior'

@test_case(points=None, hidden=True)
def test_sample_prior_returns_the_decoded_codes(sample_prior):
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
    torch.manual_seed(12)
    model = RecordingDecoder(4)
    images = sample_prior(model, 7, temperature=0.3)
    z = torch.cat(model.codes)
    with torch.no_grad():
        expected = torch.sigmoid(model.linear(z))
    assert tuple(images.shape) == (7, 784), f'expected (7, 784), got {tuple(images.shape)}'
    assert torch.allclose(images.detach(), expected, atol=1e-05), 'return exactly model.decode(z): the temperature changes z, not the decoded images'

@test_case(points=None, hidden=True)
def test_sample_prior_draws_fresh_codes(sample_prior):
    import torch

    class TinyDecoder(torch.nn.Module):
        """A stand-in model with six latent dimensions."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 6
            self.linear = torch.nn.Linear(6, 784)

        def decode(self, z):
            return torch.sigmoid(self.linear(z))
    torch.manual_seed(13)
    model = TinyDecoder()
    first, second = (sample_prior(model, 4), sample_prior(model, 4))
    assert not torch.allclose(first, second), 'two calls gave identical samples: draw fresh noise each call (do not re-seed inside)'
    assert not torch.allclose(first[0], first[1]), 'each of the n images needs its own code'

