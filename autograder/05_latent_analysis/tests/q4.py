from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 1

@test_case(points=0, hidden=False)
def test_active_units_type(active_units):
    import torch
    assert callable(active_units), 'define a function active_units(mu, threshold=0.01)'
    mu = torch.zeros(8, 3)
    mu[:, 0] = torch.arange(8.0)
    count = active_units(mu)
    assert isinstance(count, int), f'return a Python int (use int(...) or .item()), got {type(count).__name__}'
    assert count == 1, f'one of the three columns varies across the rows, got {count}'

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

