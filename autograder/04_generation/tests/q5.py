from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 1

@test_case(points=None, hidden=False)
def test_q5_answer_is_a_letter(q5_answer):
    assert isinstance(q5_answer, str), 'q5_answer must be a string such as "a"'
    assert q5_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q5_answer must be one of "a", "b", "c", "d", got {q5_answer!r}'

@test_case(points=None, hidden=True)
def test_q5_answer_value(q5_answer):
    assert str(q5_answer).strip().lower() == 'b', 'the density peaks at the origin; it is the probability mass that concentrates on the shell'

