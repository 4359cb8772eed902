from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 1

@test_case(points=0, hidden=False)
def test_reconstruct_shape_and_range(VAE, reconstruct):
    import torch
    assert callable(reconstruct), 'define a function reconstruct(model, x)'
    model = VAE(latent_dim=2, hidden_dim=8)
    out = reconstruct(model, torch.rand(6, 1, 28, 28))
    assert isinstance(out, torch.Tensor) and out.shape == (6, 784), f"reconstruct must return a (6, 784) tensor for 6 images, got {getattr(out, 'shape', out)}"
    assert out.min() >= 0 and out.max() <= 1, 'reconstructions are pixel probabilities in [0, 1]'

@test_case(points=None, hidden=True)
def test_q7_hidden_evidence():
    raise AssertionError("q7 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

