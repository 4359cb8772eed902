from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 1

@test_case(points=0, hidden=False)
def test_q5_answer_is_a_number(q5_answer):
    assert isinstance(q5_answer, (int, float)), 'set q5_answer to a number such as 1.23'

@test_case(points=None, hidden=True)
def test_q5_hidden_evidence():
    raise AssertionError("q5 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

