"""Chapter 02 exercises: the optimal discriminator, V(D*, G) = 2 JS - log 4, and the
gradient of the non-saturating generator loss.

Oracles: the stationarity condition of the pointwise objective p log D + p_g log(1 - D)
(logit D* = log p - log p_g), the Jensen-Shannon divergence by quadrature through
gmcourse.divergences' JS generator (a different formula from V), and autograd.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ..data import GaussianMixture, two_gaussians
from .core import Wrong, call, expect, fmt, register

F64 = torch.float64


def _log_densities(seed: int = 0, n: int = 8):
    g = torch.Generator().manual_seed(seed)
    log_p = -4 * torch.rand(n, generator=g, dtype=F64) - 0.5
    log_pg = -4 * torch.rand(n, generator=g, dtype=F64) - 0.5
    return log_p, log_pg


@register("02.optimal_discriminator")
def _optimal_discriminator(d_star):
    log_p, log_pg = _log_densities()
    D = call(d_star, log_p.clone(), log_pg.clone(), what="d_star(log_p, log_pg)")
    D = torch.as_tensor(D, dtype=F64)
    logit = log_p - log_pg  # stationarity of p log D + p_g log(1 - D): D/(1 - D) = p/p_g
    expected = torch.sigmoid(logit)
    expect(D, expected, what="D*", on=f"log p = {fmt(log_p)}, log p_g = {fmt(log_pg)}",
           mistakes={"p and p_g swapped (that is p_g's share, the probability of 'fake')":
                         torch.sigmoid(-logit),
                     "the density ratio p/p_g, not normalised to a probability in (0, 1)":
                         logit.exp(),
                     "the logit log p - log p_g rather than the probability sigmoid of it":
                         logit})
    # far from both densities: exp(log p) underflows to 0 in float64 below about -745
    far_p, far_pg = torch.tensor([-800.0, -1000.0], dtype=F64), torch.tensor([-801.0, -990.0], dtype=F64)
    D_far = torch.as_tensor(call(d_star, far_p, far_pg, what="d_star"), dtype=F64)
    if not torch.isfinite(D_far).all():
        raise Wrong(f"at log p = {far_p.tolist()}, log p_g = {far_pg.tolist()} (points far from "
                    f"both densities) D* = {D_far.tolist()}: exp() underflows to 0 and 0/0 is "
                    "nan. Compute it from the log-densities: sigmoid(log p - log p_g)")
    expect(D_far, torch.sigmoid(far_p - far_pg), what="D*",
           on=f"log p = {far_p.tolist()}, log p_g = {far_pg.tolist()}")
    return "D* = sigmoid(log p - log p_g), stable where both densities underflow"


def _v_pairs():
    """(p, p_g) pairs of 2D densities: overlapping mixtures, identical, far apart."""
    p = two_gaussians(separation=3.0, weights=(0.3, 0.7), std=0.6)
    pg = GaussianMixture([[0.5, 0.5]], [[[2.0, 0.4], [0.4, 1.0]]])
    far = GaussianMixture([[3.5, 0.0]], std=0.4)
    near = GaussianMixture([[-3.5, 0.0]], std=0.4)
    return [("two overlapping 2D densities", p, pg), ("p_g = p", p, p),
            ("two Gaussians 7 apart (nearly disjoint)", near, far)]


@register("02.value_at_optimum")
def _value_at_optimum(value_at_optimum):
    probe = torch.log(torch.tensor([0.2, 0.3, 0.5], dtype=F64))  # a stub fails fast here
    call(value_at_optimum, probe, probe.flip(0), 1.0, what="value_at_optimum(log_p, log_pg, area)")
    from ..divergences import F_DIVERGENCES, f_divergence, grid  # POT: slow to import
    pts, area = grid(extent=7.0, n=160)
    for label, p, pg in _v_pairs():
        log_p, log_pg = p.log_prob(pts), pg.log_prob(pts)
        received = call(value_at_optimum, log_p.clone(), log_pg.clone(), area,
                        what="value_at_optimum(log_p, log_pg, area)")
        js = f_divergence(log_p, log_pg, area, F_DIVERGENCES["JS"])
        expected = 2 * js - math.log(4)
        lse = torch.logaddexp(log_p, log_pg)
        term_p = (log_p.exp() * (log_p - lse)).sum() * area
        term_g = (log_pg.exp() * (log_pg - lse)).sum() * area
        swapped = ((log_p.exp() * (log_pg - lse)).sum() + (log_pg.exp() * (log_p - lse)).sum()) * area
        expect(received, expected, what="V(D*, G)", on=label, atol=1e-4, rtol=1e-4,
               mistakes={"a missing p_g log(1 - D*) term (only the real-data half of V)": term_p,
                         "the wrong sign of the p_g log(1 - D*) term": term_p - term_g,
                         "D* with p and p_g swapped": swapped,
                         "a missing cell area (a plain sum instead of an integral)":
                             (term_p + term_g) / area,
                         "2 JS without the -log 4 (V(D*, G) = 2 JS - log 4)": 2 * js,
                         "JS - log 4 (V(D*, G) = 2 JS - log 4, the factor 2 is missing)":
                             js - math.log(4)})
    return ("V(D*, G) = 2 JS - log 4 on overlapping densities, -log 4 when p_g = p, "
            "and close to 0 when the supports barely overlap")


@register("02.nonsat_gradient")
def _nonsat_gradient(grad_nonsat):
    d = torch.tensor([-6.0, -2.5, -0.7, 0.0, 0.9, 3.0], dtype=F64)
    received = torch.as_tensor(call(grad_nonsat, d.clone(), what="grad_nonsat(d)"), dtype=F64)
    t = d.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad((-F.logsigmoid(t)).sum(), t)  # the oracle: autograd
    s = torch.sigmoid(d)
    expect(received, expected, what="dL_G/dd", on=f"logits d = {d.tolist()}",
           mistakes={"the minimax (saturating) loss's gradient -sigmoid(d)": -s,
                     "the wrong sign (1 - sigmoid(d)): L_G = -log D is being minimised": 1 - s,
                     "sigmoid'(d) = sigmoid(d)(1 - sigmoid(d)) without dividing by sigmoid(d)":
                         -s * (1 - s),
                     "-1/sigmoid(d): the chain rule through sigmoid is missing": -1 / s})
    return (f"dL_G/dd = sigmoid(d) - 1: at d = -6 (D confident the sample is fake) the "
            f"gradient is {expected[0].item():.3f}, not the minimax loss's {-s[0].item():.4f}")
