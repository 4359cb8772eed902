from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 4

@test_case(points=None, hidden=False)
def test_vae_is_a_module(VAE):
    import torch
    assert VAE is not None, 'define a class VAE(latent_dim=20, hidden_dim=400, input_dim=784)'
    model = VAE()
    assert isinstance(model, torch.nn.Module), 'VAE must subclass torch.nn.Module'
    assert sum((p.numel() for p in model.parameters())) > 0, 'VAE() has no parameters: build layers'

@test_case(points=None, hidden=False)
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
def test_vae_accepts_images_and_flat_input(VAE):
    import torch
    torch.manual_seed(0)
    model = VAE(latent_dim=3, hidden_dim=17)
    gen = torch.Generator().manual_seed(101)
    images = torch.rand(7, 1, 28, 28, generator=gen)
    try:
        mu, logvar = model.encode(images)
    except RuntimeError as err:
        raise AssertionError(f'encode failed on (7, 1, 28, 28) images; flatten x to (B, input_dim) first ({err})') from None
    assert mu.shape == (7, 3) and logvar.shape == (7, 3), f'VAE(latent_dim=3) must encode to two (7, 3) tensors, got {tuple(mu.shape)} and {tuple(logvar.shape)}: use latent_dim, not a fixed size'
    mu_flat, logvar_flat = model.encode(images.reshape(7, 784))
    same = torch.allclose(mu, mu_flat, atol=1e-05) and torch.allclose(logvar, logvar_flat, atol=1e-05)
    assert same, 'encode must give the same (mu, logvar) for (B, 1, 28, 28) and (B, 784) inputs, and must be deterministic'
    x_hat, mu_f, logvar_f = model(images)
    assert x_hat.shape == (7, 784), f"forward's x_hat must be (7, 784), got {tuple(x_hat.shape)}"

@test_case(points=None, hidden=True)
def test_vae_other_sizes(VAE):
    import torch
    torch.manual_seed(1)
    model = VAE(latent_dim=2, hidden_dim=9, input_dim=50)
    x = torch.rand(5, 50, generator=torch.Generator().manual_seed(102))
    x_hat, mu, logvar = model(x)
    assert mu.shape == (5, 2) and logvar.shape == (5, 2), 'use latent_dim for the heads'
    assert x_hat.shape == (5, 50), f'VAE(input_dim=50) must decode to (5, 50), got {tuple(x_hat.shape)}: use input_dim, not 784'

@test_case(points=None, hidden=True)
def test_decode_outputs_probabilities(VAE):
    import torch
    torch.manual_seed(2)
    model = VAE(latent_dim=6, hidden_dim=23)
    z = 25.0 * torch.randn(11, 6, generator=torch.Generator().manual_seed(103))
    with torch.no_grad():
        x_hat = model.decode(z)
    assert x_hat.shape == (11, 784), f'decode must give (11, 784), got {tuple(x_hat.shape)}'
    assert torch.isfinite(x_hat).all(), 'decode returned NaN or inf'
    assert x_hat.min() >= 0 and x_hat.max() <= 1, f'decode gave values in [{x_hat.min().item():.3g}, {x_hat.max().item():.3g}] for large z: finish the decoder with a sigmoid so every output is a probability'
    assert x_hat.std() > 0, 'decode gives the same value everywhere: it must depend on z'

@test_case(points=None, hidden=True)
def test_reparameterize_mean_and_variance(VAE):
    import math
    import torch
    torch.manual_seed(4)
    model = VAE(latent_dim=3, hidden_dim=5)
    n = 200000
    mu = torch.tensor([[-2.0, 0.5, 3.0]]).repeat(n, 1)
    variance = torch.tensor([0.25, 4.0, 1.5])
    logvar = variance.log().reshape(1, 3).repeat(n, 1)
    with torch.no_grad():
        z = model.reparameterize(mu, logvar)
    assert z.shape == (n, 3), f'reparameterize must keep the shape of mu, got {tuple(z.shape)}'
    assert z.var(dim=0).min() > 1e-06, 'z does not vary across the batch: add fresh noise to every row (torch.randn_like(mu))'
    assert torch.allclose(z.mean(dim=0), mu[0], atol=0.03), f'sample means {z.mean(dim=0).tolist()} should be mu = {mu[0].tolist()}'
    ratio = z.var(dim=0) / variance
    assert (ratio - 1).abs().max() < 0.03, f'sample variances {z.var(dim=0).tolist()} should be exp(logvar) = {variance.tolist()}: the standard deviation is exp(logvar / 2); check the 1/2 and do not use logvar as sigma'
    assert math.isfinite(z.sum().item()), 'z contains NaN or inf'

@test_case(points=None, hidden=True)
def test_reparameterize_noise_and_gradients(VAE):
    import torch
    torch.manual_seed(5)
    model = VAE(latent_dim=4, hidden_dim=7)
    gen = torch.Generator().manual_seed(104)
    mu = torch.randn(9, 4, generator=gen).requires_grad_()
    logvar = torch.randn(9, 4, generator=gen).requires_grad_()
    first = model.reparameterize(mu, logvar)
    second = model.reparameterize(mu, logvar)
    assert not torch.allclose(first, second), 'draw fresh noise at every call (torch.randn_like)'
    assert first.requires_grad, 'z is cut from the graph: no .detach(), torch.no_grad() or .sample() in reparameterize'
    grad_mu, grad_logvar = torch.autograd.grad(first.sum(), (mu, logvar))
    assert torch.allclose(grad_mu, torch.ones_like(mu), atol=1e-05), 'dz/dmu must be 1: build z as mu + sigma * eps (torch.normal passes no gradient)'
    expected = 0.5 * (first - mu).detach()
    assert torch.allclose(grad_logvar, expected, atol=0.0001), 'dz/dlogvar must be (z - mu) / 2: build sigma as exp(logvar / 2) inside the graph'

@test_case(points=None, hidden=True)
def test_forward_composes_encode_reparameterize_decode(VAE):
    import torch
    torch.manual_seed(6)
    model = VAE(latent_dim=4, hidden_dim=13)
    x = torch.rand(9, 1, 28, 28, generator=torch.Generator().manual_seed(105))
    x_hat, mu_f, logvar_f = model(x)
    with torch.no_grad():
        mu, logvar = model.encode(x)
    assert torch.allclose(mu_f, mu, atol=1e-05) and torch.allclose(logvar_f, logvar, atol=1e-05), 'forward must return the mu and logvar that encode(x) gives'
    assert x_hat.shape == (9, 784), f"forward's x_hat must be (9, 784), got {tuple(x_hat.shape)}"
    again, _, _ = model(x)
    assert not torch.equal(x_hat, again), 'forward gave the same x_hat twice: it must decode a sampled z, not mu'
    calls = []

    def shifted(mu_in, logvar_in):
        calls.append(1)
        return mu_in + 0.5
    model.reparameterize = shifted
    try:
        with torch.no_grad():
            x_hat_shifted, _, _ = model(x)
    finally:
        del model.reparameterize
    assert calls, 'forward must draw z with self.reparameterize(mu, logvar)'
    with torch.no_grad():
        expected = model.decode(mu + 0.5)
    assert torch.allclose(x_hat_shifted, expected, atol=1e-05), 'forward must return self.decode(z) for the z that self.reparameterize returned'

@test_case(points=None, hidden=True)
def test_reconstruction_gradient_reaches_encoder_through_z(VAE):
    import torch
    import torch.nn.functional as F
    torch.manual_seed(7)
    model = VAE(latent_dim=3, hidden_dim=11)
    x = torch.rand(6, 784, generator=torch.Generator().manual_seed(106))
    params = [p for p in model.parameters() if p.requires_grad]
    mu, logvar = model.encode(x)
    grads = torch.autograd.grad(mu.sum() + logvar.sum(), params, allow_unused=True)
    encoder = [p for p, g in zip(params, grads, strict=True) if g is not None and g.abs().sum() > 0]
    assert encoder, 'encode(x) does not depend on any parameter of the model'
    x_hat, _, _ = model(x)
    assert x_hat.requires_grad, "forward's x_hat is cut from the graph: do not detach it"
    recon = F.binary_cross_entropy(x_hat, x, reduction='sum')
    grads = torch.autograd.grad(recon, encoder, allow_unused=True)
    assert any((g is not None and g.abs().sum() > 0 for g in grads)), 'the reconstruction loss sends no gradient to the encoder: z must not be detached between reparameterize and decode'

