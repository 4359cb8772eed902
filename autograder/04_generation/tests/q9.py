from otter.test_files import test_case

OK_FORMAT = False

name = "q9"
points = 5

@test_case(points=0, hidden=False)
def test_sample_quality_keys_and_ranges(sample_quality):
    import math
    import torch

    class Constant(torch.nn.Module):
        """A stand-in classifier: the same logits, favouring the digit 3, for every image."""

        def __init__(self):
            super().__init__()
            self.logits = torch.nn.Parameter(torch.tensor([0.0, 1, 0, 4, 0, 0, 2, 0, 0, 0]))

        def forward(self, x):
            return self.logits.expand(len(x), 10)
    assert callable(sample_quality), 'define a function sample_quality(images, classifier)'
    result = sample_quality(torch.rand(7, 784), Constant())
    assert isinstance(result, dict) and {'confidence', 'label_entropy'} <= set(result), 'sample_quality must return a dict with the keys "confidence" and "label_entropy"'
    confidence, entropy = (float(result['confidence']), float(result['label_entropy']))
    assert 0 < confidence <= 1, f'the confidence is a probability, got {confidence}'
    assert 0 <= entropy <= math.log(10) + 1e-06, f'label_entropy must be in [0, log 10]: {entropy}'
    assert abs(entropy) < 1e-06, f'all images get the label 3, so label_entropy must be 0: {entropy}'

@test_case(points=0, hidden=False)
def test_sample_quality_reads_a_stream_once(sample_quality):
    import math
    import torch

    class ByFirstPixel(torch.nn.Module):
        """A stand-in classifier: the label is the first pixel times 10, rounded down."""

        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(50.0))

        def forward(self, x):
            labels = (x.reshape(len(x), -1)[:, 0] * 10).long().clamp(0, 9)
            return self.scale * torch.nn.functional.one_hot(labels, 10).float()
    images = torch.zeros(30, 784)
    images[:, 0] = torch.tensor([0.05] * 20 + [0.15] * 10)
    whole = sample_quality(images, ByFirstPixel())
    stream = sample_quality((b for b in images.split([17, 3, 10])), ByFirstPixel())
    assert isinstance(stream, dict) and {'confidence', 'label_entropy'} <= set(stream), 'for a generator of batches, sample_quality must return the same dict'
    expected = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    for name, result in (('one tensor', whole), ('a stream of 17, 3 and 10 images', stream)):
        got = float(result['label_entropy'])
        assert abs(got - expected) < 1e-05, f'for {name}, twenty images labelled 0 and ten labelled 1 give label_entropy {expected:.4f}, got {got:.4f}: count the labels over all the images you read'

@test_case(points=None, hidden=True)
def test_q9_hidden_evidence():
    raise AssertionError("q9 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

