from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 1

@test_case(points=None, hidden=False)
def test_q8_answer_is_a_letter(q8_answer):
    assert isinstance(q8_answer, str), 'q8_answer must be a string such as "a"'
    assert q8_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q8_answer must be one of "a", "b", "c", "d", got {q8_answer!r}'

@test_case(points=None, hidden=True)
def test_q8_answer_value(q8_answer):
    assert str(q8_answer).strip().lower() == 'b', 'log p(x) - ELBO is the KL from q(z|x) to the true posterior: an encoder (inference) gap'

