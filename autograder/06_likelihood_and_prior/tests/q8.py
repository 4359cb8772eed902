from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 3

@test_case(points=0, hidden=False)
def test_mog_log_density_one_component(mog_log_density):
    import math
    import torch
    assert callable(mog_log_density), 'define mog_log_density(z, means, log_vars, logits)'
    z = torch.zeros(4, 3)
    out = mog_log_density(z, torch.zeros(1, 3), torch.zeros(1, 3), torch.zeros(1))
    assert isinstance(out, torch.Tensor), f'return a tensor, got {type(out).__name__}'
    assert tuple(out.shape) == (4,), f'expected one value per code, shape (4,), got {tuple(out.shape)}'
    expected = -1.5 * math.log(2 * math.pi)
    assert torch.allclose(out, torch.full((4,), expected), atol=0.0001), f'one standard normal component at z = 0 in 3-D: -3/2 log 2π = {expected:.4f}; got {out.tolist()}'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

