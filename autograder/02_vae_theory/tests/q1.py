from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 1

@test_case(points=0, hidden=False)
def test_q1_answer_is_a_letter(q1_answer):
    assert isinstance(q1_answer, str), 'q1_answer must be a string such as "a"'
    assert q1_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q1_answer must be one of "a", "b", "c", "d", got {q1_answer!r}'

@test_case(points=None, hidden=True)
def test_q1_hidden_evidence():
    raise AssertionError("q1 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

