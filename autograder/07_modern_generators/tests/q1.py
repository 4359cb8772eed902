from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 4

@test_case(points=0, hidden=False)
def test_quantize_shapes(quantize):
    import torch
    assert callable(quantize), 'define a function quantize(z, codebook)'
    codebook = torch.nn.Parameter(torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]]))
    z = torch.tensor([[0.2, 0.1], [2.5, 0.4], [0.3, 2.9], [2.8, -0.2]], requires_grad=True)
    result = quantize(z, codebook)
    assert isinstance(result, tuple) and len(result) == 2, 'return a pair (z_q, indices)'
    z_q, indices = result
    assert tuple(z_q.shape) == (4, 2), f'z_q must be shaped like z, (4, 2): {tuple(z_q.shape)}'
    assert tuple(indices.shape) == (4,), f'indices must have shape (4,): {tuple(indices.shape)}'
    assert not indices.is_floating_point(), 'indices must be an integer tensor'
    assert indices.tolist() == [0, 1, 2, 1], f'the nearest codes are [0, 1, 2, 1], got {indices.tolist()}'

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

