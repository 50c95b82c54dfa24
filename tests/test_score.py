"""gmcourse.score against independent references: autograd, closed-form Gaussians, ODEs."""
import math

import pytest
import torch

from gmcourse.config import set_threads
from gmcourse.data import GaussianMixture
from gmcourse.score import (NCSN, Fig3Config, MixtureScore, annealed_langevin,
                            fig3, geometric_sigmas, langevin, mode_weights, perturbed, two_modes)
from gmcourse.sde import VESDE, VPSDE, marginal_score, ode_log_prob, probability_flow, reverse_sde

set_threads()


def random_mixture(seed, K=3):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(K, 2, 2, generator=g, dtype=torch.float64)
    covs = A @ A.transpose(1, 2) + 0.3 * torch.eye(2, dtype=torch.float64)
    return GaussianMixture(3 * torch.randn(K, 2, generator=g, dtype=torch.float64), covs,
                           torch.rand(K, generator=g, dtype=torch.float64) + 0.1)


@pytest.mark.parametrize("sigma,scale", [(0.0, 1.0), (0.5, 1.0), (2.0, 0.7)])
def test_mixture_score_is_the_gradient_of_log_prob(sigma, scale):
    p = random_mixture(0)
    x = (4 * torch.randn(50, 2, dtype=torch.float64)).requires_grad_()
    q = perturbed(p, sigma, scale)
    ref, = torch.autograd.grad(q.log_prob(x).sum(), x)
    assert torch.allclose(MixtureScore(p)(x.detach(), sigma, scale), ref, atol=1e-9)
    if sigma == 0:
        assert torch.allclose(p.score(x.detach()), ref, atol=1e-9)


def test_perturbed_mixture_is_the_law_of_scaled_plus_noise():
    p, g = random_mixture(1), torch.Generator().manual_seed(0)
    x = 0.7 * p.sample(200_000, g).double() + 2.0 * torch.randn(200_000, 2, generator=g,
                                                                dtype=torch.float64)
    q = perturbed(p, 2.0, 0.7)
    mean = (q.weights[:, None] * q.means).sum(0)
    assert torch.allclose(x.mean(0), mean, atol=0.03)
    second = (q.weights[:, None, None] * (q.covs + q.means[:, :, None] * q.means[:, None])).sum(0)
    assert torch.allclose(x.T @ x / len(x), second, rtol=0.02)


def test_langevin_with_a_gaussians_exact_score_reaches_its_mean_and_variance():
    mu = torch.tensor([1.0, -2.0], dtype=torch.float64)
    Sigma = torch.tensor([[2.0, 0.6], [0.6, 0.5]], dtype=torch.float64)
    P = torch.linalg.inv(Sigma)
    g, eps = torch.Generator().manual_seed(0), 0.02
    x0 = torch.full((10_000, 2), 6.0, dtype=torch.float64)  # far from the mean
    x = langevin(lambda x: (mu - x) @ P, x0, eps=eps, steps=3000, generator=g)
    assert torch.allclose(x.mean(0), mu, atol=0.03)
    # a finite step leaves a known bias: x' - mu = A (x - mu) + sqrt(eps) z, A = I - eps P / 2,
    # whose fixed point V = A V A + eps I is V = eps (I - A^2)^{-1}; it tends to Sigma as eps -> 0
    A = torch.eye(2, dtype=torch.float64) - eps / 2 * P
    V = eps * torch.linalg.inv(torch.eye(2, dtype=torch.float64) - A @ A)
    assert torch.allclose(V, Sigma, rtol=0.03, atol=0.01)
    assert torch.allclose(torch.cov(x.T), V, rtol=0.04, atol=0.02)


def test_annealed_langevin_recovers_the_weights_and_plain_langevin_does_not():
    """NCSN Figure 3 at the chapter's settings: weights 0.2 / 0.8."""
    p = two_modes()
    r = fig3(Fig3Config(), seed=0)
    annealed, plain = mode_weights(r["annealed"], p), mode_weights(r["plain"], p)
    assert (annealed - p.weights).abs().max() < 0.05
    assert (plain - 0.5).abs().max() < 0.05  # the 50/50 split of the uniform start
    assert (mode_weights(r["start"], p) - 0.5).abs().max() < 0.05
    # the density between the modes is about e^-25 times that at a mode
    lp = p.log_prob(torch.tensor([[0.0, 0.0], [5.0, 5.0]]))
    assert abs((lp[0] - lp[1]).item() + 25) < 0.3


def test_geometric_sigmas():
    s = geometric_sigmas(20.0, 1.0, 10)
    assert s[0] == pytest.approx(20) and s[-1] == pytest.approx(1) and len(s) == 10
    assert torch.allclose(s[1:] / s[:-1], (s[1] / s[0]).expand(9))


def test_vp_marginal_matches_the_moment_odes():
    """d mean/dt = -beta/2 mean, d var/dt = -beta var + beta, integrated numerically."""
    sde, n = VPSDE(), 100_000
    t = torch.linspace(0, 1, n + 1, dtype=torch.float64)
    beta = sde.beta(t)
    dt = 1.0 / n
    log_m = -0.5 * torch.cumsum((beta[1:] + beta[:-1]) / 2 * dt, 0)  # trapezoid
    m, std = sde.marginal(t[1:])
    assert torch.allclose(m, log_m.exp(), rtol=1e-6)
    var = torch.zeros(())  # from x_0 fixed: var(0) = 0
    for i in range(0, n, 100):  # coarser Euler steps on the variance ODE
        b = sde.beta(t[i] + 50 * dt)
        var = var + (-b * var + b) * 100 * dt
    assert std[-1] ** 2 == pytest.approx(var.item(), rel=1e-3)


def test_ve_marginal_variance_is_the_integral_of_g_squared():
    sde = VESDE(0.01, 10.0)
    t = torch.linspace(0, 1, 100_001, dtype=torch.float64)
    g2 = sde.g(t) ** 2
    integral = torch.cumsum((g2[1:] + g2[:-1]) / 2 * 1e-5, 0)
    _, std = sde.marginal(t[1:])
    assert torch.allclose(std ** 2 - sde.sigma_min ** 2, integral, rtol=1e-4)


@pytest.mark.parametrize("sde", [VPSDE(), VESDE(0.01, 100.0)], ids=["VP", "VE"])
def test_sde_and_probability_flow_with_exact_scores_sample_the_mixture(sde):
    p, g = two_modes(), torch.Generator().manual_seed(0)
    score = marginal_score(p, sde)
    xT = sde.prior(4000, generator=g).double()
    for x in (probability_flow(sde, score, xT, steps=200),
              reverse_sde(sde, score, xT, steps=500, generator=g)):
        w = mode_weights(x, p)
        assert (w - p.weights).abs().max() < 0.03
        k = p.component(x)
        for j in range(2):  # each mode is N(mu_j, I), up to the sigma(t_min) left over
            assert torch.allclose(x[k == j].mean(0), p.means[j], atol=0.1)
            assert torch.allclose(x[k == j].var(0), torch.ones(2, dtype=torch.float64), rtol=0.1)
    # the ODE is deterministic: the same x(1) gives the same x(0)
    assert torch.equal(probability_flow(sde, score, xT[:5], 20),
                       probability_flow(sde, score, xT[:5], 20))


class ExactNet(torch.nn.Module):
    """sigma * grad log N(x; 0, (1 + sigma^2) I), the true score of N(0, I) data perturbed
    by sigma, in NCSN's parametrisation: the net sees x_in = x / sqrt(1 + sigma^2)."""

    def __init__(self, factor=1.0):
        super().__init__()
        self.factor = factor

    def forward(self, x, log_sigma):
        sigma = log_sigma.exp()[:, None]
        return -self.factor * sigma * x / (1 + sigma ** 2).sqrt()


def test_dsm_loss_with_the_true_score_has_its_closed_form_value():
    """With s = true score, sigma s + z = (z - sigma x)/(1 + sigma^2), so the loss is
    E_sigma d / (2 (1 + sigma^2)), sigma log-uniform."""
    model = NCSN(ExactNet(), geometric_sigmas(5.0, 0.1, 5))
    torch.manual_seed(0)
    loss = model.loss(torch.randn(400_000, 2)).item()
    u = torch.linspace(math.log(0.1), math.log(5.0), 100_001, dtype=torch.float64)
    expected = (2 / (2 * (1 + (2 * u).exp()))).mean().item()
    assert loss == pytest.approx(expected, rel=0.01)
    model.net = ExactNet(1.5)  # a wrong score scores worse
    assert model.loss(torch.randn(400_000, 2)).item() > 1.1 * expected


def test_ncsn_learns_the_two_mode_score_and_samples_its_weights():
    """At the chapter's settings (recipes.NCSN_TWO_MODES)."""
    from gmcourse import recipes
    p = two_modes()
    model = recipes.trained(recipes.NCSN_TWO_MODES, profile="lecture")  # as test_why_noise
    x = p.sample(2000, torch.Generator().manual_seed(1))
    for sigma in (1.0, 3.0, 10.0):
        xs = x + sigma * torch.randn(x.shape, generator=torch.Generator().manual_seed(2))
        true = MixtureScore(p)(xs, sigma)
        with torch.no_grad():
            err = (model.score(xs, sigma) - true).norm(dim=-1).mean() / true.norm(dim=-1).mean()
        assert err < 0.2, (sigma, err)
    samples = model.sample(2000, generator=torch.Generator().manual_seed(3))
    assert (mode_weights(samples, p) - p.weights).abs().max() < 0.07


def test_digits_ncsn_gives_images_in_the_unit_interval(tmp_path, monkeypatch):
    from gmcourse import checkpoint
    from gmcourse import recipes
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", tmp_path)
    monkeypatch.setattr(checkpoint, "SHIPPED_DIR", tmp_path / "none")
    model = recipes.trained(recipes.NCSN_DIGITS, steps=20)
    x = model.sample(6)
    assert x.shape == (6, 1, 8, 8) and x.min() >= 0 and x.max() <= 1 and not model.training
    again = recipes.trained(recipes.NCSN_DIGITS, steps=20)  # loaded from the checkpoint
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))


def test_sigma_max_of_digits_is_just_above_their_largest_distance():
    from gmcourse.data import load_images
    from gmcourse.recipes import NCSN_DIGITS
    x = load_images("digits", "train").flatten(1)
    d = torch.cdist(x, x).max().item()
    assert d == pytest.approx(4.8, abs=0.05) and d < NCSN_DIGITS.config.sigma_max < 1.1 * d


def test_ode_log_likelihood_matches_the_exact_density():
    """The instantaneous change of variables against the closed-form p_{t_min}."""
    p, sde, t_min = two_modes(), VPSDE(), 1e-3
    x = p.sample(20, torch.Generator().manual_seed(0)).double()
    x[-1] = torch.tensor([0.0, 0.0])  # and a point far from the data
    marginal = [perturbed(p, float(std), float(m)) for m, std in
                [sde.marginal(torch.tensor(t, dtype=torch.float64)) for t in (t_min, 1.0)]]
    exact = marginal[0].log_prob(x)
    est = ode_log_prob(sde, marginal_score(p, sde), x, steps=100, t_min=t_min,
                       prior_log_prob=marginal[1].log_prob)
    assert torch.allclose(est, exact, atol=5e-3), (est - exact).abs().max()
    # with the N(0, I) prior, only p_1's small offset from it is left (m(1) mu = 0.03)
    est = ode_log_prob(sde, marginal_score(p, sde), x, steps=100, t_min=t_min)
    assert torch.allclose(est, exact, atol=0.06)
