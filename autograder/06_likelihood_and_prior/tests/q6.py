from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 5

@test_case(points=0, hidden=False)
def test_cb_log_normalizer_at_half(cb_log_normalizer):
    import math
    import torch
    assert callable(cb_log_normalizer), 'define a function cb_log_normalizer(logits)'
    out = cb_log_normalizer(torch.tensor([0.0, 2.0]))
    assert isinstance(out, torch.Tensor), f'return a tensor, got {type(out).__name__}'
    assert tuple(out.shape) == (2,), f'expected the shape of the input, (2,), got {tuple(out.shape)}'
    assert torch.isfinite(out).all(), f'log C must be finite at logit 0; got {out.tolist()}'
    assert abs(float(out[0]) - math.log(2)) < 1e-05, f'C(1/2) = 2, so log C at logit 0 is log 2 = 0.6931; got {float(out[0]):.6f}'

@test_case(points=None, hidden=True)
def test_q6_hidden_evidence():
    raise AssertionError("q6 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

