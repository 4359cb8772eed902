from otter.test_files import test_case

OK_FORMAT = False

name = "q8b"
points = 7

@test_case(points=0, hidden=False)
def test_bernoulli_nll_from_logits_is_your_own_formulation(bernoulli_nll_from_logits):

    def names(code):
        found = set(code.co_names)
        for const in code.co_consts:
            if hasattr(const, 'co_names'):
                found |= names(const)
        return found
    code = getattr(bernoulli_nll_from_logits, '__code__', None)
    used = names(code) if code is not None else set()
    notebook = getattr(bernoulli_nll_from_logits, '__globals__', {})
    for name in list(used):
        if name in notebook:
            used |= {getattr(notebook[name], '__name__', ''), type(notebook[name]).__name__}
    banned = {'binary_cross_entropy_with_logits', 'BCEWithLogitsLoss', 'Bernoulli'}
    assert not used & banned, f'bernoulli_nll_from_logits names {sorted(used & banned)}: a one-call library loss is off limits in Q8b; write the stable formula yourself (softplus, logsigmoid, logaddexp and log1p are allowed)'

@test_case(points=0, hidden=False)
def test_bernoulli_nll_from_logits_shape_and_values(bernoulli_nll_from_logits):
    import torch
    assert callable(bernoulli_nll_from_logits), 'define a function bernoulli_nll_from_logits(logits, x)'
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(4, 784, generator=g)
    x = torch.rand(4, 1, 28, 28, generator=g)
    nll = bernoulli_nll_from_logits(logits, x)
    assert isinstance(nll, torch.Tensor), f'expected a tensor, got {type(nll).__name__}'
    assert nll.shape == (4,), f'expected shape (4,), got {tuple(nll.shape)}: sum over pixels, one value per image (x may arrive as (B, 1, 28, 28))'
    p, t = (torch.sigmoid(logits.double()), x.reshape(4, 784).double())
    expected = -(t * p.log() + (1 - t) * (1 - p).log()).sum(dim=1)
    assert torch.allclose(nll.double(), expected, rtol=0.0001, atol=0.01), "for moderate logits the values should equal Q8's bernoulli_nll with x_hat = sigmoid(logits), summed over pixels"

@test_case(points=0, hidden=False)
def test_bernoulli_nll_from_logits_saturated(bernoulli_nll_from_logits):
    import torch
    logits = torch.tensor([[30.0, -30.0]], requires_grad=True)
    x = torch.tensor([[0.0, 1.0]])
    nll = bernoulli_nll_from_logits(logits, x)
    assert nll.shape == (1,), f'expected shape (1,), got {tuple(nll.shape)}'
    value = float(nll.detach().sum())
    assert abs(value - 60.0) < 0.001, f'logits [[30, -30]] with x [[0, 1]] should cost 60 nats (30 per pixel), got {value:.6g}: in float32 sigmoid(30) is exactly 1, so log(1 - sigmoid(30)) is log 0, which F.binary_cross_entropy clamps at -100 and an epsilon turns into -log(epsilon)'
    assert nll.requires_grad, 'the result is cut off from the graph: no .detach() or .item()'
    nll.sum().backward()
    want = torch.tensor([[1.0, -1.0]])
    assert logits.grad is not None and torch.allclose(logits.grad, want, atol=1e-05), f'the gradient should be sigmoid(logit) - x = [[1, -1]], got {logits.grad}'

@test_case(points=None, hidden=True)
def test_q8b_hidden_evidence():
    raise AssertionError("q8b is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

