from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=0, hidden=False)
def test_vae_is_a_module(VAE):
    import torch
    assert VAE is not None, 'define a class VAE(latent_dim=20, hidden_dim=400, input_dim=784)'
    model = VAE()
    assert isinstance(model, torch.nn.Module), 'VAE must subclass torch.nn.Module'
    assert sum((p.numel() for p in model.parameters())) > 0, 'VAE() has no parameters: build layers'

@test_case(points=0, hidden=False)
def test_vae_shapes_and_ranges(VAE):
    import torch
    model = VAE()
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == (5, 20) and logvar.shape == (5, 20), f'encode on (5, 1, 28, 28) must give two (5, 20) tensors, got {tuple(mu.shape)} and {tuple(logvar.shape)}'
    z = model.reparameterize(mu, logvar)
    assert z.shape == (5, 20), f'reparameterize must keep the shape (5, 20), got {tuple(z.shape)}'
    x_hat = model.decode(z)
    assert x_hat.shape == (5, 784), f'decode must give (5, 784), got {tuple(x_hat.shape)}'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'decode must output probabilities in [0, 1]'
    out = model(x.reshape(5, 784))
    assert isinstance(out, tuple) and len(out) == 3, 'forward must return (x_hat, mu, logvar)'
    assert out[0].shape == (5, 784), f"forward's x_hat must be (5, 784), got {tuple(out[0].shape)}"

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

