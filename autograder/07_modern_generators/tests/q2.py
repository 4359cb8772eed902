from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 1

@test_case(points=0, hidden=False)
def test_vq_loss_value(vq_loss):
    import torch
    assert callable(vq_loss), 'define a function vq_loss(z, codes, beta=0.25)'
    z = torch.zeros(3, 2, requires_grad=True)
    codes = torch.ones(3, 2, requires_grad=True)
    loss = vq_loss(z, codes, 0.5)
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0, 'return a scalar tensor'
    assert abs(float(loss) - 1.5) < 1e-05, f'every entry differs by 1: codebook 1 + 0.5 * commitment 1 = 1.5, got {float(loss)}'

@test_case(points=None, hidden=True)
def test_q2_hidden_evidence():
    raise AssertionError("q2 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

