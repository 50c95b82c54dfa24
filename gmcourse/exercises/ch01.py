"""Chapter 01 exercises: a Monte Carlo reverse KL that must pick the mode-seeking fit, the
reverse KL of a fit on one mode, and the unbiased MMD^2.

Oracles: grid quadrature of the f-divergences on Gaussian mixtures with exact densities
(gmcourse.divergences.f_divergence_grid), and the closed-form MMD^2 between two isotropic
Gaussians under a Gaussian kernel.
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from ..data import GaussianMixture, two_gaussians
from .core import Wrong, call, expect, number, register

F64 = torch.float64


def _estimate(answer, *args, what):
    out = call(answer, *args, what=what)
    if isinstance(out, (tuple, list)):  # (estimate, standard error), like divergences.kl_mc
        out = out[0]
    return number(out, what=what)


def _gaussian(mean, cov, name):
    return GaussianMixture([mean], [cov], name=name)


def reverse_kl_fits():
    """The chapter's two-mode target and three single-Gaussian candidates."""
    p = two_gaussians(separation=4.0, std=0.5)
    fits = {"the fit on the right mode": _gaussian([2.0, 0.0], [[0.25, 0], [0, 0.25]], "mode"),
            "the covering fit (moment matching)": _gaussian([0.0, 0.0], [[4.25, 0], [0, 0.25]],
                                                            "cover"),
            "the narrow fit between the modes": _gaussian([0.0, 0.0], [[0.3, 0], [0, 0.25]],
                                                          "middle")}
    return p, fits


@lru_cache(maxsize=1)
def _reverse_kl_truth():
    """KL(q || p) and KL(p || q) for the check's pair, by quadrature."""
    from ..divergences import F_DIVERGENCES, f_divergence_grid  # POT: slow to import
    p, _ = reverse_kl_fits()
    q = _gaussian([1.5, 0.3], [[0.5, 0.1], [0.1, 0.3]], "q")
    return (f_divergence_grid(p, q, F_DIVERGENCES["reverse KL"], extent=7, n=160),
            f_divergence_grid(p, q, F_DIVERGENCES["KL"], extent=7, n=160))


@register("01.reverse_kl")
def _reverse_kl(reverse_kl):
    n = 10_000
    p, fits = reverse_kl_fits()
    q = _gaussian([1.5, 0.3], [[0.5, 0.1], [0.1, 0.3]], "q")
    torch.manual_seed(0)
    received = _estimate(reverse_kl, p, q, n, what="reverse_kl(p, q, n)")
    rev, fwd = _reverse_kl_truth()
    expect(received, rev, what="reverse_kl", rtol=0.05, atol=0.03,
           on="p the two-mode mixture at (+-2, 0) with std 0.5, q = N((1.5, 0.3), "
              "[[0.5, 0.1], [0.1, 0.3]])",
           mistakes={"the forward KL(p || q) (samples from p, log p - log q)": fwd,
                     "KL with the wrong sign (E_q[log p - log q])": -rev,
                     "samples from p with log q - log p (that is -KL(p || q))": -fwd})
    values = {}
    for name, fit in fits.items():
        torch.manual_seed(1)
        values[name] = _estimate(reverse_kl, p, fit, n, what="reverse_kl(p, q, n)")
    best = min(values, key=values.get)
    table = ", ".join(f"{k}: {v:.3f}" for k, v in values.items())
    if best != "the fit on the right mode":
        raise Wrong(f"among three Gaussian fits your divergence picks {best} ({table}); the "
                    "reverse KL seeks a mode and must pick the fit on the right mode"
                    + (": picking the covering fit is what the forward KL does"
                       if "covering" in best else ""))
    if abs(values["the fit on the right mode"] - math.log(2)) > 0.03:
        raise Wrong(f"on the right mode KL(q || p) = log 2 = 0.693 (there p = q/2), got "
                    f"{values['the fit on the right mode']:.4f}")
    return f"KL(q || p) = {received:.3f} (quadrature {rev:.3f}); it picks the fit on a mode ({table})"


def _mixture_on_modes(w: float):
    return two_gaussians(separation=8.0, weights=(w, 1 - w), std=0.5)


@lru_cache(maxsize=8)
def _one_mode_truth(w: float) -> float:
    from ..divergences import F_DIVERGENCES, f_divergence_grid  # POT: slow to import
    q = _gaussian([-4.0, 0.0], [[0.25, 0], [0, 0.25]], "left component")
    return f_divergence_grid(_mixture_on_modes(w), q, F_DIVERGENCES["reverse KL"], extent=7, n=280)


@register("01.reverse_kl_one_mode")
def _reverse_kl_one_mode(kl_on_left_mode):
    for w in (0.2, 0.5, 0.7):
        received = number(call(kl_on_left_mode, w, what="kl_on_left_mode(w)"),
                          what="kl_on_left_mode(w)")
        truth = _one_mode_truth(w)
        expect(received, truth, what="kl_on_left_mode", atol=2e-3, rtol=1e-3,
               on=f"w = {w} (modes at (+-4, 0), std 0.5)",
               mistakes={"the wrong sign (log w instead of -log w)": math.log(w),
                         "the weight of the other mode (-log(1 - w))": -math.log(1 - w),
                         "a factor 1/2 too many": -math.log(w) / 2,
                         "the value log 2 of the equal-weight case": math.log(2)})
    return "KL(q || p) = -log w, checked by quadrature at w = 0.2, 0.5, 0.7"


def _mmd2_closed_form(m1, s1, m2, s2, h, d):
    """MMD^2 between N(m1, s1^2 I) and N(m2, s2^2 I) under exp(-|x-y|^2 / (2 h^2))."""
    def ek(dm2, var):  # E k(x, y) when x - y ~ N(dm, var I)
        return (h ** 2 / (h ** 2 + var)) ** (d / 2) * math.exp(-dm2 / (2 * (h ** 2 + var)))
    dm2 = float(((torch.as_tensor(m1) - torch.as_tensor(m2)) ** 2).sum())
    return ek(0.0, 2 * s1 ** 2) + ek(0.0, 2 * s2 ** 2) - 2 * ek(dm2, s1 ** 2 + s2 ** 2)


def _mmd_variants(x, y, h):
    def k(a, b, scale=2.0, square=True):
        d = torch.cdist(a, b)
        return torch.exp(-(d ** 2 if square else d) / (scale * h ** 2))
    n, m = len(x), len(y)

    def u(kxx, kyy, kxy, cross=2.0):
        return ((kxx.sum() - kxx.trace()) / (n * (n - 1)) + (kyy.sum() - kyy.trace()) / (m * (m - 1))
                - cross * kxy.mean())
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    right = u(kxx, kyy, kxy)
    return right, {
        "the biased estimate: you kept the diagonal terms k(x_i, x_i) = 1 (the U-statistic "
        "leaves out i = j and divides by n(n - 1))": kxx.mean() + kyy.mean() - 2 * kxy.mean(),
        "the diagonal dropped but divided by n^2 instead of n(n - 1)":
            (kxx.sum() - kxx.trace()) / n ** 2 + (kyy.sum() - kyy.trace()) / m ** 2 - 2 * kxy.mean(),
        "a missing factor 2 on the cross term E k(x, y)": u(kxx, kyy, kxy, cross=1.0),
        "the kernel exp(-|x - y|^2 / h^2) (a missing 2 in 2 h^2)":
            u(k(x, x, 1.0), k(y, y, 1.0), k(x, y, 1.0)),
        "the kernel exp(-|x - y| / (2 h^2)) (distance not squared)":
            u(k(x, x, square=False), k(y, y, square=False), k(x, y, square=False)),
        "MMD instead of MMD^2 (a square root too many)": right.clamp_min(0).sqrt(),
    }


@register("01.mmd2")
def _mmd2(mmd2):
    g = torch.Generator().manual_seed(2)
    d, h = 2, 1.3
    m1, s1, m2, s2 = torch.tensor([0.0, 0.5]), 1.0, torch.tensor([1.0, -0.5]), 0.6
    x = (m1 + s1 * torch.randn(40, d, generator=g)).double()
    y = (m2 + s2 * torch.randn(30, d, generator=g)).double()
    received = number(call(mmd2, x.clone(), y.clone(), h, what="mmd2(x, y, h)"), what="mmd2")
    right, mistakes = _mmd_variants(x, y, h)
    expect(received, right, what="mmd2", rtol=1e-4, atol=1e-6, mistakes=mistakes,
           on=f"40 samples of N((0, 0.5), I) against 30 of N((1, -0.5), 0.36 I), h = {h}")
    # unbiasedness: the mean over many small draws must match the closed form
    reps, n = 200, 12
    vals = torch.tensor([number(mmd2((m1 + s1 * torch.randn(n, d, generator=g)).double(),
                                     (m2 + s2 * torch.randn(n, d, generator=g)).double(), h))
                         for _ in range(reps)], dtype=F64)
    truth = _mmd2_closed_form(m1, s1, m2, s2, h, d)
    se = (vals.std() / math.sqrt(reps)).item()
    if abs(vals.mean().item() - truth) > 4 * se + 1e-3:
        raise Wrong(f"averaged over {reps} draws of {n} samples each your estimate is "
                    f"{vals.mean().item():.4f} +- {se:.4f}, but the exact MMD^2 is {truth:.4f}: "
                    "the estimator is biased")
    return (f"matches the U-statistic, and its mean over {reps} small draws "
            f"({vals.mean().item():.4f} +- {se:.4f}) matches the closed form {truth:.4f}")


@register("01.kl_gaussians")
def _kl_gaussians(kl_gauss):
    for m1, s1, m2, s2 in [(0.3, 0.5, -1.0, 1.7), (2.0, 2.5, 1.2, 0.8)]:
        received = number(call(kl_gauss, m1, s1, m2, s2, what="kl_gauss(m1, s1, m2, s2)"),
                          what="kl_gauss")
        p, q = torch.distributions.Normal(m1, s1), torch.distributions.Normal(m2, s2)
        truth = torch.distributions.kl_divergence(p, q).item()

        def form(a, sa, b, sb, half=0.5):
            return math.log(sb / sa) + half * (sa ** 2 + (a - b) ** 2) / sb ** 2 - half
        expect(received, truth, what="KL", on=f"m1 = {m1}, s1 = {s1}, m2 = {m2}, s2 = {s2}",
               mistakes={"the other direction, KL(q || p)": form(m2, s2, m1, s1),
                         "a missing 1/2 on the quadratic term and the -1/2":
                             form(m1, s1, m2, s2, half=1.0),
                         "standard deviations used where variances belong":
                             math.log(s2 / s1) + 0.5 * (s1 + (m1 - m2) ** 2) / s2 - 0.5,
                         "log(s1 / s2) instead of log(s2 / s1)":
                             truth - 2 * math.log(s2 / s1),
                         "the mean difference without its square":
                             math.log(s2 / s1) + 0.5 * (s1 ** 2 + abs(m1 - m2)) / s2 ** 2 - 0.5})
    return "matches torch.distributions.kl_divergence for two pairs of Gaussians"
