"""Chapter 05's claims about the spline flow, at the chapter's own (lecture) settings."""
import math

import torch

from gmcourse import data, recipes


def trained_nll(recipe):
    dist = recipe.data()
    x = dist.sample(20_000, generator=torch.Generator().manual_seed(123))
    flow = recipes.trained(recipe, profile="lecture")
    with torch.no_grad():
        return -flow.log_prob(x).mean().item(), -dist.log_prob(x.double()).mean().item()


def test_spline_flow_reaches_the_checkerboard_target():
    nll_spline, entropy = trained_nll(recipes.SPLINE_CHECKERBOARD)
    assert abs(entropy - math.log(32)) < 1e-6
    assert entropy < nll_spline < entropy + 0.1  # "within 0.1 nats of the floor"


def test_spline_flow_comes_within_0_05_nats_of_ring8_entropy_with_a_few_stragglers():
    from gmcourse.metrics import mode_coverage
    assert data.ring8().stds[0] == 0.01
    dist = data.ring8()
    x = dist.sample(20_000, generator=torch.Generator().manual_seed(123))
    flow = recipes.trained(recipes.SPLINE_RING, profile="lecture")
    with torch.no_grad():
        nll, entropy = -flow.log_prob(x).mean().item(), -dist.log_prob(x.double()).mean().item()
        cov = mode_coverage(flow.sample(2000), dist)  # the chapter's sample, same RNG state
    assert 0 < nll - entropy <= 0.05
    assert cov.modes == 8 and 0.9 < cov.high_quality < 0.995  # "a few stragglers"

