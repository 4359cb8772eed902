from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 4

@test_case(points=0, hidden=False)
def test_revive_codebook_shape_and_used_codes(revive_codebook):
    import torch
    assert callable(revive_codebook), 'define a function revive_codebook(codebook, z, counts)'
    codebook = torch.tensor([[0.0, 0.0], [9.0, 9.0], [-9.0, 9.0]])
    z = torch.randn(20, 2) * 0.1
    with torch.no_grad():
        new = revive_codebook(codebook.clone(), z, torch.tensor([20, 0, 0]))
    assert isinstance(new, torch.Tensor) and tuple(new.shape) == (3, 2), 'return the codebook as a tensor of shape (K, D)'
    assert torch.allclose(new[0], torch.zeros(2)), 'the code in use (count 20) must keep its value'

@test_case(points=None, hidden=True)
def test_q4_hidden_evidence():
    raise AssertionError("q4 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

