"""Chapter 08's exercises: scores, Langevin dynamics, denoising score matching.

    08.mixture_score      derivation  the score of a Gaussian mixture, against the autograd
                                      gradient of its log-density
    08.annealed_langevin  code        annealed Langevin dynamics with the exact scores of NCSN's
                                      two-mode mixture: its samples must carry the mixture's
                                      mode weights 0.2 / 0.8 and the variance of p_sigma at the last level
    08.dsm_loss           code        the weighted denoising score-matching loss, against its
                                      closed form for Gaussian data and the exact score, and
                                      minimised by the exact score
"""
from __future__ import annotations

import math

import torch

from .core import Wrong, call, expect, fmt, number, register
from ..data import GaussianMixture
from ..score import MixtureScore, geometric_sigmas, mode_weights, two_modes

f64 = torch.float64


# --- 08.mixture_score -------------------------------------------------------------------

@register("08.mixture_score")
def _mixture_score(mixture_score):
    g = torch.Generator().manual_seed(80)
    means = torch.tensor([[-2.0, 0.5], [1.5, 1.5], [0.5, -2.0]], dtype=f64)
    stds = torch.tensor([0.6, 1.0, 1.6], dtype=f64)
    weights = torch.tensor([0.5, 0.2, 0.3], dtype=f64)
    x = 2.5 * torch.randn(10, 2, generator=g, dtype=f64)
    p = GaussianMixture(means, std=stds, weights=weights)
    xg = x.clone().requires_grad_(True)
    true, = torch.autograd.grad(p.log_prob(xg).sum(), xg)  # the oracle: autograd
    out = torch.as_tensor(call(mixture_score, x.clone(), means, stds, weights,
                               what="mixture_score"), dtype=f64)
    # the likely mistakes, each on the same input
    diff = means[None] - x[:, None]  # (n, K, 2)
    log_n = -0.5 * (diff ** 2).sum(-1) / stds ** 2 - 2 * stds.log()  # (n, K), + const
    r = torch.softmax(log_n + weights.log(), -1)
    r_no_w = torch.softmax(log_n, -1)

    def mix(r, scale):
        return (r[..., None] * diff / scale[None, :, None]).sum(1)
    expect(out, true, what="the score", on=f"10 points x, a 3-component mixture with stds "
           f"{stds.tolist()} and weights {weights.tolist()} (reference: autograd of log p)",
           mistakes={
               "the wrong sign: the score points from x towards the means, (mu_k - x)":
                   -true,
               "sigma_k where its square belongs: a component's score is (mu_k - x) / sigma_k^2":
                   mix(r, stds),
               "responsibilities without the weights w_k": mix(r_no_w, stds ** 2),
               "the weights w_k used instead of the responsibilities r_k(x)":
                   mix(weights.expand_as(r), stds ** 2),
               "responsibilities without the normalising constants 1/sigma_k^2 of the "
               "components' densities":
                   mix(torch.softmax(log_n + 2 * stds.log() + weights.log(), -1), stds ** 2),
           })
    return "your score equals the autograd gradient of log p at every point"


# --- 08.annealed_langevin --------------------------------------------------------------

@register("08.annealed_langevin")
def _annealed(annealed_langevin):
    p = two_modes()
    exact = MixtureScore(p)
    calls = []

    def score(x, sigma):
        calls.append(float(sigma))
        return exact(torch.as_tensor(x), float(sigma))

    sigmas = geometric_sigmas(20.0, 1.0, 10)
    eps, steps_each, n = 0.1, 50, 1000
    with torch.random.fork_rng():
        torch.manual_seed(8)
        x0 = 16 * torch.rand(n, 2, dtype=f64) - 8  # uniform on [-8, 8]^2
        x = call(annealed_langevin, score, x0.clone(), sigmas, eps, steps_each,
                 what="annealed_langevin")
    x = torch.as_tensor(x, dtype=f64)
    if x.shape != x0.shape:
        raise Wrong(f"annealed_langevin returned shape {tuple(x.shape)}, expected {tuple(x0.shape)}")
    if not torch.isfinite(x).all():
        raise Wrong("some samples are NaN or inf: is the step at the largest level too large? "
                    "alpha_i = eps sigma_i^2 / sigma_L^2 with sigma_L the *smallest* level")
    levels = [float(s) for s in sigmas]
    setting = f"NCSN's two-mode mixture, sigmas {levels[0]:g} -> {levels[-1]:g} in 10 levels, " \
              f"eps = {eps}, {steps_each} steps each, {n} chains from a uniform start"
    if not calls:
        raise Wrong("your sampler never called score(x, sigma)")
    first, last = calls[0], calls[-1]
    if len(set(calls)) == 1:
        raise Wrong(f"every score call used sigma = {first:g}: run steps_each steps at each of "
                    f"the {len(levels)} levels, largest first ({setting})")
    if first < last:
        raise Wrong(f"the first score call used sigma = {first:g} and the last sigma = {last:g}: "
                    f"anneal from the largest level down to the smallest ({setting})")
    used = sorted(set(calls), reverse=True)
    counts = [calls.count(s) for s in used]
    if not (len(used) == len(levels) and all(math.isclose(a, b) for a, b in zip(used, levels))
            and all(c == steps_each for c in counts)):
        raise Wrong(f"the score was called at sigmas {[round(s, 3) for s in used]} with "
                    f"{counts} calls each; expected each of {[round(s, 3) for s in levels]} "
                    f"{steps_each} times ({setting})")
    w = mode_weights(x, p)
    k = p.component(x)
    centred = x - torch.stack([x[k == j].mean(0) for j in range(2)])[k]
    var = centred.pow(2).mean()  # per coordinate, pooled within the two modes
    # the last level samples p_(sigma_L): each mode N(mu_k, v I) with v = 1 + sigma_L^2 = 2;
    # Langevin with step eps leaves it at v / (1 - eps / (4 v)) = 2.025 (a finite-step bias)
    v = 1 + levels[-1] ** 2
    target_var = v / (1 - eps / (4 * v))
    err = (w - p.weights).abs().max().item()
    # a correct sampler here: weight error 0.02 +- 0.02 and variance 2.15 +- 0.07 over random
    # streams; plain Langevin's weight error is ~0.3, a missing 1/2 halves the variance
    weight_ok, var_ok = err < 0.1, abs(var.item() / target_var - 1) < 0.25
    summary = (f"mode weights {w[0]:.3f} / {w[1]:.3f} (target 0.2 / 0.8), variance within "
               f"the modes {var.item():.3f} (target {target_var:.3f})")
    if weight_ok and var_ok:
        return f"{summary}: annealing recovers the weights that plain Langevin misses"
    if not var_ok:
        ratio = var.item() / target_var
        if 0.35 < ratio < 0.7:
            why = ("the modes are about half as wide as they should be: the drift is "
                   "alpha / 2 * score, did you drop the 1/2?")
        elif ratio < 0.35:
            why = ("the modes are far too narrow: the noise must be sqrt(alpha) z, "
                   "its variance alpha")
        else:
            why = "the modes are too wide: check the step size and the noise's scale"
        raise Wrong(f"{why} ({setting}: {summary})")
    raise Wrong(f"the mode weights are wrong, {summary}: the chains do not move between the "
                f"modes while the noise is large. Is the step alpha_i = eps sigma_i^2 / sigma_L^2 "
                f"(largest at the first level)? ({setting})")


# --- 08.dsm_loss ------------------------------------------------------------------------

@register("08.dsm_loss")
def _dsm(dsm_loss):
    g = torch.Generator().manual_seed(81)
    n, d, s0 = 200_000, 3, 1.5  # data x ~ N(0, s0^2 I_d)
    x = s0 * torch.randn(n, d, generator=g, dtype=f64)
    z = torch.randn(n, d, generator=g, dtype=f64)
    rows = []
    for sigma in (0.5, 2.0):
        v = s0 ** 2 + sigma ** 2  # p_sigma = N(0, v I): its exact score is -x / v

        def score(y, sig, c=1.0, v=v):
            return -c * torch.as_tensor(y) / v
        got = number(call(dsm_loss, score, x, sigma, z, what="dsm_loss"), what="dsm_loss")
        closed = d * s0 ** 2 / (2 * v)  # E 1/2 |sigma s + z|^2 = d s0^2 / (2 v)
        on = (f"x ~ N(0, {s0}^2 I_{d}) ({n} points), sigma = {sigma}, the exact score of "
              f"p_sigma (reference: the closed form d s0^2 / (2 (s0^2 + sigma^2)) = {closed:.4f})")
        expect(got, closed, what="the loss", on=on, rtol=0.02, atol=0, mistakes={
            "the missing factor 1/2": 2 * closed,
            "a mean over the data dimensions instead of a sum": closed / d,
            "the unweighted loss 1/2 |s + z / sigma|^2: weight it by sigma^2, "
            "1/2 |sigma s + z|^2": closed / sigma ** 2,
            "the wrong sign on z: the noise kernel's score is -z / sigma, so the residual is "
            "sigma s + z": 0.5 * d * (sigma ** 2 * s0 ** 2 / v ** 2 + (1 + sigma ** 2 / v) ** 2),
            "the noise added without sigma (x + z)":
                0.5 * d * ((sigma / v) ** 2 * (s0 ** 2 + 1) - 2 * sigma / v + 1),
        })
        # the exact score minimises the loss (Vincent 2011): scale it and the loss rises
        scaled = [number(dsm_loss(lambda y, sig, c=c: score(y, sig, c), x, sigma, z))
                  for c in (0.8, 1.25)]
        if min(scaled) <= got:
            raise Wrong(f"the loss is not smallest at the exact score: {fmt(got)} at the exact "
                        f"score, {fmt(scaled[0])} and {fmt(scaled[1])} at 0.8 and 1.25 times it")
        rows.append(f"sigma = {sigma}: {got:.4f} vs {closed:.4f}")
    return "your loss matches the closed form (" + "; ".join(rows) + ") and the exact score minimises it"
