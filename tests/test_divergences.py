"""Divergence estimators against independent references (closed forms, scipy, exact OT)."""
import math

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from gmcourse.config import set_threads
from gmcourse.data import GaussianMixture, two_gaussians
from gmcourse.divergences import (F_DIVERGENCES, Generator, classifier_f_divergence, f_divergence,
                                  f_divergence_grid, f_divergence_mc, gaussian_kernel, imq_kernel,
                                  js_grid, kl_grid, kl_mc, mmd2, parallel_lines,
                                  sliced_wasserstein, wasserstein, wasserstein_1d,
                                  wasserstein_batches, wasserstein_per_batch)

set_threads()


def random_gaussian(g):
    mean = torch.randn(2, generator=g, dtype=torch.float64)
    A = torch.randn(2, 2, generator=g, dtype=torch.float64)
    cov = 0.5 * A @ A.T + 0.3 * torch.eye(2, dtype=torch.float64)
    return GaussianMixture(mean[None], cov[None]), MultivariateNormal(mean, cov)


def random_mixture(g, k=3):
    means = 1.5 * torch.randn(k, 2, generator=g, dtype=torch.float64)
    stds = 0.4 + torch.rand(k, generator=g, dtype=torch.float64)
    return GaussianMixture(means, std=stds, weights=torch.rand(k, generator=g) + 0.2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_grid_and_monte_carlo_kl_match_the_closed_form(seed):
    g = torch.Generator().manual_seed(seed)
    (p, P), (q, Q) = random_gaussian(g), random_gaussian(g)
    exact = kl_divergence(P, Q).item()
    assert abs(kl_grid(p, q, extent=12, n=400) / exact - 1) < 0.01
    est, se = kl_mc(p, q, n=400_000, generator=g)
    assert abs(est / exact - 1) < 0.01 and abs(est - exact) < 4 * se
    # the reverse direction through the generic E_q f(p/q) with f = -log t
    est, se = f_divergence_mc(p, q, F_DIVERGENCES["reverse KL"], n=400_000, generator=g)
    assert abs(est - kl_divergence(Q, P).item()) < 4 * se


def test_every_f_divergence_is_nonnegative_and_zero_for_equal_distributions():
    g = torch.Generator().manual_seed(0)
    for _ in range(3):
        p, q = random_mixture(g), random_mixture(g)
        for name, gen in F_DIVERGENCES.items():
            assert f_divergence_grid(p, p, gen, extent=8, n=150) == pytest.approx(0, abs=1e-9), name
            d = f_divergence_grid(p, q, gen, extent=8, n=150)
            assert d > 1e-3, name
            # Monte Carlo, an independent estimator, agrees with the quadrature (chi^2's
            # (t - 1)^2 grows faster than t: its Monte Carlo variance is infinite)
            if name != "Pearson chi2":
                est, se = f_divergence_mc(p, q, gen, n=200_000, generator=g)
                assert abs(est - d) < 5 * se + 1e-3 * d, name
        # discrete distributions, including zeros
        a = torch.rand(6, generator=g, dtype=torch.float64) * (torch.arange(6) > 0)
        b = torch.rand(6, generator=g, dtype=torch.float64)
        la, lb = (a / a.sum()).log(), (b / b.sum()).log()
        for name, gen in F_DIVERGENCES.items():
            assert f_divergence(la, la, 1.0, gen).item() == pytest.approx(0, abs=1e-12)
            assert f_divergence(la, lb, 1.0, gen).item() > 0


def test_js_lies_in_zero_log2_and_is_log2_for_disjoint_supports():
    g = torch.Generator().manual_seed(1)
    for _ in range(5):
        js = js_grid(random_mixture(g), random_mixture(g), extent=8, n=150)
        assert 0 < js < math.log(2)
    # far apart: JS approaches log 2 from below
    far = js_grid(two_gaussians(0, std=0.3), GaussianMixture([[8.0, 0.0]], std=0.3), extent=12, n=300)
    assert math.log(2) - 1e-6 < far <= math.log(2) + 1e-9
    for theta in [0.1, 1.0, -2.0]:
        d = parallel_lines(theta)
        assert d["JS"] == pytest.approx(math.log(2), abs=1e-12)
        assert d["TV"] == pytest.approx(1.0, abs=1e-12)
        assert d["KL"] == math.inf and d["reverse KL"] == math.inf
        assert d["W1"] == pytest.approx(abs(theta), abs=1e-9)
    assert all(v == pytest.approx(0, abs=1e-12) for v in parallel_lines(0.0).values())


def test_w1_equals_an_exact_assignment_and_scipy_in_1d():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(60, 2, generator=g), torch.randn(60, 2, generator=g) + 1
    cost = torch.cdist(x.double(), y.double()).numpy()
    r, c = scipy.optimize.linear_sum_assignment(cost)  # equal sizes: OT is an assignment
    assert wasserstein(x, y, p=1) == pytest.approx(cost[r, c].mean(), rel=1e-9)
    assert wasserstein(x, y, p=2) == pytest.approx(
        math.sqrt((cost ** 2)[scipy.optimize.linear_sum_assignment(cost ** 2)].mean()), rel=1e-9)
    a = torch.randn(70, generator=g, dtype=torch.float64)
    b = torch.randn(45, generator=g, dtype=torch.float64) * 2 + 0.5
    ref = scipy.stats.wasserstein_distance(a.numpy(), b.numpy())
    assert wasserstein(a[:, None], b[:, None], p=1) == pytest.approx(ref, rel=1e-7)
    assert wasserstein_1d(a, b, p=1).item() == pytest.approx(ref, rel=1e-9)
    assert wasserstein_1d(a, b, p=2).item() == pytest.approx(wasserstein(a[:, None], b[:, None], 2), rel=1e-7)


def test_batched_w1_pairs_the_kth_batch_with_the_kth_reference():
    g = torch.Generator().manual_seed(1)
    refs = [torch.randn(40, 2, generator=g) for _ in range(3)]
    x = torch.randn(120, 2, generator=g) + torch.tensor([0.0, 1.0])
    w = [wasserstein(x[40 * k:40 * (k + 1)], refs[k]) for k in range(3)]
    assert wasserstein_per_batch(x, refs).tolist() == pytest.approx(w, rel=1e-6)
    mean, se = wasserstein_batches(x, refs)
    assert mean == pytest.approx(np.mean(w), rel=1e-6)
    assert se == pytest.approx(np.std(w, ddof=1) / math.sqrt(3), rel=1e-5)


def test_sliced_wasserstein_of_a_shift_is_its_mean_projection():
    g = torch.Generator().manual_seed(0)
    x = two_gaussians().sample(300, generator=g).double()
    delta = torch.tensor([1.5, -2.0], dtype=torch.float64)
    sw = sliced_wasserstein(x, x + delta, p=1, n_proj=20_000, generator=g).item()
    assert sw == pytest.approx(2 / math.pi * delta.norm().item(), rel=0.02)  # E|cos| = 2/pi
    y = torch.randn(300, 2, generator=g, dtype=torch.float64)
    assert sliced_wasserstein(x, y, 1, 500, g) < wasserstein(x, y, 1)  # projections shrink


@pytest.mark.parametrize("kernel", [gaussian_kernel, imq_kernel])
def test_unbiased_mmd_averages_to_zero_for_equal_distributions(kernel):
    g = torch.Generator().manual_seed(0)
    p, q = two_gaussians(), two_gaussians(separation=3.0)
    same = np.array([mmd2(p.sample(100, g), p.sample(100, g), kernel) for _ in range(200)])
    diff = np.array([mmd2(p.sample(100, g), q.sample(100, g), kernel) for _ in range(50)])
    assert abs(same.mean()) < 3 * same.std() / math.sqrt(len(same))
    assert (same < 0).any()  # unbiased, so not clipped at zero
    assert diff.mean() > 10 * same.std() / math.sqrt(len(same)) and (diff > 0).mean() > 0.9


def test_classifier_estimate_is_close_to_the_quadrature():
    g = torch.Generator().manual_seed(0)
    p, q = two_gaussians(), two_gaussians(separation=2.0)
    x, y = p.sample(4000, g), q.sample(4000, g)
    for name in ["JS", "KL"]:
        exact = f_divergence_grid(p, q, F_DIVERGENCES[name], extent=8)
        est = classifier_f_divergence(x, y, F_DIVERGENCES[name])
        assert abs(est - exact) < 0.15 * exact, name


def test_a_general_f_matches_the_table_and_the_tails_do_not_overflow():
    g = torch.Generator().manual_seed(3)
    p, q = random_mixture(g), random_mixture(g)
    for name, f in [("KL", lambda t: torch.xlogy(t, t)), ("reverse KL", lambda t: -torch.log(t)),
                    ("Pearson chi2", lambda t: (t - 1) ** 2), ("TV", lambda t: 0.5 * (t - 1).abs())]:
        assert f_divergence_grid(p, q, Generator.from_f(f), extent=8, n=100) == pytest.approx(
            f_divergence_grid(p, q, F_DIVERGENCES[name], extent=8, n=100), rel=1e-9), name
    # p/q beyond float64's range (e^1000): every term stays finite and KL grows like r
    lp, lq = torch.tensor([-1.0, -1.0], dtype=torch.float64), torch.tensor([-1001.0, -1.0], dtype=torch.float64)
    assert f_divergence(lp, lq, 1.0, F_DIVERGENCES["KL"]).item() == pytest.approx(math.exp(-1) * 1000)
    assert f_divergence(lq, lp, 1.0, F_DIVERGENCES["reverse KL"]).item() == pytest.approx(math.exp(-1) * 1000)


def test_mmd2_tensor_is_mmd2_with_a_gradient_that_moves_samples_towards_the_data():
    from gmcourse.divergences import gaussian_kernel, mmd2, mmd2_tensor
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(64, 2, generator=g), torch.randn(48, 2, generator=g) + 1.0
    y.requires_grad_(True)
    est = mmd2_tensor(x, y, gaussian_kernel, bandwidth=1.0)
    assert abs(est.item() - mmd2(x, y.detach(), bandwidth=1.0)) < 1e-6
    est.backward()
    # a small step against the gradient lowers the estimate: the generator's descent direction
    with torch.no_grad():
        assert mmd2(x, y - 0.1 * y.grad / y.grad.norm(), bandwidth=1.0) < est.item()
