"""The SDE view of score-based models and diffusion (chapter 08).

Symbols
    dx = f(x, t) dt + g(t) dw, t in [0, 1]   a forward SDE (VE or VP)
    x_t = m(t) x_0 + std(t) z                its transition kernel p_0t(x_t | x_0)
    s(x, t) = grad_x log p_t(x)              the score of the marginal p_t
    dx = [f - g^2 s] dt + g dw_bar           the reverse-time SDE (t from 1 to 0)
    dx/dt = f(x, t) - 1/2 g(t)^2 s(x, t)     the probability-flow ODE

Song et al. 2021, "Score-based generative modeling through stochastic differential
equations"; equation numbers are theirs.
"""
from __future__ import annotations

import math

import torch

from .data import GaussianMixture
from .dists import standard_normal_log_prob
from .score import MixtureScore


class VESDE:
    """Variance exploding: dx = sqrt(d[sigma^2]/dt) dw, sigma(t) = s_min (s_max/s_min)^t.

    Its kernel is x_t = x_0 + sigma(t) z: NCSN's noise levels, made continuous (Eq. 30).
    """

    def __init__(self, sigma_min: float = 0.01, sigma_max: float = 10.0):
        self.sigma_min, self.sigma_max = sigma_min, sigma_max

    def marginal(self, t):
        """(m(t), std(t)) of x_t = m x_0 + std z."""
        return torch.ones_like(t), self.sigma_min * (self.sigma_max / self.sigma_min) ** t

    def f(self, x, t):
        return torch.zeros_like(x)

    def g(self, t):
        return self.marginal(t)[1] * math.sqrt(2 * math.log(self.sigma_max / self.sigma_min))

    def prior(self, n, shape=(2,), generator=None):
        return self.sigma_max * torch.randn(n, *shape, generator=generator)

    def prior_log_prob(self, x):
        return _normal_log_prob(x, self.sigma_max)


class VPSDE:
    """Variance preserving: dx = -1/2 beta(t) x dt + sqrt(beta(t)) dw, beta linear in t.

    m(t) = exp(-1/2 int_0^t beta) (Eq. 33), std(t) = sqrt(1 - m^2): DDPM's continuous
    limit, with alpha_bar = m(t)^2 and eps_theta = -std(t) s_theta (so epsilon-prediction
    is a scaled score).
    """

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        self.beta_min, self.beta_max = beta_min, beta_max

    def beta(self, t):
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def marginal(self, t):
        log_m = -0.25 * t ** 2 * (self.beta_max - self.beta_min) - 0.5 * t * self.beta_min
        return log_m.exp(), (1 - (2 * log_m).exp()).sqrt()

    def f(self, x, t):
        return -0.5 * self.beta(t) * x

    def g(self, t):
        return self.beta(t).sqrt()

    def prior(self, n, shape=(2,), generator=None):
        return torch.randn(n, *shape, generator=generator)

    def prior_log_prob(self, x):
        return _normal_log_prob(x, 1.0)


def _normal_log_prob(x, std: float):
    """log N(x; 0, std^2 I), summed per example."""
    return (standard_normal_log_prob(x / std) - math.log(std)).flatten(1).sum(1)


def marginal_score(p: GaussianMixture, sde):
    """The exact s(x, t) = grad log p_t(x) when p_0 is a Gaussian mixture."""
    s = MixtureScore(p)

    def score(x, t):
        m, std = sde.marginal(torch.as_tensor(t, dtype=torch.float64))
        return s(x, float(std), float(m))
    return score


@torch.no_grad()
def reverse_sde(sde, score, x, steps: int, t_min: float = 1e-3, generator=None, path=None):
    """Euler-Maruyama for the reverse SDE dx = [f - g^2 s(x, t)] dt + g dw_bar, t: 1 -> t_min
    (Song et al. 2021, Eq. 6; Anderson 1982)."""
    ts = torch.linspace(1.0, t_min, steps + 1, dtype=torch.float64)
    for t, t_next in zip(ts[:-1], ts[1:]):
        dt, g = float(t_next - t), float(sde.g(t))  # dt < 0
        z = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        x = x + (sde.f(x, float(t)) - g ** 2 * score(x, t)) * dt + g * math.sqrt(-dt) * z  # Eq. (6)
        if path is not None:
            path.append(x.clone())
    return x


@torch.no_grad()
def probability_flow(sde, score, x, steps: int, t_min: float = 1e-3, path=None):
    """Heun's method for dx/dt = f(x, t) - 1/2 g(t)^2 s(x, t), t: 1 -> t_min (Eq. 13).

    Deterministic: each x(1) maps to one x(t_min), with the same marginals p_t as the SDE.
    """
    def v(x, t):
        return sde.f(x, float(t)) - 0.5 * float(sde.g(t)) ** 2 * score(x, t)  # Eq. (13)

    ts = torch.linspace(1.0, t_min, steps + 1, dtype=torch.float64)
    for t, t_next in zip(ts[:-1], ts[1:]):
        dt = float(t_next - t)
        d1 = v(x, t)
        x_euler = x + d1 * dt
        x = x + 0.5 * (d1 + v(x_euler, t_next)) * dt  # trapezoid: second order
        if path is not None:
            path.append(x.clone())
    return x


def ode_log_prob(sde, score, x, steps: int = 100, t_min: float = 1e-3, prior_log_prob=None):
    """log p_{t_min}(x) through the probability-flow ODE (Song et al. 2021, Appendix D.2):
    d log p(x(t))/dt = -div v(x(t), t), so log p_{t_min}(x) = log p_1(x(1)) + int div v dt,
    integrated forward from t_min to 1 with Heun's method. log p_1 is the SDE's prior unless
    ``prior_log_prob`` is given. The divergence is exact (one autograd pass per dimension):
    for 2D; images would use Hutchinson's estimator."""
    def v_and_div(x, t):
        with torch.enable_grad():
            x = x.detach().requires_grad_()
            v = sde.f(x, float(t)) - 0.5 * float(sde.g(t)) ** 2 * score(x, t)  # Eq. (13)
            div = sum(torch.autograd.grad(v[:, i].sum(), x, retain_graph=True)[0][:, i]
                      for i in range(x.shape[1]))
        return v.detach(), div.detach()

    ts = torch.linspace(t_min, 1.0, steps + 1, dtype=torch.float64)
    delta = torch.zeros(len(x), dtype=x.dtype)
    for t, t_next in zip(ts[:-1], ts[1:]):
        dt = float(t_next - t)
        v1, d1 = v_and_div(x, t)
        v2, d2 = v_and_div(x + v1 * dt, t_next)
        x, delta = x + 0.5 * (v1 + v2) * dt, delta + 0.5 * (d1 + d2) * dt
    return (prior_log_prob or sde.prior_log_prob)(x) + delta
