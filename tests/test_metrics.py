import math

import numpy as np
import pytest
import torch

from gmcourse.data import grid25, ring8
from gmcourse.metrics import bits_per_dim, independent_pixel_nll, mode_coverage


def test_true_samples_cover_every_mode():
    target = ring8()
    cov = mode_coverage(target.sample(2500, generator=torch.Generator().manual_seed(0)), target)
    # in 2D, P(|x - mu| <= 3 sigma) = 1 - exp(-9/2) = 98.9% (a chi distribution with 2 dof)
    assert cov.modes == 8 and abs(cov.high_quality - (1 - math.exp(-4.5))) < 0.005
    assert cov.reverse_kl < 0.01
    assert cov.weight_error(target) < 0.03


def test_collapsed_samples_are_caught():
    target = grid25()
    x = target.means[3].float() + 0.01 * torch.randn(1000, 2)
    cov = mode_coverage(x, target)
    assert cov.modes == 1 and cov.high_quality == 1.0
    assert cov.reverse_kl == pytest.approx(math.log(25), rel=1e-6)
    far = target.means[0].float() + 0.5  # between modes: low quality
    assert mode_coverage(far.expand(10, 2), target).high_quality == 0.0


def test_independent_pixel_nll_against_a_direct_count():
    rng = np.random.default_rng(0)
    train = torch.from_numpy((rng.random((200, 1, 3, 3)) < np.linspace(.1, .9, 9).reshape(1, 1, 3, 3))).float()
    test = torch.from_numpy(rng.random((50, 1, 3, 3)) < 0.5).float()
    nll = 0.0
    for j in range(9):
        ones = train.reshape(200, 9)[:, j].sum().item()
        p1 = (ones + 1) / (200 + 2)
        t = test.reshape(50, 9)[:, j]
        nll -= (t * math.log(p1) + (1 - t) * math.log(1 - p1)).mean().item()
    assert independent_pixel_nll(train, test, levels=2) == pytest.approx(nll, rel=1e-5)
    assert bits_per_dim(nll, 9) == pytest.approx(nll / 9 / math.log(2))
