"""Fit a Gaussian (or a k-component Gaussian mixture) q_theta to a target mixture p by
minimising a divergence D(p || q_theta): which divergence decides which q you get.

Symbols: p the target (``data.GaussianMixture``); q_theta = sum_k pi_k N(mu_k, Sigma_k)
the model, Sigma_k = L_k L_k^T, pi = softmax(logits); D an f-divergence (by grid
quadrature), MMD^2 (closed form between Gaussian mixtures) or W_2^2 (exact OT between
fixed samples, single Gaussian).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import ot
import torch
from torch import nn

from .data import GaussianMixture, two_gaussians
from .divergences import (F_DIVERGENCES, classifier_f_divergence, f_divergence, f_divergence_grid,
                          grid, kl_mc, mmd2, sliced_wasserstein, wasserstein)


class MixtureModel(nn.Module):
    """q_theta(x) = sum_k pi_k N(x; mu_k, L_k L_k^T), float64 parameters."""

    def __init__(self, means, stds=1.0):
        super().__init__()
        means = torch.as_tensor(means, dtype=torch.float64).reshape(-1, 2)
        k = len(means)
        L = torch.zeros(k, 2, 2, dtype=torch.float64)
        L.diagonal(dim1=1, dim2=2).copy_(torch.as_tensor(stds, dtype=torch.float64).log()
                                         .expand(k)[:, None])
        self.mu = nn.Parameter(means.clone())  # (k, 2)
        self.L_raw = nn.Parameter(L)  # strict lower part free, diagonal through exp
        self.logits = nn.Parameter(torch.zeros(k, dtype=torch.float64))

    @property
    def L(self):
        return torch.tril(self.L_raw, -1) + torch.diag_embed(self.L_raw.diagonal(dim1=1, dim2=2).exp())

    @property
    def Sigma(self):
        return self.L @ self.L.transpose(1, 2)  # (k, 2, 2)

    @property
    def pi(self):
        return self.logits.softmax(0)

    def log_prob(self, x):
        comp = torch.distributions.MultivariateNormal(self.mu, scale_tril=self.L,
                                                  validate_args=False)
        return torch.logsumexp(comp.log_prob(x.unsqueeze(-2)) + self.pi.log(), -1)  # (n,)

    def transform(self, z):
        """x = mu + L z for a single Gaussian: differentiable in theta for fixed z (n, 2)."""
        return self.mu[0] + z @ self.L[0].T

    def as_mixture(self) -> GaussianMixture:
        return GaussianMixture(self.mu.detach(), self.Sigma.detach(), self.pi.detach(), name="fit")


# --- objectives: p -> (q -> scalar tensor) ---------------------------------------


def f_objective(p, gen, extent: float, n: int = 64):
    """D_f(p || q) by quadrature on an n x n grid; log p is computed once."""
    pts, area = grid(extent, n)
    log_p = p.log_prob(pts)
    return lambda q: f_divergence(log_p, q.log_prob(pts), area, gen)


def _cross(m1, S1, w1, m2, S2, w2, h):
    """sum_ij w1_i w2_j E k(x_i, y_j), x_i ~ N(m1_i, S1_i), y_j ~ N(m2_j, S2_j), Gaussian
    kernel of bandwidth h: E k = h^2 / sqrt(det C) exp(-d^T C^-1 d / 2), C = S1 + S2 + h^2 I."""
    C = S1[:, None] + S2[None] + h ** 2 * torch.eye(2, dtype=S1.dtype)  # (K1, K2, 2, 2)
    d = (m1[:, None] - m2[None]).unsqueeze(-1)  # (K1, K2, 2, 1)
    quad = (d.transpose(-1, -2) @ torch.linalg.solve(C, d)).squeeze(-1).squeeze(-1)
    e = h ** 2 / torch.linalg.det(C).sqrt() * torch.exp(-quad / 2)
    return (w1[:, None] * w2[None] * e).sum()


def mmd_objective(p, bandwidth: float = 1.0):
    """MMD^2(p, q) with a Gaussian kernel, exact for Gaussian mixtures (no samples)."""
    mp, Sp, wp = p.means, p.covs, p.weights
    cpp = _cross(mp, Sp, wp, mp, Sp, wp, bandwidth)
    return lambda q: (cpp + _cross(q.mu, q.Sigma, q.pi, q.mu, q.Sigma, q.pi, bandwidth)
                      - 2 * _cross(mp, Sp, wp, q.mu, q.Sigma, q.pi, bandwidth))


def w2_objective(p, n: int = 256, seed: int = 0):
    """W_2^2 between n fixed samples of p and mu + L z for n fixed z (single Gaussian).

    The optimal plan is solved exactly (``ot.emd``) and held fixed for the gradient,
    which is then exact (the envelope theorem)."""
    g = torch.Generator().manual_seed(seed)
    x = p.sample(n, generator=g).double()
    z = torch.randn(n, 2, generator=g, dtype=torch.float64)
    a = np.full(n, 1 / n)

    def objective(q):
        y = q.transform(z)
        cost = torch.cdist(x, y) ** 2
        plan = torch.from_numpy(ot.emd(a, a, cost.detach().numpy()))
        return (plan * cost).sum()
    return objective


DIVERGENCES = ["KL", "reverse KL", "JS", "squared Hellinger", "TV", "MMD^2", "W2^2"]


def objective_for(name: str, p, extent: float, n: int = 64, bandwidth: float = 1.0,
                  w2_samples: int = 256):
    if name == "MMD^2":
        return mmd_objective(p, bandwidth)
    if name == "W2^2":
        return w2_objective(p, w2_samples)
    return f_objective(p, F_DIVERGENCES[name], extent, n)


# --- fitting -----------------------------------------------------------------------


def fit(objective, q: MixtureModel, iters: int = 100) -> float:
    """Minimise objective(q) over q's parameters by L-BFGS (the objectives here are
    deterministic and smooth); returns the final value."""
    opt = torch.optim.LBFGS(q.parameters(), lr=1, max_iter=iters, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-9, tolerance_change=1e-12)

    def closure():
        opt.zero_grad()
        loss = objective(q)
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        return objective(q).item()


def starts(p: GaussianMixture, k: int = 1):
    """Initial models: the moment-matched Gaussian and one on each target component
    (for k > 1: components spread over the target's means)."""
    mean = (p.weights[:, None] * p.means).sum(0)
    spread = (p.weights[:, None] * (p.means - mean) ** 2).sum(0).sum().sqrt().item()
    if k == 1:
        yield MixtureModel(mean, max(spread, p.stds.max().item()))
        for m, s in zip(p.means, p.stds):
            yield MixtureModel(m, s.item())
    else:
        for shift in range(len(p.means)):
            idx = (torch.arange(k) + shift) % len(p.means)
            yield MixtureModel(p.means[idx] + 0.1 * torch.arange(k)[:, None], p.stds[idx])


def best_fit(objective, p: GaussianMixture, k: int = 1, iters: int = 100):
    """The best of several L-BFGS runs (divergences like reverse KL have one local
    optimum per mode): returns (model, value)."""
    runs = [(q, fit(objective, q, iters)) for q in starts(p, k)]
    return min(runs, key=lambda r: _finite(r[1]))


@dataclass
class ModeDemo:
    """The chapter's mode-covering vs mode-seeking settings: two equal modes 4 apart."""
    separation: float = 4.0
    std: float = 0.5
    extent: float = 7.0  # quadrature grid [-extent, extent]^2
    n: int = 140  # grid cells per side
    bandwidth: float = 1.0  # MMD's Gaussian kernel

    def target(self) -> GaussianMixture:
        return two_gaussians(self.separation, std=self.std)


def three_modes(spacing: float = 3.0, std: float = 0.5) -> GaussianMixture:
    """Three equal modes on a line: what does a two-component mixture do with them?"""
    return GaussianMixture([[-spacing, 0.0], [0.0, 0.0], [spacing, 0.0]], std=std, name="three_modes")


def fit_all(cfg: ModeDemo, names=DIVERGENCES, k: int = 1):
    """{divergence: (model, value)} for the best k-component fit of cfg's target."""
    p = cfg.target()
    return {name: best_fit(objective_for(name, p, cfg.extent, cfg.n, cfg.bandwidth), p, k)
            for name in names}


def sweep(cfg: ModeDemo, separations, names=("KL", "reverse KL", "JS")):
    """{divergence: (|mean_x|, var_x) per separation} of the best single-Gaussian fit."""
    from dataclasses import replace
    out = {name: [] for name in names}
    for s in separations:
        for name, (q, _) in fit_all(replace(cfg, separation=float(s)), names).items():
            out[name].append((q.mu[0, 0].abs().item(), q.Sigma[0, 0, 0].item()))
    return out


def all_values(p, q: MixtureModel, extent: float, n: int = 48, bandwidth: float = 1.0,
               w2_samples: int = 256) -> dict:
    """Every divergence between the target p and a fitted q (f-divergences on an n x n grid)."""
    pts, area = grid(extent, n)
    with torch.no_grad():
        lp, lq = p.log_prob(pts), q.log_prob(pts)
        out = {name: f_divergence(lp, lq, area, gen).item() for name, gen in F_DIVERGENCES.items()}
        out["MMD^2"] = mmd_objective(p, bandwidth)(q).item()
        out["W2^2"] = w2_objective(p, w2_samples)(q).item()
    return out


class LiveFit:
    """The state behind the divergence-fit widget. Each update runs a few L-BFGS steps on
    a coarse grid from the last optimum for this divergence, from the moment-matched
    Gaussian and from the most promising mode (W2, the costly one, from the last optimum
    only): a slider move costs tens of milliseconds, and the fit does not depend on the
    slider's history (the symmetric saddle of reverse KL, say, is not kept)."""

    def __init__(self, n: int = 48, iters: int = 10, bandwidth: float = 1.0, margin: float = 2.0,
                 w2_samples: int = 128):
        self.n, self.iters, self.bandwidth, self.margin = n, iters, bandwidth, margin
        self.w2_samples, self.last = w2_samples, {}

    def extent(self, p: GaussianMixture) -> float:
        return p.extent + self.margin  # room for a covering fit's tails

    def update(self, p: GaussianMixture, name: str):
        ext = self.extent(p)
        obj = objective_for(name, p, ext, self.n, self.bandwidth, self.w2_samples)
        candidates = [self.last[name]] if name in self.last else []
        if name != "W2^2" or not candidates:  # the moment-matched start, the best mode start
            first, *modes = starts(p)
            with torch.no_grad():
                candidates += [first, min(modes, key=lambda q: _finite(obj(q).item()))]
        runs = [(q, fit(obj, q, self.iters)) for q in candidates]
        q = min(runs, key=lambda r: _finite(r[1]))[0]
        self.last[name] = q
        return q, all_values(p, q, ext, self.n, self.bandwidth, self.w2_samples)


def _finite(v: float) -> float:
    return v if math.isfinite(v) else math.inf


def mmd2_exact(p: GaussianMixture, q: GaussianMixture, bandwidth: float = 1.0) -> float:
    """MMD^2 between two Gaussian mixtures with a Gaussian kernel, in closed form."""
    a, b = (p.means, p.covs, p.weights), (q.means, q.covs, q.weights)
    return (_cross(*a, *a, bandwidth) + _cross(*b, *b, bandwidth) - 2 * _cross(*a, *b, bandwidth)).item()


def estimator_study(ns, repeats: int, shift: float = 1.0, seed: int = 0) -> dict:
    """Bias and spread of sample-based estimators for p = two_gaussians(4, std 0.5) and
    q = p shifted by (shift, 0), whose true values are known: W1 = shift (a translation),
    sliced W1 = 2 shift / pi, MMD^2 in closed form, KL and JS by fine quadrature.
    Returns {estimator: (truth, array (len(ns), repeats) of estimates)}."""
    p = two_gaussians(4.0, std=0.5)
    q = GaussianMixture(p.means + torch.tensor([shift, 0.0], dtype=torch.float64), p.covs, p.weights)
    js = F_DIVERGENCES["JS"]
    estimators = {  # name: (truth, estimate from x ~ p, y ~ q and n)
        "KL, Monte Carlo": (f_divergence_grid(p, q, F_DIVERGENCES["KL"], 8, 400),  # its own n
                            lambda x, y, g: kl_mc(p, q, len(x), g)[0]),  # samples of p
        "JS, classifier": (f_divergence_grid(p, q, js, 8, 400),
                           lambda x, y, g: classifier_f_divergence(x, y, js, steps=200)),
        "MMD^2, unbiased": (mmd2_exact(p, q), lambda x, y, g: mmd2(x, y)),
        "W1, exact OT": (shift, lambda x, y, g: wasserstein(x, y, 1)),
        "sliced W1": (2 * shift / math.pi, lambda x, y, g: sliced_wasserstein(x, y, 1, 100, g).item()),
    }
    g = torch.Generator().manual_seed(seed)
    out = {k: (truth, np.zeros((len(ns), repeats))) for k, (truth, _) in estimators.items()}
    for i, n in enumerate(ns):
        for r in range(repeats):
            x, y = p.sample(n, g).double(), q.sample(n, g).double()
            for k, (_, estimate) in estimators.items():
                out[k][1][i, r] = estimate(x, y, g)
    return out
