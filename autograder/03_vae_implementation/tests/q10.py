from otter.test_files import test_case

OK_FORMAT = False

name = "q10"
points = 1

@test_case(points=0, hidden=False)
def test_binarize_values_and_shape(binarize):
    import torch
    assert callable(binarize), 'define a function binarize(x)'
    x = torch.rand(6, 1, 28, 28)
    out = binarize(x)
    assert isinstance(out, torch.Tensor) and out.shape == x.shape, f"binarize must return a tensor of x's shape (6, 1, 28, 28), got {getattr(out, 'shape', out)}"
    assert out.dtype == x.dtype, f"binarize must keep x's dtype (float32), got {out.dtype}"
    assert bool(((out == 0) | (out == 1)).all()), 'every value of binarize(x) must be 0.0 or 1.0'
    assert not torch.equal(binarize(x), binarize(x)), 'two calls must draw different images'

@test_case(points=None, hidden=True)
def test_q10_hidden_evidence():
    raise AssertionError("q10 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

