from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 3

@test_case(points=0, hidden=False)
def test_train_vae_history(VAE, train_vae):
    import math
    import torch
    assert callable(train_vae), 'define a function train_vae(model, train_x, test_x, epochs, ...)'
    torch.manual_seed(0)
    model = VAE(latent_dim=2, hidden_dim=8)
    history = train_vae(model, torch.rand(20, 1, 28, 28), torch.rand(10, 784), epochs=2, batch_size=8)
    assert isinstance(history, dict), f'train_vae must return a dict, got {type(history).__name__}'
    for key in ('train', 'test', 'recon', 'kl'):
        assert key in history, f'the history needs the key {key!r}'
        values = history[key]
        assert isinstance(values, list) and len(values) == 2, f'history[{key!r}] must be a list with one value per epoch (2 here), got {values!r}'
        assert all((isinstance(v, float) and math.isfinite(v) for v in values)), f'history[{key!r}] must hold finite Python floats (use .item()), got {values!r}'

@test_case(points=None, hidden=True)
def test_q5_hidden_evidence():
    raise AssertionError("q5 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

