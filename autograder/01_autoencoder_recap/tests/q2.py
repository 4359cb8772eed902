from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 2

@test_case(points=None, hidden=False)
def test_reconstruction_loss_is_a_positive_scalar(reconstruction_loss):
    import torch
    assert callable(reconstruction_loss), 'define a function reconstruction_loss(x_hat, x)'
    loss = reconstruction_loss(torch.full((4, 784), 0.3), torch.rand(4, 1, 28, 28))
    assert isinstance(loss, torch.Tensor), f'return a tensor, got {type(loss)}'
    assert loss.dim() == 0, f'return a scalar (0-dim) tensor, got shape {tuple(loss.shape)}'
    assert torch.isfinite(loss) and loss > 0, f'the loss must be a positive number, got {loss}'
    assert loss > 50, f'{float(loss):.3f} looks like an average over pixels: sum over the 784 pixels, average over images'

@test_case(points=None, hidden=True)
def test_reconstruction_loss_matches_reference(reconstruction_loss):
    import torch
    gen = torch.Generator().manual_seed(201)
    x_hat = 0.01 + 0.98 * torch.rand(7, 784, generator=gen)
    x = torch.rand(7, 784, generator=gen)
    per_image = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).sum(dim=1)
    got = reconstruction_loss(x_hat, x)
    assert got.dim() == 0, f'return a scalar, got shape {tuple(got.shape)}'
    if torch.allclose(got, per_image.mean() / 784, rtol=0.001):
        raise AssertionError('the loss is averaged over pixels: sum over pixels instead')
    if torch.allclose(got, per_image.sum(), rtol=0.001):
        raise AssertionError('the loss is summed over the batch: average over images instead')
    assert torch.allclose(got, per_image.mean(), rtol=0.0001), 'expected the batch mean of the binary cross-entropy summed over pixels'

@test_case(points=None, hidden=True)
def test_reconstruction_loss_image_shaped_targets(reconstruction_loss):
    import torch
    gen = torch.Generator().manual_seed(202)
    x_hat = 0.02 + 0.96 * torch.rand(5, 784, generator=gen)
    x = torch.rand(5, 1, 28, 28, generator=gen)
    flat = x.reshape(5, 784)
    expected = -(flat * x_hat.log() + (1 - flat) * (1 - x_hat).log()).sum(dim=1).mean()
    got = reconstruction_loss(x_hat, x)
    assert torch.allclose(got, expected, rtol=0.0001), 'with x of shape (B, 1, 28, 28) the loss should equal the flattened computation'

@test_case(points=None, hidden=True)
def test_reconstruction_loss_known_value_and_gradient(reconstruction_loss):
    import math
    import torch
    x_hat = torch.full((3, 784), 0.5, requires_grad=True)
    x = (torch.arange(3 * 784).reshape(3, 784) % 2).float()
    loss = reconstruction_loss(x_hat, x)
    assert abs(loss.item() - 784 * math.log(2)) < 0.01, f'x_hat = 0.5 everywhere must cost 784 log 2 = 543.43 nats per image, got {loss.item():.3f}'
    assert loss.requires_grad, 'the loss is cut off from the graph: no .item(), .detach() or numpy'
    loss.backward()
    expected = (0.5 - x) / 0.25 / 3
    assert torch.allclose(x_hat.grad, expected, atol=1e-05), 'the gradient with respect to x_hat is wrong: sum over pixels, mean over the batch of 3'

