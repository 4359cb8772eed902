from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 3

@test_case(points=None, hidden=False)
def test_train_vae_history(VAE, train_vae):
    import math
    import torch
    assert callable(train_vae), 'define a function train_vae(model, train_x, test_x, epochs, ...)'
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden_dim=8)
    history = train_vae(model, torch.rand(20, 1, 28, 28), torch.rand(10, 784), epochs=2, batch_size=8)
    assert isinstance(history, dict), f'train_vae must return a dict, got {type(history).__name__}'
    for key in ('train', 'test', 'recon', 'kl'):
        assert key in history, f'the history needs the key {key!r}'
        values = history[key]
        assert isinstance(values, list) and len(values) == 2, f'history[{key!r}] must be a list with one value per epoch (2 here), got {values!r}'
        assert all((isinstance(v, float) and math.isfinite(v) for v in values)), f'history[{key!r}] must hold finite Python floats (use .item()), got {values!r}'

@test_case(points=None, hidden=True)
def test_train_vae_lowers_the_loss_and_honours_beta(train_vae):
    import torch
    import torch.nn.functional as F
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

    def deterministic_score(model, x):
        with torch.no_grad():
            flat = x.reshape(x.shape[0], -1)
            mu, logvar = model.encode(flat)
            nll = F.binary_cross_entropy(model.decode(mu), flat, reduction='none').sum(1)
            return (nll + 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)).mean().item()
    torch.manual_seed(401)
    gen = torch.Generator().manual_seed(402)
    prototypes = (torch.rand(4, 784, generator=gen) < 0.2).float()
    train_x = prototypes.repeat(16, 1)[torch.randperm(64, generator=gen)].reshape(64, 1, 28, 28)
    test_x = torch.rand(30, 784, generator=gen)
    model = TinyVAE()
    before = deterministic_score(model, train_x)
    history = train_vae(model, train_x, test_x, epochs=4, batch_size=16, lr=0.03, beta=3.0)
    after = deterministic_score(model, train_x)
    assert after < before - 30, f'16 Adam steps at lr=3e-2 should lower the training loss by far more than 30 nats: {before:.1f} -> {after:.1f}; does the loop call loss.backward() and optimizer.step()?'
    for key in ('train', 'test', 'recon', 'kl'):
        assert len(history[key]) == 4, f'history[{key!r}] needs one value per epoch'
    rows = zip(history['train'], history['recon'], history['kl'], strict=True)
    for epoch, (total, recon, kl) in enumerate(rows, start=1):
        assert recon > 0 and kl >= 0, 'the reconstruction and KL terms are never negative'
        assert abs(total - (recon + 3.0 * kl)) <= 0.001 * abs(total) + 0.001, f'epoch {epoch}: train = {total:.3f} but recon + beta * kl = {recon + 3.0 * kl:.3f}: train with vae_loss(..., beta=beta) and record the two terms of the same batches'

@test_case(points=None, hidden=True)
def test_train_vae_never_trains_on_test_data(train_vae):
    import torch
    import torch.nn.functional as F
    from torch import nn

    class TinyVAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.latent_dim, self.input_dim = (2, 784)
            self.enc = nn.Linear(784, 4)
            self.dec = nn.Linear(2, 784)

        def encode(self, x):
            return self.enc(x.reshape(x.shape[0], -1)).chunk(2, dim=1)

        def reparameterize(self, mu, logvar):
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

        def decode(self, z):
            return torch.sigmoid(self.dec(z))

        def forward(self, x):
            mu, logvar = self.encode(x)
            return (self.decode(self.reparameterize(mu, logvar)), mu, logvar)
    torch.manual_seed(501)
    gen = torch.Generator().manual_seed(502)
    train_x = 0.9 + 0.1 * torch.rand(40, 784, generator=gen)
    test_x = torch.zeros(25, 784).requires_grad_()
    model = TinyVAE()
    history = train_vae(model, train_x, test_x, epochs=3, batch_size=16, lr=0.05)
    assert test_x.grad is None, 'a gradient was computed from test_x: the test images may only be evaluated, never trained on'
    with torch.no_grad():
        mu, logvar = model.encode(test_x)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(1)
        draws = []
        for _ in range(200):
            z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
            nll = F.binary_cross_entropy(model.decode(z), test_x, reduction='none').sum(1)
            draws.append(nll + kl)
        draws = torch.stack(draws)
    expected = draws.mean().item()
    tolerance = 6 * (draws.var(dim=0).mean().item() / 25) ** 0.5 + 0.5
    assert abs(history['test'][-1] - expected) < tolerance, f"history['test'][-1] = {history['test'][-1]:.1f}, but the model scores about {expected:.1f} on test_x after training: record evaluate(model, test_x) after each epoch"

