from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=0, hidden=False)
def test_q3_answer_is_a_letter(q3_answer):
    assert isinstance(q3_answer, str), 'q3_answer must be a string such as "a"'
    assert q3_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q3_answer must be one of "a", "b", "c", "d", got {q3_answer!r}'

@test_case(points=None, hidden=True)
def test_q3_hidden_evidence():
    raise AssertionError("q3 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

