from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

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

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

