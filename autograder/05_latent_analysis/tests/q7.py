from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 1

@test_case(points=0, hidden=False)
def test_kl_weight_ends(kl_weight):
    import numbers
    assert callable(kl_weight), 'define a function kl_weight(step, warmup_steps)'
    first = kl_weight(0, 10)
    assert isinstance(first, numbers.Real), f'return a Python float, got {type(first).__name__}'
    assert first == 0, f'step counts from 0 and the first weight is 0: kl_weight(0, 10) gave {first}'
    assert kl_weight(30, 10) == 1, f'after the warm-up the weight stays at 1: kl_weight(30, 10) gave {kl_weight(30, 10)}'

@test_case(points=None, hidden=True)
def test_q7_hidden_evidence():
    raise AssertionError("q7 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

