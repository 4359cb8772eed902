from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 1

@test_case(points=0, hidden=False)
def test_q7_answer_is_a_letter(q7_answer):
    assert q7_answer in {'a', 'b', 'c', 'd'}, 'set q7_answer to one of "a", "b", "c", "d"'

@test_case(points=None, hidden=True)
def test_q7_hidden_evidence():
    raise AssertionError("q7 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

