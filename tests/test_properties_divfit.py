"""divfit's closed forms at a bandwidth other than 1, and the reparameterised sample."""
import math

import numpy as np
import torch

from gmcourse.divergences import mmd2
from gmcourse.divfit import MixtureModel, mmd_objective


def _random_model(seed, k):
    torch.manual_seed(seed)
    q = MixtureModel(torch.randn(k, 2), 0.7)
    with torch.no_grad():
        q.L_raw.normal_(0, 0.3), q.logits.normal_()
    return q


def test_closed_form_mmd_matches_the_sample_estimate_at_bandwidth_0_6():
    p, q = _random_model(1, 2).as_mixture(), _random_model(2, 1)
    exact = mmd_objective(p, bandwidth=0.6)(q).item()
    g = torch.Generator().manual_seed(0)
    qm = q.as_mixture()
    est = [mmd2(p.sample(500, g).double(), qm.sample(500, g).double(), bandwidth=0.6)
           for _ in range(40)]
    assert abs(np.mean(est) - exact) < 4 * np.std(est) / math.sqrt(len(est))


def test_transform_of_standard_normals_has_covariance_sigma():
    """x = mu + L z, z ~ N(0, I): mean mu and covariance L L^T = Sigma (not L^T L), for
    L = [[0.5, 0], [0.8, 1.2]] whose two products differ in every entry."""
    q = MixtureModel([[0.3, -1.0]])
    with torch.no_grad():
        q.L_raw.copy_(torch.tensor([[[math.log(0.5), 0.0], [0.8, math.log(1.2)]]]))
    z = torch.randn(200_000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    with torch.no_grad():
        x = q.transform(z)
        assert torch.allclose(x.mean(0), q.mu[0], atol=0.01)
        assert torch.allclose(torch.cov(x.T), q.Sigma[0], atol=0.03)
