from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 6

@test_case(points=0, hidden=False)
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
    assert isinstance(losses, list), f'return a list, got {type(losses).__name__}'
    assert len(losses) == 2, f'return one value per epoch: expected 2, got {len(losses)}'
    assert all((isinstance(v, float) for v in losses)), 'each entry must be a Python float, not a tensor: convert with .item() when you record it'

@test_case(points=0, hidden=False)
def test_train_autoencoder_respects_max_chunk(train_autoencoder):
    import torch
    from torch import nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 2), nn.Linear(2, 784), nn.Sigmoid())

    class Pair(nn.Module):

        def __init__(self):
            super().__init__()
            self.net = model

        def forward(self, x):
            return (self.net(x), None)
    seen = []
    pair = Pair()
    pair.register_forward_pre_hook(lambda module, args: seen.append(len(args[0])) if torch.is_grad_enabled() else None)
    torch.manual_seed(0)
    train_autoencoder(pair, torch.rand(23, 1, 28, 28), epochs=1, batch_size=23, max_chunk=5)
    assert seen and max(seen) <= 5, f'with max_chunk=5 the model received {(max(seen) if seen else 0)} images in one call: split each mini-batch into chunks of at most max_chunk images'
    assert sum(seen) == 23, f'23 images should go through the model once, counted {sum(seen)}'

@test_case(points=0, hidden=False)
def test_train_autoencoder_chunked_step_is_the_whole_batch_step(train_autoencoder):
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
    torch.manual_seed(1)
    data = torch.rand(13, 1, 28, 28)
    whole, chunked = (TinyAE(), TinyAE())
    chunked.load_state_dict(whole.state_dict())
    train_autoencoder(whole, data, epochs=2, batch_size=13, lr=0.01)
    train_autoencoder(chunked, data, epochs=2, batch_size=13, lr=0.01, max_chunk=4)
    pairs = list(zip(whole.parameters(), chunked.parameters(), strict=True))
    differ = sum((int(((a - b).abs() > 0.001).sum()) for a, b in pairs))
    share = differ / sum((a.numel() for a, _ in pairs))
    assert share < 0.01, f"one batch of 13 images in chunks of 4, 4, 4 and 1 should train like the whole batch, but {share:.1%} of the weights differ after two steps: look at how many steps you take per batch, when the gradients are cleared, and how much each chunk's loss counts"

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

