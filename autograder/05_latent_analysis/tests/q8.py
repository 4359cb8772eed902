from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 1

@test_case(points=0, hidden=False)
def test_free_bits_kl_floor(free_bits_kl):
    import torch
    assert callable(free_bits_kl), 'define a function free_bits_kl(mu, logvar, lam)'
    mu = torch.zeros(5, 3, requires_grad=True)
    value = free_bits_kl(mu, torch.zeros(5, 3), 0.5)
    assert isinstance(value, torch.Tensor) and value.numel() == 1, f'return a scalar tensor, got {type(value).__name__}'
    assert value.requires_grad, 'keep the result differentiable: no .item(), .detach() or NumPy'
    assert abs(float(value.detach()) - 1.5) < 1e-05, f'free_bits_kl = sum_j max(lam, mean_b KL_bj): with mu = 0 and logvar = 0 every KL is 0, so 3 dimensions floored at lam = 0.5 give 1.5, got {float(value.detach()):.4f}'
    shifted = torch.zeros(5, 3)
    shifted[:, 0] = 2.0
    value = free_bits_kl(shifted, torch.zeros(5, 3), 0.5)
    assert abs(float(value.detach()) - 3.0) < 1e-05, f'free_bits_kl = sum_j max(lam, mean_b KL_bj): dimension 0 has KL 2 (above the floor), the other two are floored at 0.5, so the result is 3.0, got {float(value.detach()):.4f}'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

