from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 1

@test_case(points=0, hidden=False)
def test_noise_latents_ends(noise_latents):
    import torch
    assert callable(noise_latents), 'define a function noise_latents(z0, t, noise, alpha_bar)'
    z0, noise = (torch.ones(2, 3), torch.full((2, 3), 2.0))
    alpha_bar = torch.tensor([1.0, 0.0])
    zt = noise_latents(z0, torch.tensor([0, 1]), noise, alpha_bar)
    assert tuple(zt.shape) == (2, 3), f'z_t must be shaped like z0, (2, 3): {tuple(zt.shape)}'
    assert torch.allclose(zt[0], z0[0]) and torch.allclose(zt[1], noise[1]), 'with alpha_bar = 1 z_t is z0, with alpha_bar = 0 it is the noise (each row its own t)'

@test_case(points=None, hidden=True)
def test_q5_hidden_evidence():
    raise AssertionError("q5 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

