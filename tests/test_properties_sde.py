"""The SDEs' priors against torch.distributions, at a standard deviation other than 1."""
import torch

from gmcourse.sde import VESDE, VPSDE


def test_priors_are_the_normal_densities_of_their_standard_deviation():
    x = 3 * torch.randn(6, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for sde, std in [(VESDE(0.01, 7.0), 7.0), (VPSDE(), 1.0)]:
        ref = torch.distributions.Normal(0.0, std).log_prob(x).sum(-1)
        assert torch.allclose(sde.prior_log_prob(x), ref, atol=1e-10)
