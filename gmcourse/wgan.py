"""Wasserstein GANs (chapter 03): a critic estimates W1, kept 1-Lipschitz three ways.

Symbols (Arjovsky et al. 2017; Gulrajani et al. 2017; Miyato et al. 2018):
    f(x)        the critic (``GAN.D``), unbounded real output
    W1(p, p_g)  sup_{||f||_L <= 1} E_p f(x) - E_{p_g} f(x)      Kantorovich-Rubinstein
    ||f||_L     Lipschitz constant, sup |f(x) - f(y)| / |x - y|
    lambda      weight of the gradient penalty (10 in WGAN-GP); c: clipping bound

The objective (``gan.Wasserstein``), the penalty (``gan.GradientPenalty``) and the
constraints (``gan.WeightClipping``, ``gan.SpectralNorm``) are the GAN's own objects;
this module builds the three critics and measures them:
    wgan(G, f, "clip" | "gp" | "sn")   the same game, three ways to keep f Lipschitz
    critic_estimate(gan, x)            E_p f - E_{p_g} f, the critic's estimate of W1
    lipschitz_estimate(f, x, y)        a lower bound on ||f||_L
"""
from __future__ import annotations

import torch
from torch import nn

from .gan import (GAN, GradientPenalty, SpectralNorm, Wasserstein, WeightClipping,
                  spectral_norm)

__all__ = ["GradientPenalty", "Wasserstein", "WeightClipping", "SpectralNorm", "spectral_norm",
           "wgan", "critic_estimate", "lipschitz_estimate"]


def wgan(G: nn.Module, f: nn.Module, method: str = "gp", latent_dim: int = 2, *,
         c: float = 0.01, lam: float = 10.0, **kw) -> GAN:
    """A Wasserstein GAN whose critic ``f`` is kept Lipschitz by ``method``:
    "clip" (weight clipping), "gp" (gradient penalty) or "sn" (spectral normalisation).
    All three use the same Wasserstein objective, so only the constraint differs.
    """
    if method == "clip":
        return GAN(G, f, Wasserstein(), latent_dim, constraint=WeightClipping(c), **kw)
    if method == "gp":
        return GAN(G, f, Wasserstein(), latent_dim, penalty=GradientPenalty(lam), **kw)
    if method == "sn":
        return GAN(G, f, Wasserstein(), latent_dim, constraint=SpectralNorm(), **kw)
    raise ValueError(f"method must be 'clip', 'gp' or 'sn', not {method!r}")


@torch.no_grad()
def critic_estimate(gan: GAN, x_real, n_fake: int | None = None) -> float:
    """E_p f(x) - E_{p_g} f(x): the critic's estimate of W1, scaled by its Lipschitz constant."""
    x_fake = gan.generate(n_fake or len(x_real))
    return (gan.discriminate(x_real).mean() - gan.discriminate(x_fake).mean()).item()


def lipschitz_estimate(f, x: torch.Tensor, y: torch.Tensor) -> float:
    """A lower bound on ||f||_L: the largest gradient norm at x, y and points between.
    ``f``: a critic network or ``gan.discriminate``."""
    eps = torch.rand(len(x), *[1] * (x.dim() - 1), device=x.device)
    pts = torch.cat([x, y, eps * x + (1 - eps) * y]).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(f(pts).sum(), pts)
    return g.flatten(1).norm(dim=1).max().item()
