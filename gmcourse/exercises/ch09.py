"""Chapter 09's exercises: evaluating generative models.

    09.fid              code        FID from two feature sets, against the closed form for
                                    Gaussians whose covariances commute (and scipy's sqrtm)
    09.inception_score  code        the Inception score, against exp(mutual information) of a
                                    known joint distribution of images and labels
    09.fid_mean_bias    derivation  the expected mean term of FID between two samples of one
                                    distribution, against Monte Carlo
"""
from __future__ import annotations

import math

import torch

from .core import Wrong, call, expect, number, register
from ..metrics import frechet_distance

f64 = torch.float64


# --- 09.fid ----------------------------------------------------------------------------

def _with_moments(n, mu, S, g):
    """n points whose sample mean is exactly mu and sample covariance (1/(n-1)) exactly S."""
    z = torch.randn(n, len(mu), generator=g, dtype=f64)
    z = z - z.mean(0)
    L = torch.linalg.cholesky(torch.cov(z.T))
    z = torch.linalg.solve_triangular(L, z.T, upper=False).T  # sample covariance I
    return mu + z @ torch.linalg.cholesky(S).T


@register("09.fid")
def _fid(fid):
    from scipy.linalg import sqrtm
    g = torch.Generator().manual_seed(90)
    d, n = 4, 500
    Q = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=f64))[0]  # a shared rotation
    lam_r = torch.tensor([3.0, 1.5, 0.6, 0.2], dtype=f64)
    lam_g = torch.tensor([1.0, 2.5, 0.3, 0.9], dtype=f64)
    S_r, S_g = Q @ torch.diag(lam_r) @ Q.T, Q @ torch.diag(lam_g) @ Q.T  # they commute
    mu_r, mu_g = torch.randn(d, generator=g, dtype=f64), torch.randn(d, generator=g, dtype=f64)
    f_r, f_g = _with_moments(n, mu_r, S_r, g), _with_moments(n, mu_g, S_g, g)
    mean_term = (mu_r - mu_g).pow(2).sum()
    # commuting covariances: Tr (S_r S_g)^(1/2) = sum sqrt(lam_r lam_g), a closed form
    closed = (mean_term + (lam_r.sqrt() - lam_g.sqrt()).pow(2).sum()).item()
    got = number(call(fid, f_r.clone(), f_g.clone(), what="fid"), what="fid")
    on = (f"{n} real and {n} generated features in d = {d} with covariances that commute "
          f"(reference: the closed form |mu_r - mu_g|^2 + sum (sqrt(l_r) - sqrt(l_g))^2)")
    cross = (lam_r * lam_g).sqrt().sum()
    expect(got, closed, what="FID", on=on, rtol=5e-3, atol=1e-6, mistakes={
        "the cross term without its factor 2: Tr(S_r + S_g - 2 (S_r S_g)^(1/2))":
            closed + cross.item(),
        "the mean term missing": closed - mean_term.item(),
        "|mu_r - mu_g| without the square": closed - mean_term.item() + mean_term.sqrt().item(),
        "an entrywise square root of S_r S_g instead of the matrix square root":
            (mean_term + lam_r.sum() + lam_g.sum()
             - 2 * (S_r @ S_g).abs().sqrt().diagonal().sum()).item(),
        "the covariance over the wrong axis (features are (n, d): the covariance is d x d)":
            _wrong_axis(f_r, f_g),
        "standard deviations used where the covariance belongs":
            (mean_term + (f_r.std(0) - f_g.std(0)).pow(2).sum()).item(),
    })
    # a second pair whose covariances do not commute, against scipy's sqrtm
    A = torch.randn(d, d, generator=g, dtype=f64)
    Bm = torch.randn(d, d, generator=g, dtype=f64)
    S1, S2 = A @ A.T / d + 0.2 * torch.eye(d, dtype=f64), Bm @ Bm.T / d + 0.2 * torch.eye(d, dtype=f64)
    f1, f2 = _with_moments(n, mu_r, S1, g), _with_moments(n, mu_g, S2, g)
    covmean = sqrtm((S1 @ S2).numpy()).real
    ref = (mean_term + S1.trace() + S2.trace()).item() - 2 * float(covmean.trace())
    got2 = number(call(fid, f1.clone(), f2.clone(), what="fid"), what="fid")
    expect(got2, ref, what="FID", rtol=5e-3, atol=1e-6,
           on=f"two feature sets whose covariances do not commute (reference: scipy.linalg.sqrtm)")
    return (f"FID = {got:.4f} (closed form {closed:.4f}) and {got2:.4f} (scipy {ref:.4f}) on "
            f"non-commuting covariances")


def _wrong_axis(f_r, f_g):
    """What torch.cov(features) (rows as variables) gives when n_real = n_fake."""
    try:
        return frechet_distance(f_r.mean(1), torch.cov(f_r), f_g.mean(1), torch.cov(f_g))
    except Exception:  # noqa: BLE001 - only a guess at a mistake
        return float("nan")


# --- 09.inception_score ----------------------------------------------------------------

@register("09.inception_score")
def _inception(inception_score):
    g = torch.Generator().manual_seed(91)
    cases = []
    K = 10
    cases.append(("confident, class-balanced predictions", torch.eye(K, dtype=f64).repeat(5, 1),
                  float(K)))
    cases.append(("the same prediction for every sample",
                  torch.softmax(torch.randn(K, generator=g, dtype=f64), 0).expand(40, K).clone(), 1.0))
    # a random joint: N equally likely images, each with its own p(y|x)
    N, K2 = 60, 7
    probs = torch.softmax(2 * torch.randn(N, K2, generator=g, dtype=f64), 1)
    p_y = probs.mean(0)
    h_y = -(p_y * p_y.log()).sum()
    h_y_x = -(probs * probs.log()).sum(1).mean()
    cases.append(("random predictions of 60 samples over 7 classes",
                  probs, math.exp((h_y - h_y_x).item())))  # IS = exp(I(x; y)) = exp(H(y) - H(y|x))
    for what, p, exact in cases:
        got = number(call(inception_score, p.clone(), what="inception_score"),
                     what="inception_score")
        kl = (p * (p.clamp_min(1e-300).log() - p.mean(0).log())).sum(1)
        rev = (p.mean(0) * (p.mean(0).log() - p.clamp_min(1e-12).log())).sum(1)
        mistakes = {
            "log IS: take exp of the mean KL": kl.mean().item(),
            "the mean of exp(KL) instead of exp of the mean KL": kl.exp().mean().item(),
            "the reversed KL(p(y) || p(y|x))": rev.mean().exp().item(),
        }
        if p.shape[0] != p.shape[1]:
            pm = p.mean(1, keepdim=True)  # p(y) averaged over the wrong axis
            mistakes["p(y) averaged over the classes (axis 1) instead of the samples (axis 0)"] = \
                (p * (p.clamp_min(1e-300).log() - pm.log())).sum(1).mean().exp().item()
        expect(got, exact, what="the Inception score", rtol=1e-4, atol=1e-6, mistakes=mistakes,
               on=f"{what} (reference: exp(H(y) - H(y|x)) = {exact:.4f})")
    return "your score is K for confident balanced samples, 1 for constant ones, exp(I(x; y)) in general"


# --- 09.fid_mean_bias ------------------------------------------------------------------

@register("09.fid_mean_bias")
def _fid_bias(mean_term_bias):
    g = torch.Generator().manual_seed(92)
    for n, d in ((10, 3), (50, 5)):
        A = torch.randn(d, d, generator=g, dtype=f64)
        cov = A @ A.T / d + 0.1 * torch.eye(d, dtype=f64)
        got = number(call(mean_term_bias, n, cov.clone(), what="mean_term_bias"),
                     what="mean_term_bias")
        # the oracle: Monte Carlo over 20,000 pairs of sample sets of n points each
        R = 20_000
        L = torch.linalg.cholesky(cov)
        a = (torch.randn(R, n, d, generator=g, dtype=f64) @ L.T).mean(1)
        b = (torch.randn(R, n, d, generator=g, dtype=f64) @ L.T).mean(1)
        mc = (a - b).pow(2).sum(1)
        est, se = mc.mean().item(), mc.std().item() / math.sqrt(R)
        tr = cov.trace().item()
        on = (f"two sets of n = {n} points from N(mu, Sigma) in d = {d}, Tr Sigma = {tr:.3f} "
              f"(reference: Monte Carlo over {R} pairs, {est:.4f} ± {se:.4f})")
        expect(got, est, what="E |mean_a - mean_b|^2", on=on, rtol=0, atol=4 * se, mistakes={
            "the variance of one sample mean only: the two means are independent, their "
            "variances add": tr / n,
            "d in place of Tr Sigma (that is right for Sigma = I only)": 2 * d / n,
            "a 1/n^2: the variance of a mean of n points is Sigma / n": 2 * tr / n ** 2,
            "a 1/sqrt(n): the variance shrinks like 1/n, not 1/sqrt(n)": 2 * tr / math.sqrt(n),
        })
    return "your formula matches the Monte Carlo mean term, within its standard error"
