from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=None, hidden=False)
def test_q3_answer_is_a_number(q3_answer):
    import math
    assert isinstance(q3_answer, (int, float)) and (not isinstance(q3_answer, bool)), f'q3_answer must be a Python float, got {type(q3_answer)}'
    assert math.isfinite(q3_answer) and q3_answer > 0, 'a loss in nats per image is positive'

@test_case(points=None, hidden=True)
def test_q3_answer_value(q3_answer):
    import math
    assert abs(float(q3_answer) - 784 * math.log(2)) < 0.5, 'each pixel costs -log 0.5 = log 2 nats whether it is 0 or 1, and there are 784 of them'

