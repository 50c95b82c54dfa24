"""Chapter 00 exercises: the affine generator's log-likelihood, a change of variables,
and the Cholesky factor that makes mu + L z match a covariance.

Oracles: torch.distributions (MultivariateNormal with scale_tril, LogNormal) and
torch.linalg.cholesky; never the package's own AffineGenerator.
"""
from __future__ import annotations

import math

import torch

from .core import Wrong, call, expect, fmt, register

F64 = torch.float64


def _affine_case(seed: int = 0, d: int = 3, n: int = 6):
    """Random mu, a lower-triangular L with positive, non-unit diagonal, and points x."""
    g = torch.Generator().manual_seed(seed)
    mu = torch.randn(d, generator=g, dtype=F64)
    L = torch.tril(torch.randn(d, d, generator=g, dtype=F64), -1) + \
        torch.diag(0.5 + 1.5 * torch.rand(d, generator=g, dtype=F64))
    x = mu + 1.3 * torch.randn(n, d, generator=g, dtype=F64) @ L.T
    return x, mu, L


@register("00.affine_log_prob")
def _affine_log_prob(log_prob):
    x, mu, L = _affine_case()
    d = x.shape[1]
    received = call(log_prob, x.clone(), mu.clone(), L.clone(), what="log_prob(x, mu, L)")
    expected = torch.distributions.MultivariateNormal(mu, scale_tril=L).log_prob(x)
    z = torch.linalg.solve_triangular(L, (x - mu).T, upper=False).T
    quad = (z ** 2).sum(-1)
    log_det = L.diagonal().log().sum()
    const = 0.5 * d * math.log(2 * math.pi)
    zt = torch.linalg.solve_triangular(L.T, (x - mu).T, upper=True).T
    mistakes = {
        "the wrong sign of the log-determinant (+log|det L| instead of -log|det L|)":
            expected + 2 * log_det,
        "a missing 1/2 in front of |z|^2": expected - 0.5 * quad,
        "a missing normalising constant -(d/2) log(2 pi)": expected + const,
        "the log-determinant of L L^T (2 log|det L|) instead of L": expected - log_det,
        "no log-determinant term at all": expected + log_det,
        "z = L^T^{-1}(x - mu) (solving with L^T instead of L)":
            -0.5 * (zt ** 2).sum(-1) - const - log_det,
        "z = L (x - mu) instead of L^{-1} (x - mu)":
            -0.5 * (((x - mu) @ L.T) ** 2).sum(-1) - const - log_det,
    }
    expect(received, expected, what="log_prob", on=f"a batch of {len(x)} points in 3D with "
           f"mu = {fmt(mu)} and diag L = {fmt(L.diagonal())}", mistakes=mistakes)
    return f"matches MultivariateNormal(mu, scale_tril=L).log_prob on {len(x)} points in 3D"


@register("00.lognormal_density")
def _lognormal_density(log_density):
    g = torch.Generator().manual_seed(1)
    for m, s in [(0.3, 0.7), (-0.5, 1.6)]:
        x = 0.2 + 4.8 * torch.rand(7, generator=g, dtype=F64)
        received = call(log_density, x.clone(), m, s, what="log_density(x, m, s)")
        expected = torch.distributions.LogNormal(m, s).log_prob(x)
        std = torch.distributions.Normal(0.0, 1.0)
        u = (x.log() - m) / s
        mistakes = {
            "a missing Jacobian term: the -log x from |df^{-1}/dx| = 1/(s x)": expected + x.log(),
            "the Jacobian with the wrong sign (+log x)": expected + 2 * x.log(),
            "a missing 1/s in the Jacobian (it is 1/(s x), not 1/x)": std.log_prob(u) - x.log(),
            "no Jacobian at all (neither 1/s nor 1/x)": std.log_prob(u),
            "the density of z evaluated at x instead of at f^{-1}(x)":
                std.log_prob(x) - x.log() - math.log(s),
        }
        expect(received, expected, what="log_density", on=f"m = {m}, s = {s}, x = {fmt(x)}",
               mistakes=mistakes)
    return "matches torch.distributions.LogNormal(m, s).log_prob at two (m, s)"


SIGMA_00 = [[4.0, 2.0], [2.0, 10.0]]


@register("00.cholesky")
def _cholesky(L):
    Sigma = torch.tensor(SIGMA_00, dtype=F64)
    try:
        L = torch.as_tensor(L, dtype=F64)
    except (TypeError, ValueError, RuntimeError):
        raise Wrong(f"give L as a 2x2 nested list or tensor, got {L!r}")
    if L.shape != (2, 2):
        raise Wrong(f"L should be 2x2, got shape {tuple(L.shape)}")
    truth = torch.linalg.cholesky(Sigma)
    LLt = L @ L.T
    if torch.allclose(L, truth.T, atol=1e-3):
        raise Wrong("that is the upper-triangular factor U = L^T (Sigma = U^T U); the "
                    f"generator mu + L z needs L lower triangular with L L^T = Sigma. Got {L.tolist()}")
    if torch.allclose(L, Sigma.sqrt(), atol=1e-3):
        raise Wrong("entry-wise square roots of Sigma are not a matrix square root: "
                    f"L L^T = {LLt.tolist()}, not Sigma")
    if L[0, 1].abs() > 1e-6:
        if torch.allclose(LLt, Sigma, atol=1e-3):
            raise Wrong("L L^T = Sigma, but L is not lower triangular (its upper-right entry is "
                        f"{L[0, 1].item():.3g}): the chapter's generator uses the lower-triangular factor")
        raise Wrong(f"L should be lower triangular (upper-right entry 0), got {L.tolist()}")
    if not torch.allclose(LLt, Sigma, atol=1e-3):
        raise Wrong(f"L L^T = {LLt.tolist()} but Sigma = {SIGMA_00}: check b = Sigma_12 / a "
                    "and c = sqrt(Sigma_22 - b^2)")
    if (L.diagonal() <= 0).any():
        raise Wrong(f"L L^T = Sigma, but the diagonal {L.diagonal().tolist()} is not positive: "
                    "with a positive diagonal the factor is unique (the chapter's L has exp on it)")
    return f"L = {L.tolist()}: lower triangular, positive diagonal, L L^T = Sigma"
