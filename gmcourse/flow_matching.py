"""Flow matching and rectified flow (chapter 10); consistency models: consistency.py.

Symbols (the flow-matching convention: t = 0 is the source, t = 1 the data)
    x0 ~ p0, x1 ~ p1        source (N(0, I) unless given) and data
    x_t = alpha_t x1 + sigma_t x0      a probability path, conditional on the pair (x0, x1)
    u_t = alpha'_t x1 + sigma'_t x0    the conditional velocity d x_t / dt
    v_theta(x, t)           the network, regressed on u_t; its optimum is the marginal
                            velocity u_t(x) = E[u_t | x_t = x]
    pi(x0, x1)              the coupling of source and data: independent or minibatch OT
    div v = tr dv/dx        the divergence; d log p_t(x_t) / dt = -div v(x_t, t)

[FM] Lipman et al. 2023, "Flow matching for generative modeling"; [RF] Liu, Gong and Liu
2023, "Flow straight and fast" (rectified flow, reflow); [OT] Tong et al. 2024, "Improving
and generalizing flow-based generative models with minibatch optimal transport"; [FFJORD]
Grathwohl et al. 2019. eps, x, score: param.py.
"""
from __future__ import annotations

import math

import numpy as np
import ot
import torch
import torch.nn.functional as F
from torch import nn

# --- probability paths: x_t = alpha_t x1 + sigma_t x0 ----------------------------------


class LinearPath:
    """alpha_t = t, sigma_t = 1 - t: straight lines from x0 to x1, u_t = x1 - x0 [RF Eq. 1]
    (the optimal-transport path of [FM] Eq. 20 with sigma_min = 0)."""
    t_end = 1.0

    def coeffs(self, t):
        """(alpha_t, sigma_t, alpha'_t, sigma'_t) for a tensor t."""
        return t, 1 - t, torch.ones_like(t), -torch.ones_like(t)


class VPPath:
    """The variance-preserving path of DDPM and the VP SDE with time reversed ([FM] Eq. 19):
    alpha_t = m(1 - t), sigma_t = sqrt(1 - alpha_t^2), m(s) = exp(-1/2 int_0^s beta).
    sigma'_t diverges at t = 1, so sampling stops at t_end."""
    t_end = 1 - 1e-3

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        self.beta_min, self.beta_max = beta_min, beta_max

    def coeffs(self, t):
        s = 1 - t
        beta = self.beta_min + s * (self.beta_max - self.beta_min)
        alpha = torch.exp(-0.25 * s ** 2 * (self.beta_max - self.beta_min) - 0.5 * s * self.beta_min)
        sigma = (1 - alpha ** 2).sqrt()
        return alpha, sigma, 0.5 * beta * alpha, -0.5 * beta * alpha ** 2 / sigma  # d/dt = -d/ds


def _view(t, x):  # (B,) -> (B, 1, ..., 1)
    return t.view(-1, *[1] * (x.dim() - 1))


# --- couplings pi(x0, x1) of a minibatch ---------------------------------------------

def independent(x0, x1):
    """pi = p0 x p1: the pairs as drawn."""
    return x0, x1


def ot_coupling(x0, x1):
    """Minibatch optimal transport [OT Eq. 11]: re-pair the batch to minimise
    sum |x0 - x1|^2 (an exact assignment by POT's network simplex)."""
    a, b = (x.detach().flatten(1).double().cpu().numpy() for x in (x0, x1))
    w = np.full(len(a), 1 / len(a))
    plan = ot.emd(w, w, ot.dist(a, b))  # (n, n): a permutation matrix / n
    return x0[torch.as_tensor(plan.argmax(0), device=x0.device)], x1


# --- ODE solvers: one step from t to t + dt of dx/dt = v(x, t) -------------------------

def euler(v, x, t, dt):
    return x + dt * v(x, t)


def midpoint(v, x, t, dt):
    return x + dt * v(x + dt / 2 * v(x, t), t + dt / 2)


def heun(v, x, t, dt):
    d1 = v(x, t)
    return x + dt / 2 * (d1 + v(x + dt * d1, t + dt))  # trapezoid with an Euler predictor


SOLVERS = {"Euler": euler, "midpoint": midpoint, "Heun": heun}
CALLS = {euler: 1, midpoint: 2, heun: 2}  # network calls per step

# --- divergence of v, for the log-density along the ODE ---------------------------------

def exact_div(v, x):
    """tr dv/dx exactly: one backward pass per dimension (fine in 2D)."""
    with torch.enable_grad():  # also inside no_grad: the divergence needs the graph
        x = x.detach().requires_grad_()
        out = v(x)
        flat = out.flatten(1)  # (B, D); D backward passes, one per output coordinate
        div = sum(torch.autograd.grad(flat[:, i].sum(), x, retain_graph=True)[0].flatten(1)[:, i]
                  for i in range(flat.shape[1]))
    return out.detach(), div.detach()


def hutchinson_div(v, x, z=None):
    """tr dv/dx ~ z^T (dv/dx) z with E[z z^T] = I [FFJORD Eq. 8]: one backward pass, unbiased.
    z: Rademacher noise of x's shape unless given."""
    z = torch.randint(0, 2, x.shape, device=x.device).to(x) * 2 - 1 if z is None else z
    with torch.enable_grad():
        x = x.detach().requires_grad_()
        out = v(x)
        vjp = torch.autograd.grad((out * z).sum(), x)[0]  # z^T dv/dx
    return out.detach(), (vjp * z).flatten(1).sum(1).detach()


class FlowMatching(nn.Module):
    """Conditional flow matching around a network ``velocity(x, t[, y]) -> v``.

    path: LinearPath() or VPPath(); coupling: independent or ot_coupling; source: a
    distribution with sample(n) and log_prob (None: N(0, I)). With ``n_classes`` > 0 the
    model is conditional with label dropout, so ``w`` gives classifier-free guidance.
    The network sees t * time_scale: the course's sinusoidal embeddings expect 0..1000.
    """

    def __init__(self, velocity: nn.Module, path=None, shape=(2,), coupling=independent,
                 source=None, n_classes: int = 0, p_uncond: float = 0.1,
                 time_scale: float = 1000.0):
        super().__init__()
        self.velocity, self.path, self.shape = velocity, path or LinearPath(), tuple(shape)
        self.coupling, self.source, self.time_scale = coupling, source, time_scale
        self.n_classes, self.p_uncond = n_classes, p_uncond

    @property
    def device(self):
        return next(self.parameters()).device

    def to_model(self, x):  # data space <-> the space the flow runs in (images override)
        return x

    def to_data(self, x):
        return x

    def source_sample(self, n):
        if self.source is None:
            return torch.randn(n, *self.shape, device=self.device)
        return self.source.sample(n).to(self.device)

    def source_log_prob(self, x):
        if self.source is None:
            return -0.5 * x.pow(2).flatten(1).sum(1) - 0.5 * x[0].numel() * math.log(2 * math.pi)
        return self.source.log_prob(x)

    def v(self, x, t, y=None, w: float = 0.0):
        """v_theta(x, t); with labels and w != 0 the guided (1 + w) v(x, y) - w v(x, null)."""
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device).expand(len(x)) * self.time_scale
        if not self.n_classes:
            return self.velocity(x, t)
        if y is None or w == 0:
            return self.velocity(x, t, y)
        null = torch.full_like(y, self.n_classes)
        v_c, v_u = self.velocity(torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, null])).chunk(2)
        return (1 + w) * v_c - w * v_u  # guidance, as for eps [CFG] Eq. (6): v is affine in eps

    def pair_loss(self, x0, x1, y=None, t=None):
        """E_{t, (x0, x1) ~ pi} |v_theta(x_t, t) - u_t(x_t | x0, x1)|^2  [FM Eq. 23];
        t ~ U(0, t_end) unless given."""
        t = torch.rand(len(x1), device=x1.device) * self.path.t_end if t is None else t
        alpha, sigma, d_alpha, d_sigma = (_view(c, x1) for c in self.path.coeffs(t))
        xt = alpha * x1 + sigma * x0  # a point of the conditional path
        u = d_alpha * x1 + d_sigma * x0  # its velocity
        return F.mse_loss(self.v(xt, t, y), u)

    def loss(self, x1, y=None):
        x1 = self.to_model(x1)
        x0, x1 = self.coupling(self.source_sample(len(x1)), x1)
        if y is not None and self.n_classes:  # label dropout [CFG Algorithm 1]
            drop = torch.rand(len(y), device=y.device) < self.p_uncond
            y = torch.where(drop, torch.full_like(y, self.n_classes), y)
        return self.pair_loss(x0, x1, y)

    @torch.no_grad()
    def sample(self, n: int, steps: int = 10, solver=euler, x0=None, y=None, w: float = 0.0,
               return_path: bool = False, times=None):
        """Integrate dx/dt = v_theta(x, t) from x0 ~ p0 at t = 0 to t_end in ``steps`` equal
        steps (or through the given ``times``, 0 = t_0 < ... < t_steps = t_end).
        return_path=True also returns every x_t, (steps + 1, n, *shape)."""
        x = self.source_sample(n) if x0 is None else x0.to(self.device)
        if self.n_classes and y is None:  # no labels: uniform labels, x ~ sum_y p(y) p(x|y)
            y = torch.randint(0, self.n_classes, (len(x),), device=x.device)
        times = torch.linspace(0, self.path.t_end, steps + 1) if times is None else times
        path = [x]
        for t, t_next in zip(times[:-1].tolist(), times[1:].tolist()):
            x = solver(lambda x_, t_: self.v(x_, t_, y, w), x, t, t_next - t)
            path.append(x)
        return (self.to_data(x), torch.stack(path)) if return_path else self.to_data(x)

    def log_prob(self, x1, steps: int = 50, div=exact_div):
        """log p1(x1) = log p0(x(0)) - int_0^1 div v(x(t), t) dt along the ODE run backwards
        from x(1) = x1 ([FFJORD Eq. 4], Heun steps; div = exact_div or hutchinson_div).
        Assumes the flow reaches the data at t_end (the linear path; VP stops just before)."""
        x = self.to_model(x1)
        delta, dt = torch.zeros(len(x), device=x.device), -self.path.t_end / steps

        def f(x, t):  # the field and its divergence at time t
            return div(lambda x_: self.v(x_, t), x)

        for k in range(steps):
            t = self.path.t_end + k * dt
            v1, d1 = f(x, t)
            v2, d2 = f(x + dt * v1, t + dt)
            x, delta = x + dt / 2 * (v1 + v2), delta - dt / 2 * (d1 + d2)  # delta = int div dt
        return self.source_log_prob(x) - delta


class ImageFlowMatching(FlowMatching):
    """Flow matching on images in [0, 1]: the flow runs on 2x - 1 in [-1, 1]."""

    def to_model(self, x):
        return 2 * x - 1

    def to_data(self, x):
        return ((x + 1) / 2).clamp(0, 1)


class Reflow(FlowMatching):
    """Rectified flow's reflow [RF Algorithm 1]: flow matching on fixed pairs (x0, x1) with
    x1 = ODE(x0) of a trained flow. The pairs' paths cross less than independent pairs'.
    distill=True keeps the objective at t = 0 alone, |v(x0, 0) - (x1 - x0)|^2: [RF] Sec.
    2.3's distillation into one Euler step, x1 = x0 + v(x0, 0), all capacity spent there."""

    def __init__(self, velocity: nn.Module, path=None, distill: bool = False):
        super().__init__(velocity, path)
        self.distill = distill

    def loss(self, x0, x1):
        return self.pair_loss(x0, x1, t=x0.new_zeros(len(x0)) if self.distill else None)


@torch.no_grad()
def reflow_pairs(model: FlowMatching, n: int, steps: int = 50, solver=midpoint):
    """(x0, x1) with x1 = ODE(x0), the coupling a reflow trains on."""
    x0 = model.source_sample(n)
    return x0, model.sample(n, steps, solver, x0=x0)


@torch.no_grad()
def straightness(model: FlowMatching, n: int = 1000, steps: int = 50):
    """E int_0^1 |v(x_t, t) - (x1 - x0)|^2 dt along the ODE [RF Eq. 9]: 0 for straight paths."""
    _, path = model.sample(n, steps, midpoint, return_path=True)
    chord = path[-1] - path[0]
    return ((path[1:] - path[:-1]) * steps - chord).pow(2).flatten(2).sum(-1).mean().item()
