from otter.test_files import test_case

OK_FORMAT = False

name = "q8"
points = 1

@test_case(points=0, hidden=False)
def test_q8_answer_is_a_letter(q8_answer):
    assert isinstance(q8_answer, str), 'q8_answer must be a string such as "a"'
    assert q8_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q8_answer must be one of "a", "b", "c", "d", got {q8_answer!r}'

@test_case(points=None, hidden=True)
def test_q8_hidden_evidence():
    raise AssertionError("q8 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

