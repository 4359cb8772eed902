from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=0, hidden=False)
def test_q3_answer_is_a_number(q3_answer):
    import math
    assert isinstance(q3_answer, (int, float)) and (not isinstance(q3_answer, bool)), f'q3_answer must be a Python float, got {type(q3_answer).__name__}; use float(...) on a tensor'
    assert math.isfinite(q3_answer) and q3_answer >= 0, 'a KL divergence is a finite number >= 0'

@test_case(points=None, hidden=True)
def test_q3_hidden_evidence():
    raise AssertionError("q3 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

