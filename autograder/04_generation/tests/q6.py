from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 3

@test_case(points=0, hidden=False)
def test_cvae_shapes(CVAE):
    import torch
    assert CVAE is not None, 'define a class CVAE'
    torch.manual_seed(0)
    model = CVAE(latent_dim=3)
    assert model.latent_dim == 3, 'CVAE must store its latent size as self.latent_dim'
    x, y = (torch.rand(5, 784), torch.tensor([0, 1, 2, 3, 9]))
    x_hat, mu, logvar = model(x, y)
    assert tuple(x_hat.shape) == (5, 784), f'x_hat should be (5, 784), got {tuple(x_hat.shape)}'
    assert tuple(mu.shape) == (5, 3) and tuple(logvar.shape) == (5, 3), f'mu and logvar should be (5, 3), got {tuple(mu.shape)} and {tuple(logvar.shape)}'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'x_hat must be pixel probabilities in [0, 1]'
    images = model.generate(4, 6)
    assert tuple(images.shape) == (6, 784), f'generate(4, 6) should be (6, 784), got {tuple(images.shape)}'

@test_case(points=None, hidden=True)
def test_q6_hidden_evidence():
    raise AssertionError("q6 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

