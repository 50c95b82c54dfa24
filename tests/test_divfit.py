"""Fitting a Gaussian (or a mixture) by each divergence, and chapter 01's claims at its
own settings."""
import math

import numpy as np
import pytest
import torch

from gmcourse.config import set_threads
from gmcourse.data import GaussianMixture
from gmcourse.divergences import F_DIVERGENCES, f_divergence_grid, mmd2, wasserstein
from gmcourse.divfit import (DIVERGENCES, MixtureModel, ModeDemo, best_fit, fit, fit_all,
                             mmd_objective, objective_for, sweep, w2_objective)

set_threads()


def random_model(seed, k):
    torch.manual_seed(seed)
    q = MixtureModel(torch.randn(k, 2), 0.7)
    with torch.no_grad():
        q.L_raw.normal_(0, 0.3), q.logits.normal_()
    return q


def test_mixture_model_density_matches_the_reference_mixture():
    q = random_model(0, 3)
    x = torch.randn(50, 2, dtype=torch.float64)
    ref = q.as_mixture().log_prob(x)  # torch.distributions with full covariances
    assert torch.allclose(q.log_prob(x), ref, atol=1e-10)


def test_closed_form_mmd_matches_the_sample_estimate():
    p, q = random_model(1, 2).as_mixture(), random_model(2, 1)
    exact = mmd_objective(p, bandwidth=1.0)(q).item()
    g = torch.Generator().manual_seed(0)
    qm = q.as_mixture()
    est = [mmd2(p.sample(500, g).double(), qm.sample(500, g).double()) for _ in range(40)]
    assert abs(np.mean(est) - exact) < 4 * np.std(est) / math.sqrt(len(est))
    assert exact > 10 * np.std(est) / math.sqrt(len(est))


def test_w2_objective_is_the_exact_transport_cost():
    p, q = random_model(3, 2).as_mixture(), random_model(4, 1)
    obj = w2_objective(p, n=100, seed=0)
    g = torch.Generator().manual_seed(0)  # the objective's own fixed samples
    x, z = p.sample(100, generator=g).double(), torch.randn(100, 2, generator=g, dtype=torch.float64)
    with torch.no_grad():
        assert obj(q).item() == pytest.approx(wasserstein(x, q.transform(z), p=2) ** 2, rel=1e-9)


def test_forward_kl_fit_is_moment_matching():
    p = random_model(5, 3).as_mixture()
    q, _ = best_fit(objective_for("KL", p, extent=9, n=160), p)
    mean = (p.weights[:, None] * p.means).sum(0)
    d = p.means - mean
    cov = (p.weights[:, None, None] * (p.covs + d[:, :, None] * d[:, None, :])).sum(0)
    assert torch.allclose(q.mu[0].detach(), mean, atol=0.01)
    assert torch.allclose(q.Sigma[0].detach(), cov, atol=0.02 * cov.abs().max().item())


@pytest.mark.parametrize("name", ["KL", "reverse KL", "JS", "MMD^2"])
def test_a_two_component_mixture_recovers_a_two_component_target(name):
    p = random_model(6, 2).as_mixture()
    q, value = best_fit(objective_for(name, p, extent=8, n=120), p, k=2)
    assert value < 1e-5
    found = q.mu.detach()[torch.cdist(p.means, q.mu.detach()).argmin(1)]  # nearest fitted mean
    assert torch.allclose(found, p.means, atol=0.05)


def test_fitting_lowers_every_objective():
    cfg = ModeDemo(n=64)
    p = cfg.target()
    for name in DIVERGENCES:
        obj = objective_for(name, p, cfg.extent, cfg.n)
        q = MixtureModel([0.5, 0.5], 1.0)
        with torch.no_grad():
            before = obj(q).item()
        assert fit(obj, q, iters=20) < before - 1e-3, name


# --- chapter 01's claims, at its settings -----------------------------------------------

@pytest.fixture(scope="module")
def fits():
    return {name: (q.mu[0].detach(), q.Sigma[0].detach(), v) for name, (q, v) in fit_all(ModeDemo()).items()}


def test_forward_kl_covers_both_modes(fits):
    mu, S, v = fits["KL"]
    assert mu.abs().max() < 0.01  # between the modes at -2 and +2
    assert S[0, 0].item() == pytest.approx(4.25, abs=0.01)  # 0.5^2 + 2^2 covers both
    assert S[1, 1].item() == pytest.approx(0.25, abs=0.01)


def test_reverse_kl_sits_on_one_mode(fits):
    mu, S, v = fits["reverse KL"]
    assert abs(mu[0].abs().item() - 2.0) < 0.2 and abs(mu[1].item()) < 0.01
    assert S[0, 0].item() == pytest.approx(0.25, abs=0.01)
    assert v == pytest.approx(math.log(2), abs=0.01)  # KL(q || p) with q one component


def test_js_and_the_others_at_separation_4(fits):
    mu, S, v = fits["JS"]
    assert mu.abs().max() < 0.01 and S[0, 0].item() == pytest.approx(4.22, abs=0.01)
    assert v == pytest.approx(0.201, abs=0.001)
    one_mode = 0.75 * math.log(4 / 3)  # JS of one component against p, modes disjoint
    assert one_mode == pytest.approx(0.216, abs=0.001) and one_mode - v < 0.02
    assert fits["squared Hellinger"][1][0, 0].item() == pytest.approx(4.07, abs=0.01)
    mu, S, _ = fits["TV"]
    assert mu[0].abs().item() == pytest.approx(1.69, abs=0.01) and S[0, 0].item() == pytest.approx(0.87, abs=0.01)
    mu, S, _ = fits["MMD^2"]
    assert mu.abs().max() < 0.01
    assert S[0, 0].item() == pytest.approx(7.19, abs=0.01) and S[1, 1].item() == pytest.approx(0.19, abs=0.01)
    mu, S, _ = fits["W2^2"]
    assert mu[0].abs().item() < 0.2 and S[0, 0].item() == pytest.approx(3.5, abs=0.1)


def test_js_switches_to_one_mode_later_than_reverse_kl():
    from gmcourse.config import pick
    seps = pick(smoke=[2, 5], lecture=[1, 2, 3, 4, 5, 6])  # the chapter's sweep
    r = sweep(ModeDemo(n=100), seps)
    on_mode = {name: [m > s / 4 for (m, _), s in zip(v, seps)] for name, v in r.items()}
    assert on_mode["KL"] == [False] * 6
    assert on_mode["reverse KL"] == [False, False, True, True, True, True]
    assert on_mode["JS"] == [False, False, False, False, True, True]
