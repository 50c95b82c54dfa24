"""Editing with a trained diffusion model: DDIM inversion and interpolation of noise codes.

Symbols as in ``diffusion.py``; tau_0 = 0 < tau_1 < ... < tau_S the DDIM steps.
    invert     x_0 -> x_T by running the deterministic DDIM step (eta = 0) forwards:
               x_t = sqrt(alpha_bar_t) x0_hat(x_s) + sqrt(1 - alpha_bar_t) eps_theta(x_s, s)
               for s < t, i.e. the probability-flow ODE integrated from 0 to T (Song et al.
               2021, Sec. 4.3; Dhariwal and Nichol 2021, App. F); ``ddim_sample(x_T=...)``
               integrates it back, so decode(invert(x)) ~ x up to the solver's error
    slerp      spherical interpolation of two noise codes: x_T ~ N(0, I) in high dimension
               lies near the sphere of radius sqrt(D), which a straight line leaves
"""
from __future__ import annotations

import math

import torch

from .diffusion import DDPM


def ddim_times(model: DDPM, steps: int) -> list[int]:
    """The DDIM steps 0 = tau_0 < tau_1 = 1 < ... (the spacing ``ddim_sample`` uses)."""
    return [0] + [1 + i * model.T // steps for i in range(steps)]


@torch.no_grad()
def invert(model: DDPM, x, steps: int = 50, y=None) -> torch.Tensor:
    """x (data space) -> its noise code x_T: the deterministic DDIM chain run forwards."""
    xs = model.to_model(x)
    y = model._labels(len(xs), y, xs.device) if y is not None else None
    tau = ddim_times(model, steps)
    for s, t in zip(tau[:-1], tau[1:]):
        if s == 0:  # eps_theta is not trained at t = 0: take the first step with eps(x, tau_1)
            eps = model.eps_theta(xs, t, y)
        else:
            eps = model.eps_theta(xs, s, y)
        ab_s, ab_t = model.alpha_bar[s], model.alpha_bar[t]
        x0_hat = (xs - (1 - ab_s).sqrt() * eps) / ab_s.sqrt()
        xs = ab_t.sqrt() * x0_hat + model.one_minus_alpha_bar[t].sqrt() * eps  # [DDIM] Eq. (12), eta 0
    return xs


@torch.no_grad()
def decode(model: DDPM, x_T, steps: int = 50, y=None) -> torch.Tensor:
    """x_T -> x_0 by deterministic DDIM (eta = 0): the inverse of ``invert``."""
    return model.ddim_sample(len(x_T), steps, eta=0.0, y=y, x_T=x_T)


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation between batches a, b (B, ...): angle Omega between them,
    sin((1 - t) Omega) / sin(Omega) a + sin(t Omega) / sin(Omega) b."""
    af, bf = a.flatten(1), b.flatten(1)
    cos = (af * bf).sum(1) / (af.norm(dim=1) * bf.norm(dim=1))
    omega = cos.clamp(-1 + 1e-7, 1 - 1e-7).acos().view(-1, *[1] * (a.dim() - 1))
    return (torch.sin((1 - t) * omega) * a + torch.sin(t * omega) * b) / torch.sin(omega)


def interpolate(model: DDPM, x_a, x_b, n: int = 8, steps: int = 50, y=None) -> torch.Tensor:
    """Decoded slerp between the noise codes of x_a and x_b (one pair each): (n, *shape)."""
    za, zb = invert(model, x_a, steps, y), invert(model, x_b, steps, y)
    codes = torch.cat([slerp(za, zb, t) for t in torch.linspace(0, 1, n).tolist()])
    ys = None if y is None else torch.as_tensor(y).expand(n)
    return decode(model, codes, steps, ys)


def mean_norm_ratio(x: torch.Tensor) -> float:
    """|x| / sqrt(D), averaged over the batch: about 1 for x ~ N(0, I)."""
    return (x.flatten(1).norm(dim=1) / math.sqrt(x[0].numel())).mean().item()
