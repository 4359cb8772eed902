from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 2

@test_case(points=None, hidden=False)
def test_evaluate_returns_a_float(VAE, evaluate):
    import math
    import torch
    assert callable(evaluate), 'define a function evaluate(model, x)'
    model = VAE(latent_dim=2, hidden_dim=8)
    score = evaluate(model, torch.rand(10, 1, 28, 28))
    assert isinstance(score, float), f'evaluate must return a Python float, got {type(score).__name__}'
    assert math.isfinite(score) and score > 100, f'an untrained model should score several hundred nats per image, got {score:.4g}'

@test_case(points=None, hidden=True)
def test_evaluate_matches_the_expected_negative_elbo(evaluate):
    import torch
    import torch.nn.functional as F
    from torch import nn

    class TinyVAE(nn.Module):

        def __init__(self):
            super().__init__()
            gen = torch.Generator().manual_seed(301)
            self.latent_dim, self.input_dim = (4, 784)
            self.enc = nn.Linear(784, 8)
            self.dec = nn.Linear(4, 784)
            with torch.no_grad():
                self.enc.weight.copy_(0.05 * torch.randn(8, 784, generator=gen))
                self.enc.bias.copy_(torch.tensor([1.5, -1.0, 0.5, 2.0, -1.0, -1.5, -0.5, -1.0]))
                self.dec.weight.copy_(0.5 * torch.randn(784, 4, generator=gen))
                self.dec.bias.copy_(0.5 * torch.randn(784, generator=gen))

        def encode(self, x):
            return self.enc(x.reshape(x.shape[0], -1)).chunk(2, dim=1)

        def reparameterize(self, mu, logvar):
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

        def decode(self, z):
            return torch.sigmoid(self.dec(z))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return (self.decode(self.reparameterize(mu, logvar)), mu, logvar)
    torch.manual_seed(302)
    model = TinyVAE()
    x = torch.rand(1501, 1, 28, 28, generator=torch.Generator().manual_seed(303))
    before = [p.detach().clone() for p in model.parameters()]
    score = evaluate(model, x)
    assert isinstance(score, float), f'evaluate must return a Python float, got {type(score).__name__}'
    for p, old in zip(model.parameters(), before, strict=True):
        assert torch.equal(p.detach(), old), "evaluate must not change the model's parameters"
    with torch.no_grad():
        flat = x.reshape(1501, 784)
        mu, logvar = model.encode(flat)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
        draws = []
        for _ in range(50):
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            nll = F.binary_cross_entropy(model.decode(z), flat, reduction='none').sum(dim=1)
            draws.append(nll + kl)
        draws = torch.stack(draws)
        expected = draws.mean().item()
        tolerance = 6 * (draws.var(dim=0).mean().item() / 1501) ** 0.5 + 0.001
        nll_at_mean = F.binary_cross_entropy(model.decode(mu), flat, reduction='none').sum(1)
        at_mean = (nll_at_mean + kl).mean()
    if abs(score - at_mean.item()) < 0.0001 * abs(at_mean.item()):
        raise AssertionError('evaluate decodes mu: sample z as in training (call model(x))')
    assert abs(score - expected) < tolerance, f'evaluate gave {score:.2f}, the mean negative ELBO per image is about {expected:.2f}: average vae_loss (beta=1) over images with z sampled, weighting each batch by its size'

