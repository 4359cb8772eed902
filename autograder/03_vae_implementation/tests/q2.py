from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 3

@test_case(points=None, hidden=False)
def test_loss_shapes(bernoulli_nll, gaussian_kl, vae_loss):
    import torch
    for name, fn in (('bernoulli_nll', bernoulli_nll), ('gaussian_kl', gaussian_kl), ('vae_loss', vae_loss)):
        assert callable(fn), f'define the function {name}'
    x_hat, x = (torch.full((4, 784), 0.4), torch.rand(4, 1, 28, 28))
    mu, logvar = (torch.zeros(4, 3), torch.zeros(4, 3))
    nll = bernoulli_nll(x_hat, x)
    assert isinstance(nll, torch.Tensor) and nll.shape == (4,), f"bernoulli_nll must return shape (4,) for 4 images, got {getattr(nll, 'shape', nll)}"
    kl = gaussian_kl(mu, logvar)
    assert isinstance(kl, torch.Tensor) and kl.shape == (4,), f"gaussian_kl must return shape (4,) for 4 images, got {getattr(kl, 'shape', kl)}"
    loss = vae_loss(x_hat, x, mu, logvar)
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0, f"vae_loss must return a 0-dimensional tensor, got {getattr(loss, 'shape', loss)}"
    assert loss.item() > 100, f'vae_loss gave {loss.item():.3g} nats for 784 pixels: sum over pixels, do not average'

@test_case(points=None, hidden=True)
def test_vae_loss_matches_reference(vae_loss):
    import torch
    gen = torch.Generator().manual_seed(2027)
    for batch, latent, beta, image_shaped in ((7, 3, 1.0, True), (97, 5, 0.5, False), (13, 2, 4.0, True)):
        x_hat = 0.01 + 0.98 * torch.rand(batch, 784, generator=gen)
        x = torch.rand(batch, 784, generator=gen)
        mu = 1.5 * torch.randn(batch, latent, generator=gen)
        logvar = torch.randn(batch, latent, generator=gen)
        nll = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
        expected = (nll + beta * kl).mean()
        target = x.reshape(batch, 1, 28, 28) if image_shaped else x
        got = vae_loss(x_hat, target, mu, logvar, beta=beta)
        assert isinstance(got, torch.Tensor) and got.dim() == 0, 'vae_loss must return a scalar'
        if torch.allclose(got, expected, rtol=0.0001, atol=0.0001):
            continue
        diagnoses = {'the KL term has the wrong sign': (nll - beta * kl).mean(), 'the reconstruction term is averaged over pixels; sum it': (nll / 784 + beta * kl).mean(), 'the loss is summed over the batch; average it': (nll + beta * kl).sum(), 'beta multiplies the reconstruction term instead of the KL': (beta * nll + kl).mean(), 'beta is ignored': (nll + kl).mean(), 'the KL term is missing its factor 1/2': (nll + 2 * beta * kl).mean(), 'the KL term is averaged over latent coordinates; sum it': (nll + beta * kl / latent).mean()}
        reason = next((why for why, value in diagnoses.items() if torch.allclose(got, value, rtol=0.0001, atol=0.0001)), '')
        raise AssertionError(f'vae_loss is wrong for batch={batch}, latent={latent}, beta={beta}' + (f': {reason}' if reason else ''))

@test_case(points=None, hidden=True)
def test_vae_loss_known_values(vae_loss):
    import math
    import torch
    x_hat = torch.full((3, 784), 0.5)
    x = (torch.arange(3 * 784).reshape(3, 784) % 2).float()
    zeros = torch.zeros(3, 4)
    got = vae_loss(x_hat, x, zeros, zeros)
    assert abs(got.item() - 784 * math.log(2)) < 0.001, f'x_hat = 0.5 everywhere costs log 2 nats per pixel, 784 log 2 per image, and q = prior costs no KL; got {got.item():.4f}'
    shifted = vae_loss(x_hat, x, torch.ones(3, 4), zeros, beta=2.0)
    assert abs(shifted.item() - (784 * math.log(2) + 2.0 * 0.5 * 4)) < 0.001, 'with mu = 1 in 4 coordinates the KL is 2 nats, times beta = 2'

@test_case(points=None, hidden=True)
def test_vae_loss_gradients(vae_loss):
    import torch
    gen = torch.Generator().manual_seed(2029)
    batch, beta = (5, 2.0)
    x_hat = 0.05 + 0.9 * torch.rand(batch, 784, generator=gen, dtype=torch.float64)
    x_hat.requires_grad_()
    x = torch.rand(batch, 784, generator=gen, dtype=torch.float64)
    mu = torch.randn(batch, 3, generator=gen, dtype=torch.float64).requires_grad_()
    logvar = torch.randn(batch, 3, generator=gen, dtype=torch.float64).requires_grad_()
    loss = vae_loss(x_hat, x, mu, logvar, beta=beta)
    assert loss.requires_grad, 'vae_loss is cut from the graph: do not detach or use .item()'
    grads = torch.autograd.grad(loss, (x_hat, mu, logvar), allow_unused=True)
    names = ('x_hat', 'mu', 'logvar')
    for name, grad in zip(names, grads, strict=True):
        assert grad is not None, f'no gradient reaches {name}: do not detach it'
    expected = ((x_hat - x) / (x_hat * (1 - x_hat)) / batch, beta * mu / batch, beta * 0.5 * (logvar.exp() - 1) / batch)
    for name, grad, want in zip(names, grads, expected, strict=True):
        assert torch.allclose(grad, want.detach(), rtol=1e-05, atol=1e-08), f'the gradient with respect to {name} is wrong (check the reductions and the KL)'

@test_case(points=None, hidden=True)
def test_loss_terms_per_image(bernoulli_nll, gaussian_kl):
    import torch
    gen = torch.Generator().manual_seed(2031)
    x_hat = 0.02 + 0.96 * torch.rand(9, 784, generator=gen)
    x = torch.rand(9, 1, 28, 28, generator=gen)
    flat = x.reshape(9, 784)
    expected = -(flat * x_hat.log() + (1 - flat) * (1 - x_hat).log()).sum(dim=1)
    got = bernoulli_nll(x_hat, x)
    assert got.shape == (9,), f'bernoulli_nll must return (9,), got {tuple(got.shape)}'
    assert torch.allclose(got, expected, rtol=0.0001, atol=0.001), 'bernoulli_nll must be the binary cross-entropy summed over the pixels of each image'
    mu = torch.randn(9, 6, generator=gen)
    logvar = torch.randn(9, 6, generator=gen)
    expected_kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
    got_kl = gaussian_kl(mu, logvar)
    assert got_kl.shape == (9,), f'gaussian_kl must return (9,), got {tuple(got_kl.shape)}'
    assert torch.allclose(got_kl, expected_kl, rtol=0.0001, atol=0.0001), 'gaussian_kl must be 1/2 * sum(mu^2 + exp(logvar) - 1 - logvar) over latent coordinates'

