from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 1

@test_case(points=0, hidden=False)
def test_evaluate_returns_a_float(VAE, evaluate):
    import math
    import torch
    assert callable(evaluate), 'define a function evaluate(model, x)'
    model = VAE(latent_dim=2, hidden_dim=8)
    score = evaluate(model, torch.rand(10, 1, 28, 28))
    assert isinstance(score, float), f'evaluate must return a Python float, got {type(score).__name__}'
    assert math.isfinite(score) and score > 100, f'an untrained model should score several hundred nats per image, got {score:.4g}'

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

