"""Divergences and kernels against closed forms at a bandwidth other than 1, and the
classifier estimate with unequal sample sizes."""
import math

import pytest
import torch

from gmcourse.data import GaussianMixture, two_gaussians
from gmcourse.divergences import (F_DIVERGENCES, classifier_f_divergence, f_divergence_grid,
                                  gaussian_kernel, imq_kernel, mmd2)


def test_squared_hellinger_of_two_gaussians_matches_the_bhattacharyya_closed_form():
    """int (sqrt p - sqrt q)^2 = 2 (1 - BC), BC = exp(-D_B), D_B = (m1 - m2)^T S^-1 (m1 - m2) / 8
    + log(det S / sqrt(det S1 det S2)) / 2 with S = (S1 + S2) / 2."""
    m1 = torch.tensor([0.3, -0.2], dtype=torch.float64)
    m2 = torch.tensor([1.1, 0.4], dtype=torch.float64)
    S1 = torch.tensor([[0.8, 0.2], [0.2, 0.5]], dtype=torch.float64)
    S2 = torch.tensor([[0.4, -0.1], [-0.1, 0.9]], dtype=torch.float64)
    S, d = (S1 + S2) / 2, m1 - m2
    D_B = d @ torch.linalg.solve(S, d) / 8 + 0.5 * torch.log(S.det() / (S1.det() * S2.det()).sqrt())
    exact = 2 * (1 - torch.exp(-D_B)).item()
    p, q = GaussianMixture(m1[None], S1[None]), GaussianMixture(m2[None], S2[None])
    est = f_divergence_grid(p, q, F_DIVERGENCES["squared Hellinger"], extent=7, n=200)
    assert est == pytest.approx(exact, rel=1e-4)


def test_kernels_at_a_distance_of_one_bandwidth():
    """exp(-r^2 / (2 h^2)) and (1 + r^2 / h^2)^(-1/2) at r = h = 0.7, and at r = 2h."""
    x = torch.zeros(1, 2, dtype=torch.float64)
    y = torch.tensor([[0.7, 0.0], [0.0, 1.4]], dtype=torch.float64)
    assert torch.allclose(gaussian_kernel(x, y, 0.7)[0],
                          torch.tensor([math.exp(-0.5), math.exp(-2.0)], dtype=torch.float64))
    assert torch.allclose(imq_kernel(x, y, 0.7)[0],
                          torch.tensor([2 ** -0.5, 5 ** -0.5], dtype=torch.float64))


def test_mmd_is_unbiased_even_for_five_samples():
    """E MMD^2_u = 0 for p = q at any n; dividing by n^2 instead of n (n - 1) biases it by
    -E k(x, x') / n, about 7 standard errors here."""
    g = torch.Generator().manual_seed(0)
    p = two_gaussians(2.0, std=0.5)
    est = torch.tensor([mmd2(p.sample(5, g), p.sample(5, g)) for _ in range(2000)])
    assert abs(est.mean().item()) < 3 * est.std().item() / math.sqrt(len(est))


def test_classifier_estimate_corrects_for_unequal_sample_sizes():
    """Three times more samples of p than of q shift the logit by log 3; the estimate must
    take that prior out and still match the quadrature."""
    g = torch.Generator().manual_seed(0)
    p, q = two_gaussians(), two_gaussians(separation=2.0)
    x, y = p.sample(6000, g), q.sample(2000, g)
    exact = f_divergence_grid(p, q, F_DIVERGENCES["JS"], extent=8)
    assert classifier_f_divergence(x, y, F_DIVERGENCES["JS"]) == pytest.approx(exact, rel=0.15)
