from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 1

@test_case(points=0, hidden=False)
def test_q6_answer_is_a_letter(q6_answer):
    assert isinstance(q6_answer, str), 'q6_answer must be a string such as "a"'
    assert q6_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q6_answer must be one of "a", "b", "c", "d", got {q6_answer!r}'

@test_case(points=None, hidden=True)
def test_q6_hidden_evidence():
    raise AssertionError("q6 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

