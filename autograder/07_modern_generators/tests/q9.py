from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 1

@test_case(points=0, hidden=False)
def test_q9_answer_is_a_letter(q9_answer):
    assert isinstance(q9_answer, str), 'q9_answer must be a string such as "a"'
    assert q9_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q9_answer must be one of "a", "b", "c", "d", got {q9_answer!r}'

@test_case(points=None, hidden=True)
def test_q9_hidden_evidence():
    raise AssertionError("q9 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

