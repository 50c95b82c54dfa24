"""Fitting a Gaussian (or a mixture) by each divergence, and chapter 01's claims at its
own settings."""
import math

import numpy as np
import pytest
import torch

from gmcourse.config import set_threads
from gmcourse.data import GaussianMixture
from gmcourse.divergences import (F_DIVERGENCES, blurred_lines, f_divergence_grid, mmd2,
                                  parallel_lines, wasserstein)
from gmcourse.divfit import (DIVERGENCES, MixtureModel, ModeDemo, best_fit, estimator_study, fit,
                             fit_all, mmd_objective, objective_for, sweep, three_modes,
                             w2_objective)

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


def test_two_components_for_three_modes():
    p3 = three_modes()
    q, _ = best_fit(objective_for("KL", p3, 7.0, 140), p3, k=2)
    wide = q.Sigma[:, 0, 0].argmax()
    assert q.pi[wide].item() == pytest.approx(0.69, abs=0.01)  # one component over two modes
    assert q.Sigma[wide, 0, 0].item() > 2.0
    for name in ["reverse KL", "JS"]:  # one component per outer mode, the middle one dropped
        q, _ = best_fit(objective_for(name, p3, 7.0, 140), p3, k=2)
        assert sorted(q.mu[:, 0].tolist()) == pytest.approx([-3, 3], abs=0.05), name
        assert (q.Sigma[:, 0, 0] < 0.3).all(), name


def test_js_gradient_vanishes_for_blurred_lines_while_w1_keeps_slope_one():
    grads = {}
    for theta in [0.1, 1.0]:
        t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
        blurred_lines(t, F_DIVERGENCES["JS"], sigma=0.1).backward()
        grads[theta] = t.grad.item()
    assert grads[0.1] > 1.9 and 1e-5 < grads[1.0] < 3e-5  # the chapter: 2e-5 at theta = 1
    assert grads[0.1] / grads[1.0] > 1e4
    w = [parallel_lines(t)["W1"] for t in (0.5, 1.0)]
    assert (w[1] - w[0]) / 0.5 == pytest.approx(1.0)


def test_estimators_bias_and_spread_at_the_chapters_settings():
    from gmcourse.config import pick
    ns, repeats = pick(smoke=[50, 200], lecture=[50, 200, 800]), pick(smoke=2, lecture=8)
    study = estimator_study(ns, repeats)
    for name, (truth, est) in study.items():
        rel = (est - truth) / truth
        assert rel[-1].std() < rel[0].std() / 2, name  # spread shrinks with n
        if name in ("KL, Monte Carlo", "MMD^2, unbiased"):  # no bias beyond the noise
            assert (np.abs(rel.mean(1)) < 2.5 * rel.std(1) / math.sqrt(repeats)).all(), name
    w1 = (study["W1, exact OT"][1].mean(1) - 1.0)
    assert 0.08 < w1[0] < 0.15 and 0 < w1[-1] < 0.02  # about 10% at n = 50, 1% at n = 800
    truth, est = study["JS, classifier"]
    js = est.mean(1) / truth - 1
    assert 0.4 < js[0] < 0.8 and 0 < js[-1] < 0.05  # about 60%, then a few percent


def test_widget_callbacks_draw_without_a_browser():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gmcourse import figures
    draw = figures.divergence_fit_draw()
    fig = plt.figure()
    draw(fig, separation=4.0, divergence="reverse KL")
    assert "mean (-2.00" in fig.axes[0].get_title() or "mean (2.00" in fig.axes[0].get_title()
    for sep in (3.75, 3.5):  # warm-started updates follow the target
        fig.clf()
        draw(fig, separation=sep, weight=0.7, divergence="KL")
    mean_x = 0.7 * (-sep / 2) + 0.3 * sep / 2  # forward KL: moment matching
    assert f"mean ({mean_x:.2f}" in fig.axes[0].get_title()
    fig.clf()
    figures.draw_parallel_lines(fig, theta=0.5)
    assert "JS 0.693" in fig.axes[1].get_title() and "W1 0.50" in fig.axes[1].get_title()
    plt.close(fig)


def test_the_widgets_coarse_fits_agree_with_the_careful_ones(fits):
    from gmcourse.divfit import LiveFit
    live, p = LiveFit(), ModeDemo().target()
    for name in DIVERGENCES[:-1]:  # W2 uses other samples
        q, _ = live.update(p, name)
        mu, S, _ = fits[name]
        assert abs(q.mu[0, 0].abs().item() - mu[0].abs().item()) < 0.05, name
        assert abs(q.Sigma[0, 0, 0].item() - S[0, 0].item()) < 0.1, name
