from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 4

@test_case(points=None, hidden=False)
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
def test_autoencoder_other_sizes_and_both_input_shapes(AutoEncoder):
    import torch
    from torch import nn
    gen = torch.Generator().manual_seed(101)
    for latent_dim, hidden_dims in ((3, (64, 32, 16)), (1, (8,)), (5, (40, 20))):
        model = AutoEncoder(latent_dim=latent_dim, hidden_dims=hidden_dims)
        model.eval()
        assert isinstance(model.encoder, nn.Module) and isinstance(model.decoder, nn.Module), 'self.encoder and self.decoder must be nn.Modules'
        images = torch.rand(5, 1, 28, 28, generator=gen)
        with torch.no_grad():
            x_hat, z = model(images)
            x_hat_flat, z_flat = model(images.reshape(5, 784))
        assert x_hat.shape == (5, 784) and z.shape == (5, latent_dim), f'AutoEncoder(latent_dim={latent_dim}, hidden_dims={hidden_dims}): expected x_hat (5, 784) and z (5, {latent_dim}), got {tuple(x_hat.shape)} and {tuple(z.shape)}'
        same_x_hat = torch.allclose(x_hat, x_hat_flat, atol=1e-06)
        assert same_x_hat and torch.allclose(z, z_flat, atol=1e-06), '(B, 1, 28, 28) and (B, 784) inputs with the same pixels must give the same output'

@test_case(points=None, hidden=True)
def test_autoencoder_encoder_and_decoder_compose(AutoEncoder):
    import torch
    gen = torch.Generator().manual_seed(102)
    model = AutoEncoder(latent_dim=4, hidden_dims=(48, 24))
    model.eval()
    images = torch.rand(7, 1, 28, 28, generator=gen)
    with torch.no_grad():
        x_hat, z = model(images)
        z_direct = model.encoder(images.reshape(7, 784))
        x_hat_direct = model.decoder(z)
    assert z_direct.shape == (7, 4), 'model.encoder must map (B, 784) to (B, latent_dim)'
    assert torch.allclose(z, z_direct, atol=1e-05), 'z must equal model.encoder(flattened x)'
    assert torch.allclose(x_hat, x_hat_direct, atol=1e-05), 'x_hat must equal model.decoder(z)'

@test_case(points=None, hidden=True)
def test_autoencoder_outputs_are_probabilities_and_codes_are_unconstrained(AutoEncoder):
    import torch
    gen = torch.Generator().manual_seed(103)
    model = AutoEncoder(latent_dim=3, hidden_dims=(32,))
    model.eval()
    with torch.no_grad():
        x_hat, z = model(50.0 * torch.rand(16, 784, generator=gen))
        far = model.decoder(100.0 * torch.randn(16, 3, generator=gen))
    for name, out in (('x_hat', x_hat), ('decoder(z)', far)):
        assert torch.isfinite(out).all() and out.min() >= 0 and (out.max() <= 1), f'{name} must stay in [0, 1] for any input: the decoder must end with a sigmoid'
    assert (z < 0).any(), "codes are never negative: the encoder's last layer must be linear, with no ReLU after it"

@test_case(points=None, hidden=True)
def test_autoencoder_respects_hidden_dims(AutoEncoder):

    def count(model):
        return sum((p.numel() for p in model.parameters()))
    small = count(AutoEncoder(latent_dim=2, hidden_dims=(16,)))
    medium = count(AutoEncoder(latent_dim=2, hidden_dims=(64,)))
    default = count(AutoEncoder())
    assert small < medium < default, 'the number of parameters should grow with hidden_dims: build the layers from hidden_dims instead of fixed widths'
    assert count(AutoEncoder(latent_dim=8, hidden_dims=(16,))) > small, 'latent_dim must be used'

@test_case(points=None, hidden=True)
def test_autoencoder_gradients_reach_encoder(AutoEncoder):
    import torch
    import torch.nn.functional as F
    gen = torch.Generator().manual_seed(104)
    model = AutoEncoder(latent_dim=3, hidden_dims=(32, 16))
    images = torch.rand(9, 1, 28, 28, generator=gen)
    x_hat, _ = model(images)
    F.binary_cross_entropy(x_hat, images.reshape(9, 784), reduction='sum').backward()
    for part in ('encoder', 'decoder'):
        grads = [p.grad for p in getattr(model, part).parameters()]
        assert grads and all((g is not None for g in grads)), f'some {part} parameters received no gradient: do not detach z or x_hat'
        assert any((g.abs().sum() > 0 for g in grads)), f'all {part} gradients are zero'

