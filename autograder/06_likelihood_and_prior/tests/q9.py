from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 1

@test_case(points=0, hidden=False)
def test_mc_kl_standard_normal(mc_kl):
    import math
    import torch

    def log_standard_normal(z):
        return -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(dim=1)
    assert callable(mc_kl), 'define a function mc_kl(z, mu, logvar, log_prior)'
    z = torch.randn(5, 3)
    out = mc_kl(z, torch.zeros(5, 3), torch.zeros(5, 3), log_standard_normal)
    assert isinstance(out, torch.Tensor), f'return a tensor, got {type(out).__name__}'
    assert tuple(out.shape) == (5,), f'expected one value per image, shape (5,), got {tuple(out.shape)}'
    assert torch.allclose(out, torch.zeros(5), atol=0.0001), 'when q(z|x) equals the prior, log q(z|x) - log p(z) is 0 for every sample'

@test_case(points=None, hidden=True)
def test_q9_hidden_evidence():
    raise AssertionError("q9 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

