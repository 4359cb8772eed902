from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 4

@test_case(points=None, hidden=False)
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
def test_cvae_forward_on_image_batches(CVAE):
    import torch
    torch.manual_seed(61)
    model = CVAE(latent_dim=5, num_classes=10)
    x = torch.rand(7, 1, 28, 28)
    y = torch.tensor([0, 1, 2, 0, 1, 2, 1])
    x_hat, mu, logvar = model(x, y)
    assert tuple(x_hat.shape) == (7, 784), f'x_hat should be (7, 784), got {tuple(x_hat.shape)}'
    assert tuple(mu.shape) == (7, 5) and tuple(logvar.shape) == (7, 5), 'mu and logvar should have shape (B, latent_dim)'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, 'x_hat must be in [0, 1] (end the decoder with a sigmoid)'
    small = CVAE(latent_dim=2, num_classes=4)
    out, _, _ = small(torch.rand(3, 784), torch.tensor([3, 0, 1]))
    assert tuple(out.shape) == (3, 784), 'CVAE must work with num_classes=4 too'

@test_case(points=None, hidden=True)
def test_cvae_label_reaches_encoder_and_decoder(CVAE):
    import torch
    torch.manual_seed(62)
    model = CVAE(latent_dim=3).eval()
    x = torch.rand(7, 784)
    with torch.no_grad():
        mu_a, logvar_a = model.encode(x, torch.full((7,), 1))
        mu_b, logvar_b = model.encode(x, torch.full((7,), 8))
        assert not (torch.allclose(mu_a, mu_b) and torch.allclose(logvar_a, logvar_b)), 'the encoder ignores the label: concatenate the one-hot y with x'
        z = torch.randn(7, 3)
        out_a = model.decode(z, torch.full((7,), 1))
        out_b = model.decode(z, torch.full((7,), 8))
    assert tuple(out_a.shape) == (7, 784), f'decode(z, y) should be (7, 784), got {tuple(out_a.shape)}'
    assert not torch.allclose(out_a, out_b), 'the decoder ignores the label: concatenate the one-hot y with z'

@test_case(points=None, hidden=True)
def test_cvae_generate_uses_the_digit(CVAE):
    import torch
    torch.manual_seed(63)
    model = CVAE(latent_dim=4).eval()
    torch.manual_seed(5)
    first = model.generate(3, 9)
    torch.manual_seed(5)
    again = model.generate(3, 9)
    torch.manual_seed(5)
    other = model.generate(7, 9)
    assert tuple(first.shape) == (9, 784), f'generate(3, 9) should be (9, 784), got {tuple(first.shape)}'
    assert first.min() >= 0 and first.max() <= 1, 'generated images must be in [0, 1]'
    assert not first.requires_grad, 'generate needs no gradients: use torch.no_grad()'
    assert torch.allclose(first, again), 'with the same seed, generate must give the same images'
    assert not torch.allclose(first, other), 'with the same noise, generate(3, n) and generate(7, n) gave the same images: decode with the requested digit as the label'
    assert not torch.allclose(first[0], first[1]), 'each image needs its own code z ~ N(0, I)'

@test_case(points=None, hidden=True)
def test_cvae_gradients_reach_every_parameter(CVAE):
    import torch
    torch.manual_seed(64)
    model = CVAE(latent_dim=3)
    x_hat, mu, logvar = model(torch.rand(7, 784), torch.arange(7) % 10)
    x_hat.sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert not missing, f'no gradient from x_hat reached {missing}: sample z = mu + sigma * eps (the reparameterization trick) so that the encoder is trained through the decoder'

