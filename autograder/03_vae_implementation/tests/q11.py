from otter.test_files import test_case

OK_FORMAT = False

name = "q11"
points = 6

@test_case(points=0, hidden=False)
def test_conv_vae_contract(ConvVAE):
    import torch
    assert ConvVAE is not None, 'define a class ConvVAE(latent_dim=20, channels=(16, 32))'
    model = ConvVAE(latent_dim=3)
    assert isinstance(model, torch.nn.Module), 'ConvVAE must subclass torch.nn.Module'
    assert any((isinstance(m, torch.nn.Conv2d) for m in model.modules())), 'the encoder of ConvVAE must use at least one nn.Conv2d'
    mu, logvar = model.encode(torch.rand(5, 1, 28, 28))
    assert mu.shape == (5, 3) and logvar.shape == (5, 3), f'encode must give two (5, 3) tensors for latent_dim=3, got {tuple(mu.shape)} and {tuple(logvar.shape)}'
    x_hat, mu, logvar = model(torch.rand(5, 784))
    assert x_hat.shape == (5, 784), f"forward's x_hat must be flat, (5, 784), got {tuple(x_hat.shape)}"
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'decode must output probabilities in [0, 1]'

@test_case(points=None, hidden=True)
def test_q11_hidden_evidence():
    raise AssertionError("q11 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

