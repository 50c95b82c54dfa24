"""Diffusion as a hierarchical VAE: the variational bound of a DDPM, term by term.

Symbols as in ``diffusion.py`` (Ho et al. 2020, Eq. 5; t0 >= 1 the last latent kept):
    -log p(x0) <= L_T + sum_{t = t0+1}^{T} L_{t-1} + L_dec
    L_T      KL(q(x_T | x0) || N(0, I)), no parameter
    L_{t-1}  E_q KL(q(x_{t-1} | x_t, x0) || p(x_{t-1} | x_t)), p = N(tilde_mu_t(x0_hat, x_t), sigma_t^2)
    L_dec    -E_q log p(x0 | x_t0): N(x0_hat(x_t0), s^2) as a density, or (``levels``) the mass
             it puts on x0's bin among that many levels in [-1, 1] (Ho et al., Eq. 13)
With t0 = 1, s^2 = beta_1 (Ho et al.). On discrete data the steps below the size of a grey
level only ask the network for precision it never learnt, so ``discrete_t0`` stops the
chain where the noise left, sqrt((1 - alpha_bar) / alpha_bar), is 2.5 times smaller than
half a level, and decodes there with s^2 = (1 - alpha_bar_t0) / alpha_bar_t0: a different,
equally valid latent-variable model, whose bound is far tighter for the same network.
"""
from __future__ import annotations

import math

import torch

from .diffusion import DDPM, _at
from .dists import bits_per_dim as to_bits


def bound_terms(model: DDPM, x0, t: int, y=None, levels: int | None = None,
                variance: str = "beta", t0: int = 1) -> torch.Tensor:
    """One term per example, in nats, x0 in the process's space: t = T + 1 gives L_T,
    t = t0 the decoder term, t0 < t <= T the term L_{t-1} at x_t ~ q(x_t | x0).

    variance: sigma_t^2 in the bound, "beta" (beta_t: Ho et al.'s choice when x0 is spread
    out; nearly tight with an exact eps) or "tilde" (tilde_beta_t, the sampler's: right
    when x0 is one point, much looser otherwise).
    """
    dims = tuple(range(1, x0.dim()))
    if t == model.T + 1:
        m, v = model.alpha_bar[model.T].sqrt() * x0, model.one_minus_alpha_bar[model.T]
        return 0.5 * (m ** 2 + v - 1 - v.log()).sum(dims)
    xt = model.q_sample(x0, t, torch.randn_like(x0))
    x0_hat = model.predict_x0(xt, t, model.eps_theta(xt, t, y))
    if t > t0:
        mean, var = model.posterior(x0, xt, t)
        mean_theta, _ = model.posterior(x0_hat, xt, t)
        if variance == "tilde":  # equal variances: only the means differ
            return ((mean - mean_theta) ** 2 / (2 * var)).sum(dims)
        s2 = _at(model.beta, t, xt)  # KL of two Gaussians, per dimension
        return (0.5 * ((var + (mean - mean_theta) ** 2) / s2 - 1 + (s2 / var).log())).sum(dims)
    std = model.beta[1].sqrt() if t0 == 1 else (model.one_minus_alpha_bar[t] / model.alpha_bar[t]).sqrt()
    if levels is None:
        return (0.5 * ((x0 - x0_hat) / std) ** 2 + std.log() + 0.5 * math.log(2 * math.pi)).sum(dims)
    half = 1.0 / (levels - 1)  # half a bin: the levels are 2 / (levels - 1) apart
    normal = torch.distributions.Normal(x0_hat, std)
    upper = torch.where(x0 > 1 - half / 2, torch.ones_like(x0), normal.cdf(x0 + half))
    lower = torch.where(x0 < -1 + half / 2, torch.zeros_like(x0), normal.cdf(x0 - half))
    return -(upper - lower).clamp_min(1e-12).log().sum(dims)


def discrete_t0(model: DDPM, levels: int) -> int:
    """The last step kept for data on ``levels`` levels (see the module docstring)."""
    sigma = (model.one_minus_alpha_bar[1:] / model.alpha_bar[1:]).sqrt()  # t = 1..T
    ok = (sigma <= (1.0 / (levels - 1)) / 2.5).nonzero()
    return int(ok.max()) + 1 if len(ok) else 1


@torch.no_grad()
def nll_bound(model: DDPM, x, y=None, levels: int | None = None, t0: int = 1,
              t_samples: int | None = None, head: int = 50, variance: str = "beta",
              generator: torch.Generator | None = None) -> torch.Tensor:
    """-ELBO per example in nats (an upper bound on -log p(x)), x in data space.

    All terms by default. With ``t_samples`` = K: the ``head`` terms right after t0 (the
    largest) exactly, and the rest by stratified sampling, one step from each of K equal
    strata weighted by its length: unbiased, head + K + 1 network calls.
    """
    x0 = model.to_model(x)
    total = bound_terms(model, x0, model.T + 1) + bound_terms(model, x0, t0, y, levels, t0=t0)
    ts = list(range(t0 + 1, model.T + 1))
    if t_samples is None or len(ts) <= head + t_samples:
        return (total + sum(bound_terms(model, x0, t, y, variance=variance, t0=t0)
                            for t in ts)).double()
    rest = ts[head:]
    edges = torch.linspace(0, len(rest), t_samples + 1)
    u = torch.rand(t_samples, generator=generator)
    for lo, hi, ui in zip(edges[:-1], edges[1:], u):
        k = min(int(lo + (hi - lo) * ui), len(rest) - 1)
        total = total + (hi - lo).item() * bound_terms(model, x0, rest[k], y, variance=variance, t0=t0)
    return (total + sum(bound_terms(model, x0, t, y, variance=variance, t0=t0)
                        for t in ts[:head])).double()


def bits_per_dim(model: DDPM, x, levels: int = 17, t_samples: int | None = 100, seed: int = 0,
                 batch_size: int = 512) -> float:
    """The bound in bits per dimension for images ``x`` in [0, 1] on ``levels`` grey levels
    (17: the digits' convention), stopping at ``discrete_t0``; no labels (the null label
    of a conditional model). An upper bound on the model's exact value."""
    g = torch.Generator().manual_seed(seed)
    t0 = discrete_t0(model, levels)
    nll = []
    for xb in x.split(batch_size):
        y = torch.full((len(xb),), model.n_classes, device=xb.device) if model.n_classes else None
        nll.append(nll_bound(model, xb, y, levels, t0, t_samples, generator=g))
    return to_bits(torch.cat(nll).mean().item(), x[0].numel())
