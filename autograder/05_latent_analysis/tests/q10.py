from otter.test_files import test_case

OK_FORMAT = False

name = "q10"
points = 1

@test_case(points=0, hidden=False)
def test_q10_answer_is_a_letter(q10_answer):
    assert isinstance(q10_answer, str), 'q10_answer must be a string such as "a"'
    assert q10_answer.strip().lower() in {'a', 'b', 'c', 'd'}, f'q10_answer must be one of "a", "b", "c", "d", got {q10_answer!r}'

@test_case(points=None, hidden=True)
def test_q10_hidden_evidence():
    raise AssertionError("q10 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

