from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 1

@test_case(points=None, hidden=False)
def test_reconstruct_shape_and_range(VAE, reconstruct):
    import torch
    assert callable(reconstruct), 'define a function reconstruct(model, x)'
    model = VAE(latent_dim=2, hidden_dim=8)
    out = reconstruct(model, torch.rand(6, 1, 28, 28))
    assert isinstance(out, torch.Tensor) and out.shape == (6, 784), f"reconstruct must return a (6, 784) tensor for 6 images, got {getattr(out, 'shape', out)}"
    assert out.min() >= 0 and out.max() <= 1, 'reconstructions are pixel probabilities in [0, 1]'

@test_case(points=None, hidden=True)
def test_reconstruct_decodes_the_mean(reconstruct):
    import torch
    from torch import nn

    class TinyVAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.latent_dim, self.input_dim = (3, 784)
            self.enc = nn.Linear(784, 6)
            self.dec = nn.Linear(3, 784)

        def encode(self, x):
            return self.enc(x.reshape(x.shape[0], -1)).chunk(2, dim=1)

        def reparameterize(self, mu, logvar):
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

        def decode(self, z):
            return torch.sigmoid(self.dec(z))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return (self.decode(self.reparameterize(mu, logvar)), mu, logvar)
    torch.manual_seed(601)
    model = TinyVAE()
    x = torch.rand(7, 1, 28, 28, generator=torch.Generator().manual_seed(602))
    first = reconstruct(model, x)
    second = reconstruct(model, x)
    assert first.shape == (7, 784), f'reconstruct must return (7, 784), got {tuple(first.shape)}'
    assert torch.equal(first, second), 'reconstruct must be deterministic: decode mu, do not sample'
    with torch.no_grad():
        expected = model.decode(model.encode(x.reshape(7, 784))[0])
    assert torch.allclose(first, expected, atol=1e-05), 'reconstruct must return decode(mu)'
    assert not first.requires_grad, 'compute reconstructions under torch.no_grad()'

