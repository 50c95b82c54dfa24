"""Chapter 04 exercises: the Gaussian KL to the prior, the reparameterisation trick, the
ELBO of the linear-Gaussian model and the IWAE bound.

Oracles: torch.distributions' closed-form KL; moments and autograd of the samples; the
exact marginal likelihood and posterior of the linear-Gaussian model (torch's
MultivariateNormal), so that log p(x) - ELBO must equal KL(q || p(z|x)); and the identity
IWAE(log w + c) = IWAE(log w) + c with the log-mean-exp of moderate weights.
"""
from __future__ import annotations

import math

import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from .core import Wrong, call, expect, fmt, register

F64 = torch.float64


def _kl_case(positive: bool, seed: int = 5):
    g = torch.Generator().manual_seed(seed)
    mu = 1.5 * torch.randn(5, 3, generator=g, dtype=F64)
    log_var = (0.2 + 1.5 * torch.rand(5, 3, generator=g, dtype=F64)) if positive else \
        (3 * torch.rand(5, 3, generator=g, dtype=F64) - 1.5)
    return mu, log_var


@register("04.kl_normal")
def _kl_normal(kl_to_prior):
    for positive in (True, False):
        mu, lv = _kl_case(positive)
        received = call(kl_to_prior, mu.clone(), lv.clone(), what="kl_to_prior(mu, log_var)")
        received = torch.as_tensor(received, dtype=F64)
        expected = kl_divergence(Normal(mu, (0.5 * lv).exp()), Normal(0.0, 1.0)).sum(-1)
        right = 0.5 * (lv.exp() + mu ** 2 - 1 - lv)
        mistakes = {
            "the wrong sign": -expected,
            "a missing 1/2": 2 * expected,
            "log_var used as a log standard deviation (sigma^2 = exp(2 log_var))":
                0.5 * ((2 * lv).exp() + mu ** 2 - 1 - 2 * lv).sum(-1),
            "the standard deviation exp(log_var / 2) used as the variance":
                0.5 * ((0.5 * lv).exp() + mu ** 2 - 1 - 0.5 * lv).sum(-1),
            "a missing mu^2 term": 0.5 * (lv.exp() - 1 - lv).sum(-1),
            "a mean over the latent dimensions instead of a sum": right.mean(-1),
        }
        if positive:
            mistakes["the log-variance used as the variance (sigma^2 = log_var)"] = \
                0.5 * (lv + mu ** 2 - 1 - lv.log()).sum(-1)
        if not torch.isfinite(received).all() and (lv < 0).any():
            raise Wrong(f"KL contains NaN on log_var = {fmt(lv)}: log of a negative number? "
                        "The log-variance is not the variance: sigma^2 = exp(log_var)")
        expect(received, expected, what="KL", mistakes=mistakes,
               on=f"a batch of 5 in 3 latent dimensions, mu = {fmt(mu)}, log_var = {fmt(lv)}")
    return "matches torch.distributions.kl_divergence summed over the latent dimensions"


@register("04.reparameterize")
def _reparameterize(reparameterize):
    torch.manual_seed(0)
    n = 20_000
    mu = torch.tensor([0.5, -1.0, 2.0], dtype=F64).expand(n, 3).clone().requires_grad_(True)
    lv = torch.tensor([-1.0, 0.5, 1.2], dtype=F64).expand(n, 3).clone().requires_grad_(True)
    z = call(reparameterize, mu, lv, what="reparameterize(mu, log_var)")
    if not torch.is_tensor(z) or z.shape != mu.shape:
        raise Wrong(f"z should have the shape of mu, {tuple(mu.shape)}, got {fmt(z)}")
    if not z.requires_grad:
        raise Wrong("no gradient reaches mu and log_var from z: write z = mu + sigma * eps "
                    "with eps = torch.randn_like(mu) (torch.normal() and sampling under "
                    "no_grad break the path)")
    mean, var = z.detach().mean(0), z.detach().var(0)
    se_mean = (lv.detach()[0].exp() / n).sqrt()
    sv = lv.detach()[0]
    if (var < 1e-12).all():
        raise Wrong("z does not vary: eps ~ N(0, 1) is missing (z = mu is the autoencoder)")
    expect(mean, mu.detach()[0], what="the mean of z", atol=(5 * se_mean).max().item(), rtol=0,
           on=f"mu = {mu.detach()[0].tolist()}, log_var = {sv.tolist()}, {n} samples")
    expect(var, sv.exp(), what="the variance of z", rtol=0.05, atol=0,
           on=f"mu = {mu.detach()[0].tolist()}, log_var = {sv.tolist()}, {n} samples",
           mistakes={"log_var used as a log standard deviation (sigma = exp(log_var))":
                         (2 * sv).exp(),
                     "sigma = exp(log_var / 4), one square root too many": (0.5 * sv).exp(),
                     "the log-variance used as the standard deviation": sv ** 2})
    (g_mu, g_lv) = torch.autograd.grad(z.sum(), (mu, lv))
    if not torch.allclose(g_mu, torch.ones_like(g_mu)):
        raise Wrong(f"dz/dmu should be 1 for every sample, got {fmt(g_mu)}")
    eps = (z.detach() - mu.detach()) / (0.5 * lv.detach()).exp()
    expect(g_lv, 0.5 * (0.5 * lv.detach()).exp() * eps, what="dz/dlog_var", rtol=1e-4,
           atol=1e-6, on="the same samples")
    return "mean and variance match N(mu, exp(log_var)), and dz/dmu = 1, dz/dlog_var = sigma eps / 2"


def _lg_case(seed: int = 6):
    g = torch.Generator().manual_seed(seed)
    D, d, B = 3, 2, 4
    W = torch.randn(D, d, generator=g, dtype=F64)
    b = torch.randn(D, generator=g, dtype=F64)
    s = 0.7
    x = torch.randn(B, D, generator=g, dtype=F64) * 1.5
    m = torch.randn(B, d, generator=g, dtype=F64)
    A = torch.randn(d, d, generator=g, dtype=F64)
    S = A @ A.T / d + 0.3 * torch.eye(d, dtype=F64)
    return x, W, b, s, m, S


def _lg_oracle(x, W, b, s, m, S):
    """log p(x) and KL(q || p(z|x)) with torch's MultivariateNormal only."""
    D, d = W.shape
    log_p = MultivariateNormal(b, W @ W.T + s ** 2 * torch.eye(D, dtype=F64)).log_prob(x)
    S_post = torch.linalg.inv(torch.eye(d, dtype=F64) + W.T @ W / s ** 2)
    m_post = (x - b) @ W @ S_post / s ** 2
    kl = kl_divergence(MultivariateNormal(m, S), MultivariateNormal(m_post, S_post))
    return log_p, kl


def _elbo_variant(x, W, b, s, m, S, trace=True, kl_sign=-1.0, const=True, s_var=False,
                  kl_half=True):
    D, d = W.shape
    v = s if s_var else s ** 2
    r = x - m @ W.T - b
    rec = -((r ** 2).sum(-1) + (torch.trace(W @ S @ W.T) if trace else 0)) / (2 * v)
    if const:
        rec = rec - 0.5 * D * math.log(2 * math.pi * v)
    kl = (0.5 if kl_half else 1.0) * (torch.trace(S) + (m ** 2).sum(-1) - d - torch.logdet(S))
    return rec + kl_sign * kl


@register("04.elbo")
def _elbo(elbo):
    x, W, b, s, m, S = _lg_case()
    received = call(elbo, x.clone(), W.clone(), b.clone(), s, m.clone(), S.clone(),
                    what="elbo(x, W, b, s, m, S)")
    received = torch.as_tensor(received, dtype=F64)
    log_p, kl = _lg_oracle(x, W, b, s, m, S)
    args = (x, W, b, s, m, S)
    on = "a batch of 4 in D = 3, d = 2, s = 0.7, a full-covariance q"
    if received.shape == log_p.shape and torch.isfinite(received).all() and \
            (received > log_p + 1e-6).any():
        i = int((received - log_p).argmax())
        raise Wrong(f"ELBO > log p(x) at example {i} ({received[i].item():.4f} > "
                    f"{log_p[i].item():.4f}): a lower bound cannot exceed the log-likelihood "
                    "(is the KL added instead of subtracted?)")
    expect(received, log_p - kl, what="ELBO", on=on,
           mistakes={"a missing trace term tr(W S W^T) / (2 s^2): q's spread is dropped from the "
                     "reconstruction": _elbo_variant(*args, trace=False),
                     "the KL added instead of subtracted": _elbo_variant(*args, kl_sign=1.0),
                     "a missing constant -D/2 log(2 pi s^2)": _elbo_variant(*args, const=False),
                     "s used as the variance (s is the standard deviation)":
                         _elbo_variant(*args, s_var=True),
                     "a missing 1/2 in the KL": _elbo_variant(*args, kl_half=False)})
    m_post = (x - b) @ W @ torch.linalg.inv(torch.eye(2, dtype=F64) + W.T @ W / s ** 2) / s ** 2
    S_post = torch.linalg.inv(torch.eye(2, dtype=F64) + W.T @ W / s ** 2)
    at_post = torch.as_tensor(call(elbo, x, W, b, s, m_post, S_post, what="elbo"), dtype=F64)
    expect(at_post, log_p, what="ELBO at the true posterior", on=on + ", q = p(z|x)")
    return "log p(x) - ELBO = KL(q || p(z|x)) on 4 examples, and ELBO = log p(x) at q = p(z|x)"


@register("04.iwae")
def _iwae(iwae_bound):
    g = torch.Generator().manual_seed(7)
    k, B = 6, 4
    log_w = 1.5 * torch.randn(k, B, generator=g, dtype=F64) - 2.0
    exact = log_w.exp().mean(0).log()  # moderate weights: the plain formula is exact here
    mistakes = {"the ELBO (the mean of the log-weights) instead of the log of the mean weight":
                    log_w.mean(0),
                "a missing -log k (log of the sum, not of the mean)": exact + math.log(k),
                "the largest log-weight instead of the log-mean-exp": log_w.max(0).values}
    received = torch.as_tensor(call(iwae_bound, log_w.clone(), what="iwae_bound(log_w)"), dtype=F64)
    expect(received, exact, what="IWAE", mistakes=mistakes,
           on=f"log-weights of shape (k, B) = ({k}, {B}), k samples along dim 0")
    shifted = log_w - 1000.0  # realistic image log-weights: exp underflows to 0
    received = torch.as_tensor(call(iwae_bound, shifted, what="iwae_bound(log_w)"), dtype=F64)
    if not torch.isfinite(received).all():
        raise Wrong(f"on log-weights around -1000 (typical for images) you get {fmt(received)}: "
                    "exp underflows to 0 and log 0 = -inf. Subtract the maximum first "
                    "(torch.logsumexp)")
    expect(received, exact - 1000.0, what="IWAE", on="the same log-weights minus 1000")
    return "log-mean-exp over the k samples, stable at log-weights of -1000"
