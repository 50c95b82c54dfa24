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


# --- image metrics -------------------------------------------------------------------
from gmcourse.metrics import fid, frechet_distance, inception_score, precision_recall  # noqa: E402


def _feats(n, d, shift=0.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(d, d, generator=g, dtype=torch.float64)
    return torch.randn(n, d, generator=g, dtype=torch.float64) @ A + shift


def test_frechet_distance_matches_scipy_sqrtm():
    from scipy import linalg
    a, b = _feats(500, 16), _feats(400, 16, shift=0.3, seed=1)
    mu1, mu2 = a.mean(0).numpy(), b.mean(0).numpy()
    S1, S2 = np.cov(a.numpy().T), np.cov(b.numpy().T)
    covmean = linalg.sqrtm(S1 @ S2).real
    ref = ((mu1 - mu2) ** 2).sum() + np.trace(S1 + S2 - 2 * covmean)
    assert fid(a, b) == pytest.approx(ref, abs=1e-6)
    assert frechet_distance(mu1, S1, mu2, S2) == pytest.approx(ref, abs=1e-6)


def test_frechet_distance_is_zero_for_identical_sets_and_symmetric():
    a, b = _feats(300, 8), _feats(300, 8, shift=1.0, seed=2)
    assert abs(fid(a, a)) < 1e-8
    assert fid(a, b) == pytest.approx(fid(b, a), abs=1e-8) and fid(a, b) > 1


def test_inception_score_limits():
    assert inception_score(torch.full((100, 10), 0.1)) == pytest.approx(1.0)
    one_class = torch.zeros(100, 10)
    one_class[:, 3] = 1
    assert inception_score(one_class) == pytest.approx(1.0)
    balanced = torch.eye(10).repeat(10, 1)
    assert inception_score(balanced) == pytest.approx(10.0, rel=1e-6)


def test_precision_recall():
    real = _feats(400, 4)
    p, r = precision_recall(real, real.clone())
    assert p == 1.0 and r == 1.0
    # mode collapse: every fake lands near one of three real points
    g = torch.Generator().manual_seed(1)
    collapsed = real[torch.arange(300) % 3] + 0.01 * torch.randn(300, 4, generator=g, dtype=torch.float64)
    p_c, r_c = precision_recall(real, collapsed)
    assert p_c > 0.9 and r_c < 0.05


# --- GAN: distances of 2D samples to their target ------------------------------------
from gmcourse.metrics import sample_divergences  # noqa: E402


def test_sample_divergences_separate_exact_from_collapsed_samples():
    target = ring8()
    exact = sample_divergences(target.sample(1000, generator=torch.Generator().manual_seed(5)), target)
    collapsed = sample_divergences(target.means[0].float().expand(1000, 2).clone(), target)
    assert exact["w1"] < 0.05 and abs(exact["mmd2"]) < 0.01
    # all mass on one of 8 modes: 7/8 of it moves a mean chord of the ring
    chords = (target.means[1:] - target.means[0]).norm(dim=1).mean().item()
    assert collapsed["w1"] == pytest.approx(7 / 8 * chords, rel=0.05)
    assert collapsed["mmd2"] > 0.5
