from otter.test_files import test_case

OK_FORMAT = False

name = "q10"
points = 1

@test_case(points=None, hidden=False)
def test_q10_answer_is_a_letter(q10_answer):
    assert isinstance(q10_answer, str), 'q10_answer must be a string such as "a"'
    assert q10_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q10_answer must be one of "a", "b", "c", "d", got {q10_answer!r}'

@test_case(points=None, hidden=True)
def test_q10_answer_value(q10_answer):
    assert str(q10_answer).strip().lower() == 'b', 'without the KL term nothing stops the noise from shrinking or the codes from spreading'

