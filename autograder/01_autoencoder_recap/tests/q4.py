from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 3

@test_case(points=None, hidden=False)
def test_train_autoencoder_returns_one_float_per_epoch(train_autoencoder):
    import torch
    from torch import nn

    class TinyAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 2))
            self.decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 784), nn.Sigmoid())

        def forward(self, x):
            z = self.encoder(x.reshape(x.shape[0], -1))
            return (self.decoder(z), z)
    assert callable(train_autoencoder), 'define train_autoencoder(model, train_x, epochs, ...)'
    torch.manual_seed(0)
    losses = train_autoencoder(TinyAE(), torch.rand(40, 1, 28, 28), epochs=2, batch_size=16)
    assert isinstance(losses, list), f'return a list, got {type(losses)}'
    assert len(losses) == 2, f'return one value per epoch: expected 2, got {len(losses)}'
    assert all((isinstance(v, float) for v in losses)), 'each entry must be a Python float: use loss.item()'

@test_case(points=None, hidden=True)
def test_train_autoencoder_reports_mean_loss_in_nats(train_autoencoder, reconstruction_loss):
    import torch
    import torch.nn.functional as F
    from torch import nn

    class TinyAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 2))
            self.decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 784), nn.Sigmoid())

        def forward(self, x):
            z = self.encoder(x.reshape(x.shape[0], -1))
            return (self.decoder(z), z)
    torch.manual_seed(1)
    model = TinyAE()
    data = torch.rand(96, 1, 28, 28, generator=torch.Generator().manual_seed(301))
    with torch.no_grad():
        x_hat, _ = model(data)
        expected = F.binary_cross_entropy(x_hat, data.reshape(96, 784), reduction='sum').item() / 96
        own = reconstruction_loss(x_hat, data).item() if callable(reconstruction_loss) else expected
    losses = train_autoencoder(model, data, epochs=2, batch_size=32, lr=0.0)
    assert isinstance(losses, list) and len(losses) == 2, 'expected a list of 2 values'
    assert all((isinstance(v, float) for v in losses)), 'each entry must be a Python float (.item())'
    for value in losses:
        assert any((abs(value - ref) <= 0.001 * abs(ref) for ref in (expected, own))), f'with lr = 0 the weights never change, so every epoch should report the mean loss {expected:.2f} nats per image; got {value:.4f}: average the batch losses over the epoch (not their sum, not the last batch), and pass lr to Adam'

@test_case(points=None, hidden=True)
def test_train_autoencoder_uses_every_image_once_per_epoch(train_autoencoder):
    import torch
    from torch import nn

    class TinyAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 2))
            self.decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 784), nn.Sigmoid())

        def forward(self, x):
            z = self.encoder(x.reshape(x.shape[0], -1))
            return (self.decoder(z), z)
    torch.manual_seed(2)
    model = TinyAE()
    seen = []
    model.register_forward_pre_hook(lambda module, args: seen.append(len(args[0])) if torch.is_grad_enabled() else None)
    train_autoencoder(model, torch.rand(100, 1, 28, 28), epochs=2, batch_size=32)
    assert seen, 'the model was never called with gradients enabled'
    assert max(seen) <= 32, f'batches must hold at most batch_size = 32 images, saw {max(seen)}'
    assert sum(seen) == 200, f'100 images x 2 epochs should mean 200 images through the model, counted {sum(seen)}: use every image once per epoch, keep the last smaller batch'

@test_case(points=None, hidden=True)
def test_train_autoencoder_takes_adam_steps(train_autoencoder):
    import copy
    import torch
    import torch.nn.functional as F
    from torch import nn

    class TinyAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 8), nn.ReLU(), nn.Linear(8, 2))
            self.decoder = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 784), nn.Sigmoid())

        def forward(self, x):
            z = self.encoder(x.reshape(x.shape[0], -1))
            return (self.decoder(z), z)
    torch.manual_seed(3)
    model = TinyAE()
    reference = copy.deepcopy(model)
    data = torch.rand(24, 1, 28, 28, generator=torch.Generator().manual_seed(302))
    train_autoencoder(model, data, epochs=3, batch_size=24, lr=0.01)
    optimizer = torch.optim.Adam(reference.parameters(), lr=0.01)
    for _ in range(3):
        x_hat, _ = reference(data)
        loss = F.binary_cross_entropy(x_hat, data.reshape(24, 784), reduction='sum') / 24
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    got = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    want = torch.cat([p.detach().reshape(-1) for p in reference.parameters()])
    assert got.shape == want.shape, "the model's parameters changed shape during training"
    mismatched = ((got - want).abs() > 0.0001).float().mean().item()
    assert mismatched < 0.001, f'after 3 full-batch Adam steps with lr = 0.01, {mismatched:.1%} of the weights differ from the expected ones: one optimizer step per batch, zero_grad before backward, torch.optim.Adam(model.parameters(), lr=lr)'

@test_case(points=None, hidden=True)
def test_train_autoencoder_lowers_the_loss(train_autoencoder):
    import torch
    from torch import nn

    class TinyAE(nn.Module):

        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 2))
            self.decoder = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 784), nn.Sigmoid())

        def forward(self, x):
            z = self.encoder(x.reshape(x.shape[0], -1))
            return (self.decoder(z), z)
    gen = torch.Generator().manual_seed(303)
    prototypes = (torch.rand(4, 784, generator=gen) > 0.7).float()
    noise = 0.1 * torch.rand(128, 784, generator=gen)
    data = (prototypes[torch.arange(128) % 4] + noise).clamp(0, 1).reshape(128, 1, 28, 28)
    torch.manual_seed(4)
    losses = train_autoencoder(TinyAE(), data, epochs=6, batch_size=32, lr=0.003)
    assert len(losses) == 6, f'expected 6 values, got {len(losses)}'
    assert losses[-1] < 0.8 * losses[0], f'the loss should fall clearly on easy data, got {[round(v, 1) for v in losses]}'

