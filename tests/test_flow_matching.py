"""Flow matching (chapter 10) and the parameterisation converter, against independent
references: autograd derivatives, Gaussian conditioning, the continuity equation, closed-form
Gaussian densities, brute-force assignments and DDPM's own DDIM sampler."""
import itertools
import math

import pytest
import torch
from torch import nn

from gmcourse import flow_matching as fm
from gmcourse.consistency import ConsistencyModel, consistency_trajectories
from gmcourse import param
from gmcourse.data import GaussianMixture
from gmcourse.diffusion import DDPM, cosine_beta
from gmcourse.nn import MLP, FourierTimeMLP, TimeMLP
from gmcourse.score import MixtureScore, perturbed
from gmcourse.sde import VPSDE

PATHS = {"linear": fm.LinearPath(), "vp": fm.VPPath()}


def _mixture():
    """A 3-component mixture with anisotropic, correlated covariances (not ring-like)."""
    covs = [[[0.3, 0.1], [0.1, 0.2]], [[0.05, -0.02], [-0.02, 0.1]], [[0.5, 0.0], [0.0, 0.02]]]
    return GaussianMixture([[1.0, -0.5], [-1.5, 0.3], [0.2, 1.7]], covs=covs,
                           weights=[0.5, 0.3, 0.2])


def _coeffs(path, t):
    return tuple(c[:, None] for c in path.coeffs(t))  # (B,) -> (B, 1)


@pytest.mark.parametrize("name", PATHS)
def test_path_derivatives_match_autograd(name):
    path = PATHS[name]
    t = torch.linspace(0.02, 0.98, 25, dtype=torch.float64).requires_grad_()
    alpha, sigma, d_alpha, d_sigma = path.coeffs(t)
    assert torch.allclose(torch.autograd.grad(alpha.sum(), t, retain_graph=True)[0], d_alpha)
    assert torch.allclose(torch.autograd.grad(sigma.sum(), t)[0], d_sigma)


def test_vp_path_is_the_vp_sde_run_backwards():
    t = torch.linspace(0.0, 0.99, 12, dtype=torch.float64)
    m, std = VPSDE().marginal(1 - t)
    alpha, sigma, _, _ = fm.VPPath().coeffs(t)
    assert torch.allclose(alpha, m) and torch.allclose(sigma, std)


@pytest.mark.parametrize("name", PATHS)
def test_converter_round_trips_every_pair(name):
    g = torch.Generator().manual_seed(0)
    t = 0.05 + 0.9 * torch.rand(64, generator=g, dtype=torch.float64)
    c = _coeffs(PATHS[name], t)
    xt, value = torch.randn(2, 64, 2, generator=g, dtype=torch.float64)
    for src, dst in itertools.product(param.PARAMETERISATIONS, repeat=2):
        back = param.convert(param.convert(value, xt, c, src, dst), xt, c, dst, src)
        assert torch.allclose(back, value, atol=1e-9), (src, dst)
    with pytest.raises(ValueError):
        param.convert(value, xt, c, "eps", "noise")


def _posterior_mean(p: GaussianMixture, xt, alpha, sigma):
    """E[x | x_t] by Gaussian conditioning per component, weighted by responsibilities:
    x_t | k ~ N(alpha mu_k, alpha^2 S_k + sigma^2 I), E[x | x_t, k] = mu_k + alpha S_k C_k^-1 (x_t - alpha mu_k)."""
    eye = torch.eye(2, dtype=torch.float64)
    C = alpha ** 2 * p.covs + sigma ** 2 * eye  # (K, 2, 2)
    comp = torch.distributions.MultivariateNormal(alpha * p.means, C)
    r = torch.softmax(comp.log_prob(xt[:, None]) + p.weights.log(), -1)  # (n, K)
    diff = xt[:, None] - alpha * p.means  # (n, K, 2)
    mean_k = p.means + alpha * (p.covs @ torch.linalg.solve(C, diff.unsqueeze(-1))).squeeze(-1)
    return (r[..., None] * mean_k).sum(1)


@pytest.mark.parametrize("name", PATHS)
def test_exact_score_converts_to_the_exact_posterior_mean_and_noise(name):
    p, path = _mixture(), PATHS[name]
    s = MixtureScore(p)
    g = torch.Generator().manual_seed(1)
    for t in (0.2, 0.5, 0.8, 0.95):
        c = path.coeffs(torch.tensor(t, dtype=torch.float64))
        alpha, sigma = float(c[0]), float(c[1])
        xt = perturbed(p, sigma, alpha).sample(200, generator=g).double()
        score = s(xt, sigma, alpha)
        x_hat = _posterior_mean(p, xt, alpha, sigma)
        assert torch.allclose(param.convert(score, xt, c, "score", "x"), x_hat, atol=1e-8)
        eps_from_x = param.convert(x_hat, xt, c, "x", "eps")
        assert torch.allclose(param.convert(score, xt, c, "score", "eps"), eps_from_x, atol=1e-8)
        v_from_x = param.convert(x_hat, xt, c, "x", "v")
        assert torch.allclose(param.convert(eps_from_x, xt, c, "eps", "v"), v_from_x, atol=1e-8)


@pytest.mark.parametrize("name", PATHS)
def test_velocity_from_the_exact_score_solves_the_continuity_equation(name):
    """d/dt log p_t(x) = -div v - v . grad log p_t: the converted velocity moves the exact
    marginals p_t (log p_t from the perturbed mixture, d/dt by central differences)."""
    p, path = _mixture(), PATHS[name]
    s = MixtureScore(p)
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    for t in (0.3, 0.7, 0.9):
        def log_p(t):
            alpha, sigma, _, _ = path.coeffs(torch.tensor(t, dtype=torch.float64))
            return perturbed(p, float(sigma), float(alpha)).log_prob(x)
        h = 1e-5
        dlogp_dt = (log_p(t + h) - log_p(t - h)) / (2 * h)
        c = path.coeffs(torch.tensor(t, dtype=torch.float64))
        xg = x.clone().requires_grad_()
        score = s(xg, float(c[1]), float(c[0]))
        v = param.convert(score, xg, c, "score", "v")
        div = sum(torch.autograd.grad(v[:, i].sum(), xg, retain_graph=True)[0][:, i] for i in range(2))
        residual = dlogp_dt + div + (v * score).sum(1)
        assert residual.abs().max() < 1e-4 * (1 + dlogp_dt.abs().max())


def test_ddim_eta0_is_euler_on_the_linear_path():
    """DDIM (eta = 0) of chapter 07 = Euler steps of dy/dtau = x_hat - eps_hat in the linear
    path's coordinates y = x_t / (alpha + sigma), tau = alpha / (alpha + sigma)."""
    class EpsNet(MLP):  # a random eps_theta(x_t, t) that runs in float64
        def forward(self, x, t):
            return super().forward(torch.cat([x, t[:, None].to(x) / 100], 1))

    torch.manual_seed(0)
    ddpm = DDPM(EpsNet(3, 2, 64, 2), cosine_beta(100)).double()
    x_T = torch.randn(256, 2, dtype=torch.float64)
    steps = 10
    x_ddim = ddpm.ddim_sample(256, steps, eta=0.0, x_T=x_T)

    lin = fm.LinearPath()
    tau_ddpm = [1 + i * ddpm.T // steps for i in range(steps)][::-1] + [0]  # DDIM's timesteps
    coeffs = [(ddpm.alpha_bar[k].double().sqrt(), ddpm.one_minus_alpha_bar[k].double().sqrt())
              for k in tau_ddpm]
    y = param.to_linear(x_T, (*coeffs[0], None, None))[1]
    with torch.no_grad():
        for k, (t, (a, s), (a2, s2)) in enumerate(zip(tau_ddpm, coeffs, coeffs[1:])):
            tau, tau_next = a / (a + s), a2 / (a2 + s2)

            def v(y, tau, t=t, a=a, s=s):  # the linear path's velocity from the eps-network
                eps = ddpm.eps_theta(y * (a + s), t)
                return param.convert(eps, y, lin.coeffs(tau), "eps", "v")
            y = fm.euler(v, y, tau, tau_next - tau)
    x_euler = y * (coeffs[-1][0] + coeffs[-1][1])
    assert torch.allclose(x_euler, x_ddim, atol=1e-10, rtol=0)


def test_hutchinson_agrees_with_the_exact_trace_within_its_standard_error():
    torch.manual_seed(0)
    net, A = TimeMLP(2, 32, 2), torch.tensor([[0.5, 2.0], [-1.0, 0.3]])
    v = lambda x: x @ A.T + 5 * net(x.sin(), torch.full((len(x),), 300.0))  # noqa: E731
    x = torch.randn(20, 2)
    _, exact = fm.exact_div(v, x)
    draws = torch.stack([fm.hutchinson_div(v, x)[1] for _ in range(400)])  # (400, 20)
    mean, se = draws.mean(0), draws.std(0) / 20
    z = (mean - exact) / se
    assert (z.abs() < 2).float().mean() >= 0.8 and z.abs().max() < 4
    assert (draws.std(0) > 0.1).all()  # the estimator is noisy in 2D: the test is not trivial


class GaussianVelocity(nn.Module):
    """The exact marginal velocity of the linear path when p1 = N(mu, s^2 I): p_t is
    N(m_t, s_t^2 I) with m_t = t mu, s_t^2 = t^2 s^2 + (1 - t)^2, and the map
    x -> m_t + s_t z moves it with v = m_t' + (s_t' / s_t)(x - m_t) ([FM] Theorem 3)."""

    def __init__(self, mu, s):
        super().__init__()
        self.mu, self.s = torch.tensor(mu), s
        self.dummy = nn.Parameter(torch.zeros(()))  # FlowMatching reads its device

    def forward(self, x, t):
        t = (t / 1000.0)[:, None]
        var = t ** 2 * self.s ** 2 + (1 - t) ** 2
        return self.mu + (t * self.s ** 2 - (1 - t)) / var * (x - t * self.mu)


@pytest.mark.parametrize("div", [fm.exact_div, fm.hutchinson_div])
def test_log_prob_of_the_ode_matches_a_gaussian(div):
    mu, s = [1.0, -2.0], 0.5
    model = fm.FlowMatching(GaussianVelocity(mu, s)).double()
    x = torch.tensor(mu) + s * torch.randn(50, 2)
    exact = torch.distributions.Normal(torch.tensor(mu), s).log_prob(x).sum(1)
    torch.manual_seed(0)
    if div is fm.exact_div:
        lp = model.log_prob(x.double(), steps=200, div=div)
        assert torch.allclose(lp.float(), exact, atol=2e-3)
    else:  # unbiased: the mean over 20 estimates, within a few standard errors
        lps = torch.stack([model.log_prob(x.double(), steps=50, div=div) for _ in range(20)])
        err = lps.mean(0).float() - exact
        assert err.abs().mean() < 3 * (lps.std(0).mean() / 20 ** 0.5) + 5e-3
    # and the flow's samples have the right mean and spread (Heun, 50 steps)
    y = model.sample(4000, 50, fm.heun)
    assert torch.allclose(y.mean(0).float(), torch.tensor(mu), atol=0.05)
    assert torch.allclose(y.std(0).float(), torch.tensor([s, s]), atol=0.03)


def test_ot_coupling_is_the_cheapest_pairing():
    g = torch.Generator().manual_seed(3)
    x0, x1 = torch.randn(2, 6, 2, generator=g)
    y0, y1 = fm.ot_coupling(x0, x1)
    assert torch.equal(y1, x1) and torch.equal(y0.sort(0).values, x0.sort(0).values)
    cost = lambda a: (a - x1).pow(2).sum().item()  # noqa: E731
    best = min(cost(x0[list(perm)]) for perm in itertools.permutations(range(6)))
    assert cost(y0) == pytest.approx(best)
    assert cost(x0) > best  # the drawn pairing was not already optimal


def test_solver_orders_on_a_linear_ode():
    """dx/dt = -2 x t: x(1) = x(0) e^{-1}; Euler's error halves with the step, midpoint's and
    Heun's fall fourfold."""
    v = lambda x, t: -2 * x * t  # noqa: E731
    exact = math.exp(-1)
    for solver, order in [(fm.euler, 1), (fm.midpoint, 2), (fm.heun, 2)]:
        errs = []
        for steps in (20, 40):
            x = torch.ones(1, dtype=torch.float64)
            for k in range(steps):
                x = solver(v, x, k / steps, 1 / steps)
            errs.append(abs(x.item() - exact))
        assert errs[0] / errs[1] == pytest.approx(2 ** order, rel=0.15)


def test_flow_matching_loss_targets_the_conditional_velocity():
    """With v_theta returning exactly u_t = x1 - x0 given the pair, the loss is 0 (checked
    by a network that cheats: it reads the pair from a closure)."""
    torch.manual_seed(0)
    x0, x1 = torch.randn(2, 128, 2)

    class Cheat(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def forward(self, x, t):
            return x1 - x0 + 0 * self.w

    model = fm.FlowMatching(Cheat())
    assert model.pair_loss(x0, x1).item() < 1e-12
    assert fm.Reflow(Cheat()).loss(x0, x1).item() < 1e-12
    assert model.pair_loss(x0, x1.flip(0)).item() > 0.1


def test_consistency_model_meets_its_boundary_and_learns_the_teachers_end_points():
    """f(x, 1) = x by construction; the trajectories are the teacher's ODE solutions (their
    last point is the teacher's sample from their first); the loss is 0 for a student that
    returns every trajectory's end point and positive for one that does not."""
    torch.manual_seed(0)
    teacher = fm.FlowMatching(FourierTimeMLP(2, 32, 2))
    cm = ConsistencyModel(FourierTimeMLP(2, 32, 2), teacher, N=10)
    x = torch.randn(64, 2)
    assert torch.equal(cm.f(x, 1.0), x)
    traj = consistency_trajectories(teacher, 64, N=10, substeps=3)
    assert traj.shape == (64, 10, 2)
    end = teacher.sample(64, 27, fm.midpoint, x0=traj[:, 0], times=torch.linspace(0, 1, 28))
    assert torch.allclose(traj[:, -1], end, atol=1e-6)
    assert cm.loss(traj).item() > 0
    with torch.no_grad():  # a student whose f is exact on these trajectories
        cm.f = lambda xt, t: traj[:, -1]
    assert cm.loss(traj).item() == 0
    assert ConsistencyModel(FourierTimeMLP(2, 32, 2), teacher).sample(16, 2).shape == (16, 2)
    assert "teacher" not in "".join(cm.state_dict())  # the teacher is not part of the student


def test_distillation_is_the_reflow_objective_at_t_0():
    """Reflow(distill=True): |v(x0, 0) - (x1 - x0)|^2 with the network read at time 0 only,
    computed here from the network directly; the plain reflow's loss varies with its t."""
    torch.manual_seed(0)
    net = FourierTimeMLP(2, 32, 2)
    x0, x1 = torch.randn(2, 256, 2)
    with torch.no_grad():
        expected = (net(x0, torch.zeros(256)) - (x1 - x0)).pow(2).mean()
        assert torch.allclose(fm.Reflow(net, distill=True).loss(x0, x1), expected)
        plain = fm.Reflow(net)
        assert abs(plain.loss(x0, x1) - plain.loss(x0, x1)) > 1e-6


def test_consistency_loss_weighs_each_time_by_one_over_one_minus_t_squared():
    """The velocity-weighted loss is mean |f(x_tn, t_n) - x1|^2 / (1 - t_n)^2 at the random
    n it draws, i.e. |F - (x1 - x_tn) / (1 - t_n)|^2; unweighted it is mean |f - x1|^2.
    Recomputed here from the network and f = x_t + (1 - t) F, with the same n."""
    torch.manual_seed(0)
    teacher = fm.FlowMatching(FourierTimeMLP(2, 32, 2))
    net, N = FourierTimeMLP(2, 32, 2), 10
    traj = torch.randn(128, N, 2)
    for weighted in (True, False):
        cm = ConsistencyModel(net, teacher, N, velocity_weighted=weighted)
        torch.manual_seed(1)
        loss = cm.loss(traj)
        torch.manual_seed(1)
        n = torch.randint(0, N - 1, (128,))
        t = n.float() / (N - 1)
        xt = traj[torch.arange(128), n]
        with torch.no_grad():
            F_ = net(xt, t * teacher.time_scale)
            target = (traj[:, -1] - xt) / (1 - t)[:, None]  # the mean velocity to the end
            expected = ((F_ - target).pow(2) if weighted else
                        ((1 - t)[:, None] * (F_ - target)).pow(2)).mean()
        assert torch.allclose(loss, expected, rtol=1e-5), weighted
