from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=0, hidden=False)
def test_autoencoder_builds_and_runs(AutoEncoder):
    import torch
    from torch import nn
    assert AutoEncoder is not None, 'define a class AutoEncoder'
    model = AutoEncoder()
    assert isinstance(model, nn.Module), 'AutoEncoder must subclass nn.Module'
    for name in ('encoder', 'decoder'):
        assert isinstance(getattr(model, name, None), nn.Module), f'AutoEncoder needs an attribute self.{name} that is an nn.Module'
    out = model(torch.rand(3, 1, 28, 28))
    assert isinstance(out, tuple) and len(out) == 2, 'forward must return the pair (x_hat, z)'
    x_hat, z = out
    assert x_hat.shape == (3, 784), f'x_hat must have shape (3, 784), got {tuple(x_hat.shape)}'
    assert z.shape == (3, 2), f'z must have shape (3, latent_dim) = (3, 2), got {tuple(z.shape)}'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'x_hat must hold probabilities in [0, 1]: end with a sigmoid'

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

