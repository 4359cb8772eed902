from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=None, hidden=False)
def test_q3_answer_is_a_number(q3_answer):
    import math
    assert isinstance(q3_answer, (int, float)) and (not isinstance(q3_answer, bool)), f'q3_answer must be a Python float, got {type(q3_answer)}; use float(...) on a tensor'
    assert math.isfinite(q3_answer) and q3_answer >= 0, 'a KL divergence is a finite number >= 0'

@test_case(points=None, hidden=True)
def test_q3_answer_value(q3_answer):
    import math
    expected = 0.5 * (0.01 - 1 - math.log(0.01))
    assert abs(float(q3_answer) - expected) < 0.01, 'use sigma^2 = 0.01, so log sigma^2 = log 0.01; the answer is a little under 2 nats'

