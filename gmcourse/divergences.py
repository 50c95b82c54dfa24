"""Divergences and distances between distributions, from densities or from samples.

Symbols: p, q densities (objects with ``log_prob``, and ``sample`` for Monte Carlo);
x ~ p, y ~ q sample sets (n, d); t = p/q the density ratio; f a convex generator with
f(1) = 0 and D_f(p || q) = E_q f(p/q); k(x, y) a kernel; W_p the p-Wasserstein
distance; MMD^2 the squared maximum mean discrepancy.

    known log_prob:  f_divergence (points + weights), on a 2D grid (``grid``), or by
                     Monte Carlo with a standard error (``f_divergence_mc``, ``kl_mc``)
    samples only:    mmd2, wasserstein (exact OT), sliced_wasserstein, and
                     classifier_f_divergence (a density-ratio estimate)
    disjoint supports: parallel_lines (exact), blurred_lines (differentiable in theta)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import ot
import torch
import torch.nn.functional as F

from .nn import MLP

# --- f-divergences ---------------------------------------------------------------


@dataclass(frozen=True)
class Generator:
    """A convex f with f(1) = 0 and its perspective f*(u) = u f(1/u), both written as
    functions of a log-ratio r <= 0: ``f(r) = f(e^r)``, ``f_star(s) = f*(e^s)``.

    D_f(p || q) = int q f(p/q) = int p f*(q/p): the first form is used where p <= q and
    the second where p > q, so no ratio above 1 is ever formed (no overflow), and
    f*(0) = lim f(t)/t prices the p-mass where q = 0 (infinite for KL)."""
    f: Callable[[torch.Tensor], torch.Tensor]
    f_star: Callable[[torch.Tensor], torch.Tensor]

    @classmethod
    def from_f(cls, f):
        """Any convex f of the ratio t (a tensor function with f(1) = 0)."""
        return cls(lambda r: f(r.exp()), lambda s: s.exp() * f((-s).exp()))


def _xlogx(r):  # t log t at t = e^r, 0 at t = 0
    return torch.xlogy(r.exp(), r.exp())


def _js(r):  # 1/2 KL(p || m) + 1/2 KL(q || m), m = (p + q)/2, as q f(p/q); symmetric
    t = r.exp()
    return 0.5 * (_xlogx(r) - (1 + t) * (torch.log1p(t) - math.log(2)))


def _hellinger(r):
    return ((r / 2).exp() - 1) ** 2


def _tv(r):
    return 0.5 * (r.exp() - 1).abs()


F_DIVERGENCES = {
    "KL": Generator(_xlogx, lambda s: -s),  # KL(p || q), f(t) = t log t
    "reverse KL": Generator(lambda r: -r, _xlogx),  # KL(q || p), f(t) = -log t
    "JS": Generator(_js, _js),  # in [0, log 2]
    "Pearson chi2": Generator(lambda r: (r.exp() - 1) ** 2,  # f(t) = (t - 1)^2
                              lambda s: ((-s / 2).exp() - (s / 2).exp()) ** 2),
    "squared Hellinger": Generator(_hellinger, _hellinger),  # int (sqrt p - sqrt q)^2, in [0, 2]
    "TV": Generator(_tv, _tv),  # 1/2 int |p - q|, in [0, 1]
}


def _terms(log_p, log_q, gen: Generator):
    """q f(p/q) pointwise; -inf marks a zero, and points where both are zero give 0."""
    both = torch.isneginf(log_p) & torch.isneginf(log_q)
    r = torch.where(both, torch.zeros_like(log_p), log_p - log_q)  # log p/q
    below = torch.exp(log_q) * gen.f(r.clamp(max=0))  # q f(p/q) where p <= q
    above = torch.exp(log_p) * gen.f_star((-r).clamp(max=0))  # p f*(q/p) where p > q
    return torch.where(r <= 0, below, above)


def f_divergence(log_p: torch.Tensor, log_q: torch.Tensor, weights, gen: Generator):
    """D_f(p || q) = sum_i w_i q_i f(p_i / q_i), as a 0-d tensor (differentiable).

    Inputs: log-densities (or log-masses, with ``weights`` 1) at the same points, and
    quadrature weights (the cell area of a grid).
    """
    return (_terms(log_p, log_q, gen) * weights).sum()


def grid(extent: float = 6.0, n: int = 200, dtype=torch.float64):
    """Midpoint rule on [-extent, extent]^2: points (n*n, 2) and the cell area."""
    h = 2 * extent / n
    s = -extent + h * (torch.arange(n, dtype=dtype) + 0.5)
    xx, yy = torch.meshgrid(s, s, indexing="xy")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), h * h


def f_divergence_grid(p, q, gen: Generator, extent: float = 6.0, n: int = 200) -> float:
    """D_f(p || q) for 2D densities (objects with ``log_prob``) by grid quadrature
    (midpoint rule, n x n cells over [-extent, extent]^2).

    Accurate when both densities are smooth at the cell size and negligible outside."""
    pts, area = grid(extent, n)
    return f_divergence(p.log_prob(pts), q.log_prob(pts), area, gen).item()


def kl_grid(p, q, **grid_args) -> float:
    """KL(p || q) for 2D densities by grid quadrature (``f_divergence_grid``)."""
    return f_divergence_grid(p, q, F_DIVERGENCES["KL"], **grid_args)


def js_grid(p, q, **grid_args) -> float:
    """JS(p, q) in nats, in [0, log 2], for 2D densities by grid quadrature."""
    return f_divergence_grid(p, q, F_DIVERGENCES["JS"], **grid_args)


@torch.no_grad()
def f_divergence_mc(p, q, gen: Generator, n: int = 100_000, generator=None):
    """Monte Carlo D_f(p || q) = E_m[q f(p/q) / m], m = (p + q)/2: (estimate, standard error).

    Half the n samples come from p and half from q. Sampling q alone (E_q f(p/q)) misses
    the regions where p >> q and its variance is often infinite; under m the weights
    q/m, p/m are at most 2, so the variance is finite whenever f grows at most like t.
    """
    x, y = p.sample(n // 2, generator=generator).double(), q.sample(n // 2, generator=generator).double()
    parts = []
    for z in (x, y):
        lp, lq = p.log_prob(z), q.log_prob(z)
        lm = torch.logaddexp(lp, lq) - math.log(2)
        parts.append(_terms(lp, lq, gen) * torch.exp(-lm))  # q f(p/q) / m
    est = 0.5 * (parts[0].mean() + parts[1].mean())
    se = 0.5 * (parts[0].var() / len(x) + parts[1].var() / len(y)).sqrt()
    return est.item(), se.item()


@torch.no_grad()
def kl_mc(p, q, n: int = 100_000, generator=None):
    """Monte Carlo KL(p || q) = E_p log(p(x)/q(x)), x ~ p: (estimate, standard error).
    Sampling from p rather than q keeps the variance low when q is the wider one."""
    x = p.sample(n, generator=generator).double()
    v = p.log_prob(x) - q.log_prob(x)
    return v.mean().item(), (v.std() / math.sqrt(n)).item()


# --- sample-based estimators -----------------------------------------------------


def wasserstein(x: torch.Tensor, y: torch.Tensor, p: int = 1) -> float:
    """W_p between the empirical measures of ``x`` (n, d) and ``y`` (m, d).

    Estimator: an exact optimal-transport solve (POT's network simplex, ``ot.emd2``)
    with Euclidean ground cost to the power p; O(n^3), fine up to a few thousand points.
    """
    a = x.detach().double().cpu().numpy()
    b = y.detach().double().cpu().numpy()
    M = ot.dist(a, b, metric="euclidean") ** p
    cost = ot.emd2(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), M,
                   numItermax=10_000_000)
    return float(cost) ** (1 / p)


def wasserstein_per_batch(x: torch.Tensor, refs: list, p: int = 1) -> torch.Tensor:
    """W_p between the k-th batch of ``x`` and ``refs[k]``: (K,).

    ``x`` (K m, d) is split into K batches of the size m of each reference. One batch's W_p
    to the target is mostly finite-sample noise (on ring-8 at m = 2,000, two draws of the
    target itself differ by up to 2x), so samplers are compared by the mean over batches.
    """
    return torch.tensor([wasserstein(xb, r, p) for xb, r in zip(x.split(len(refs[0])), refs)])


def wasserstein_batches(x: torch.Tensor, refs: list, p: int = 1) -> tuple[float, float]:
    """Mean and standard error of ``wasserstein_per_batch(x, refs, p)``."""
    w = wasserstein_per_batch(x, refs, p)
    return w.mean().item(), (w.std() / len(w) ** 0.5).item()


def wasserstein_1d(x: torch.Tensor, y: torch.Tensor, p: int = 1) -> torch.Tensor:
    """W_p between 1D samples along the last axis, (..., n) and (..., m) -> (...).

    Exact: W_p^p = int_0^1 |F^-1(u) - G^-1(u)|^p du with the empirical quantile
    functions, which are constant between the levels i/n and j/m."""
    n, m = x.shape[-1], y.shape[-1]
    xs, ys = x.sort(-1).values, y.sort(-1).values
    u = torch.cat([torch.arange(1, n + 1.0, dtype=torch.float64) / n,
                   torch.arange(1, m + 0.0, dtype=torch.float64) / m]).sort().values
    du = torch.diff(u, prepend=u.new_zeros(1)).to(x.dtype)
    mid = u - du.double() / 2  # inside each constant piece
    i, j = (mid * n).long().clamp(max=n - 1), (mid * m).long().clamp(max=m - 1)
    cost = ((xs[..., i] - ys[..., j]).abs() ** p * du).sum(-1)
    return cost ** (1 / p)


def sliced_wasserstein(x, y, p: int = 1, n_proj: int = 200, generator=None) -> torch.Tensor:
    """Sliced W_p: (E_theta W_p^p(<theta, x>, <theta, y>))^(1/p), theta uniform on the
    sphere, by Monte Carlo over ``n_proj`` directions. O(n log n) per direction, so it
    scales to large n; differentiable in x and y."""
    theta = torch.randn(n_proj, x.shape[1], generator=generator, dtype=x.dtype)
    theta = theta / theta.norm(dim=1, keepdim=True)  # (n_proj, d)
    w = wasserstein_1d(theta @ x.T, theta @ y.T, p)  # (n_proj, n), (n_proj, m) -> (n_proj,)
    return (w ** p).mean() ** (1 / p)


def gaussian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0):
    """k(x, y) = exp(-|x - y|^2 / (2 h^2)): (n, d), (m, d) -> (n, m)."""
    return torch.exp(-torch.cdist(x, y).pow(2) / (2 * bandwidth ** 2))


def imq_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0):
    """Inverse multiquadric k(x, y) = (1 + |x - y|^2 / h^2)^(-1/2): heavy tails, so it
    still sees distributions that are far apart."""
    return (1 + torch.cdist(x, y).pow(2) / bandwidth ** 2).rsqrt()


def mmd2(x: torch.Tensor, y: torch.Tensor, kernel=gaussian_kernel, **kernel_args) -> float:
    """Unbiased estimate of MMD^2 = E k(x,x') + E k(y,y') - 2 E k(x,y).

    Input: two sample sets (n, d) and (m, d). Estimator: the U-statistic (diagonal
    terms dropped), so it averages to 0 when p = q and can be slightly negative.
    """
    return mmd2_tensor(x, y, kernel, **kernel_args).item()


def mmd2_tensor(x: torch.Tensor, y: torch.Tensor, kernel=gaussian_kernel, **kernel_args):
    """``mmd2`` as a 0-d tensor that gradients flow through (a generator's loss)."""
    n, m = len(x), len(y)
    kxx = kernel(x, x, **kernel_args)
    kyy = kernel(y, y, **kernel_args)
    kxy = kernel(x, y, **kernel_args)
    exx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    eyy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return exx + eyy - 2 * kxy.mean()


def classifier_f_divergence(x, y, gen: Generator, steps: int = 200, hidden: int = 32,
                            seed: int = 0) -> float:
    """D_f(p || q) from samples x ~ p, y ~ q through a classifier (a density-ratio estimate).

    A classifier trained to tell x (label 1) from y (label 0) with the logistic loss has
    logit -> log p/q + log(n_x/n_y) (the GAN discriminator's optimum). Half of each set
    trains it; on the other halves D_f = E_m[q f(t)/m] = E_m[2 f(t)/(1 + t)], m = (p + q)/2,
    as in ``f_divergence_mc``: bounded terms for JS, TV, Hellinger even when it overfits.
    """
    torch.manual_seed(seed)
    x, y = x.float(), y.float()
    hx, hy = len(x) // 2, len(y) // 2
    z = torch.cat([x[:hx], y[:hy]])
    label = torch.cat([torch.ones(hx), torch.zeros(hy)])
    net = MLP(x.shape[1], 1, hidden=hidden, depth=2)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):  # full batch: the sets are small
        loss = F.binary_cross_entropy_with_logits(net(z).squeeze(-1), label)
        opt.zero_grad(), loss.backward(), opt.step()
    parts = []
    with torch.no_grad():
        for held_out in (x[hx:], y[hy:]):
            log_t = net(held_out).squeeze(-1).double() + math.log(hy / hx)  # prior correction
            weight = torch.exp(math.log(2) - F.softplus(log_t))  # q/m = 2/(1 + t)
            parts.append((_terms(log_t, torch.zeros_like(log_t), gen) * weight).mean())
    return (0.5 * (parts[0] + parts[1])).item()


# --- disjoint supports -------------------------------------------------------------


def parallel_lines(theta: float, m: int = 50) -> dict:
    """Every f-divergence D_f(P_0 || P_theta) and W_1 for P_0 uniform on the segment
    {0} x [0, 1] and P_theta on {theta} x [0, 1], each as m equal point masses.

    For theta != 0 the supports are disjoint, so each D_f is f(0) + f_inf whatever theta
    is (JS = log 2, TV = 1, KL = inf), while W_1 = |theta| (exact OT)."""
    y = (torch.arange(m, dtype=torch.float64) + 0.5) / m
    a = torch.stack([torch.zeros(m, dtype=torch.float64), y], 1)  # (m, 2) points of P_0
    b = a + torch.tensor([theta, 0.0], dtype=torch.float64)
    mass = torch.full((m,), -math.log(m), dtype=torch.float64)
    if theta == 0:  # same points: log-masses on the common support
        log_p, log_q = mass, mass
    else:  # on the union of the supports: P_0 first, then P_theta
        none = torch.full((m,), -math.inf, dtype=torch.float64)
        log_p, log_q = torch.cat([mass, none]), torch.cat([none, mass])
    out = {name: f_divergence(log_p, log_q, 1.0, gen).item() for name, gen in F_DIVERGENCES.items()}
    out["W1"] = wasserstein(a, b, p=1)
    return out


def blurred_lines(theta, gen: Generator, sigma: float = 0.1, n: int = 4001):
    """D_f(P_0 || P_theta) with both lines blurred across by N(0, sigma^2): the vertical
    parts agree, so this is the 1D D_f(N(0, sigma^2) || N(theta, sigma^2)), by quadrature.
    ``theta`` may be a tensor that requires grad, to show how the gradient vanishes."""
    theta = torch.as_tensor(theta, dtype=torch.float64)
    x = torch.linspace(-3.0, 3.0, n, dtype=torch.float64)
    normal = lambda m: torch.distributions.Normal(m, sigma).log_prob(x)  # noqa: E731
    return f_divergence(normal(torch.zeros(())), normal(theta), x[1] - x[0], gen)
