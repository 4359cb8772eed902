from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 1

@test_case(points=0, hidden=False)
def test_q3_answer_is_a_letter(q3_answer):
    assert q3_answer in {'a', 'b', 'c', 'd'}, 'set q3_answer to one of "a", "b", "c", "d"'

@test_case(points=None, hidden=True)
def test_q3_hidden_evidence():
    raise AssertionError("q3 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

