from otter.test_files import test_case

OK_FORMAT = False

name = "q12"
points = 5

@test_case(points=0, hidden=False)
def test_refine_posterior_shapes(refine_posterior):
    import torch

    class TinyDecoder(torch.nn.Module):
        """A stand-in model: latent_dim = 3 and a decode method."""

        def __init__(self):
            super().__init__()
            self.latent_dim = 3
            self.out = torch.nn.Linear(3, 784)

        def decode(self, z):
            return torch.sigmoid(self.out(z))
    assert callable(refine_posterior), 'define a function refine_posterior(model, x, mu, logvar, steps, lr)'
    model = TinyDecoder()
    before = [p.detach().clone() for p in model.parameters()]
    mu, logvar = (torch.zeros(4, 3), torch.zeros(4, 3))
    new_mu, new_logvar = refine_posterior(model, torch.rand(4, 784).round(), mu, logvar, 5, 0.05)
    assert tuple(new_mu.shape) == (4, 3) and tuple(new_logvar.shape) == (4, 3), 'return (mu, logvar), each of shape (B, d) = (4, 3)'
    assert all((torch.equal(a, p) for a, p in zip(before, model.parameters(), strict=True))), "the model's parameters changed: optimise only mu and logvar"
    assert torch.equal(mu, torch.zeros(4, 3)) and torch.equal(logvar, torch.zeros(4, 3)), 'do not change the mu and logvar passed in: work on copies'

@test_case(points=None, hidden=True)
def test_q12_hidden_evidence():
    raise AssertionError("q12 is scored outside the notebook by the course's grading plugin (vae_grading.otter_plugin.TrustedVerdicts); it did not run")

