"""Chapter 09's experiments: how evaluation metrics behave, and where they fail.

Symbols: f(x) features of the local digits classifier; FID_n the Frechet distance
estimated from n samples per side; q = w p_good + (1 - w) p_noise a mixture model
(Theis et al. 2016, "A note on the evaluation of generative models").
"""
from __future__ import annotations

import math

import torch

from .metrics import fid, precision_recall


@torch.no_grad()
def fid_vs_sample_size(f_a: torch.Tensor, f_b: torch.Tensor, sizes=(50, 100, 200, 400, 800),
                       repeats: int = 5, seed: int = 0) -> list[dict]:
    """FID between random subsets of two feature sets, as the subset size n grows.

    FID is a biased estimator: with few samples the covariance estimates are noisy and
    the distance is inflated, so FIDs compare only at equal n.
    """
    g = torch.Generator().manual_seed(seed)
    rows = []
    for n in sizes:
        vals = []
        for _ in range(repeats):
            ia = torch.randperm(len(f_a), generator=g)[:n]
            ib = torch.randperm(len(f_b), generator=g)[:n]
            vals.append(fid(f_a[ia], f_b[ib]))
        v = torch.tensor(vals)
        rows.append({"n": n, "fid": v.mean().item(), "std": v.std().item()})
    return rows


def matched_moments(n: int = 2000, d: int = 2, seed: int = 0):
    """Two feature sets with equal mean and covariance but different shapes.

    A standard Gaussian, and a two-cluster mixture at +-a e_1 with the spread chosen so
    that its mean is 0 and its covariance is the identity: FID sees two identical
    Gaussians, precision and recall see two different distributions.
    """
    g = torch.Generator().manual_seed(seed)
    gauss = torch.randn(n, d, generator=g, dtype=torch.float64)
    a, s = 0.99, math.sqrt(1 - 0.99 ** 2)  # Var = a^2 + s^2 = 1 along e_1
    sign = torch.randint(0, 2, (n,), generator=g, dtype=torch.float64) * 2 - 1
    clusters = torch.randn(n, d, generator=g, dtype=torch.float64)
    clusters[:, 0] = sign * a + s * clusters[:, 0]
    return gauss, clusters


def matched_moments_scores(n: int = 2000, d: int = 2, seed: int = 0) -> dict:
    gauss, clusters = matched_moments(n, d, seed)
    ref = torch.randn(n, d, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    p_g, r_g = precision_recall(ref, gauss)
    p_c, r_c = precision_recall(ref, clusters)
    return {"fid_gauss": fid(ref, gauss), "fid_clusters": fid(ref, clusters),
            "precision_gauss": p_g, "recall_gauss": r_g,
            "precision_clusters": p_c, "recall_clusters": r_c}


def noise_mixture_nll(nll_good: torch.Tensor, nll_noise: torch.Tensor, w: float = 0.01):
    """NLL of q = w p_good + (1 - w) p_noise, per example, from the two components' NLLs.

    -log q(x) <= -log p_good(x) + log(1/w): the mixture loses at most log 100 = 4.6 nats
    per image for w = 0.01, however good p_good is, while 99% of its samples are noise.
    """
    stacked = torch.stack([math.log(w) - nll_good, math.log(1 - w) - nll_noise])
    return -torch.logsumexp(stacked, 0)


def reference_sample_sets(x_train, y_train, n: int, seed: int = 1) -> dict:
    """Sample sets whose verdict we know, for calibrating the scores on digits.

    real: training digits; memorised: other training digits with faint noise, as a
    model that copies its data would return; collapsed: only classes 0, 1 and 2;
    independent pixels: binary samples from per-pixel frequencies.
    """
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x_train), generator=g)
    p1 = (x_train > 0.5).float().mean(0).clamp(1e-3, 1 - 1e-3)  # (C, H, W)
    copies = x_train[perm[n:2 * n]] + 0.02 * torch.randn(n, *x_train.shape[1:], generator=g)
    return {"real digits (train split)": x_train[perm[:n]],
            "memorised: train copies + noise": copies.clamp(0, 1),
            "collapsed: only 0, 1, 2": x_train[y_train < 3][:n],
            "independent-pixel samples": torch.bernoulli(p1.expand(n, *p1.shape), generator=g)}


def _log_interval_prob(lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """log(Phi(hi) - Phi(lo)) for lo < hi, accurate far out in either tail."""
    upper = lo > 0  # both in the upper tail: use the mirror image Phi(-lo) - Phi(-hi)
    a, b = torch.where(upper, -hi, lo), torch.where(upper, -lo, hi)
    log_b, log_a = torch.special.log_ndtr(b), torch.special.log_ndtr(a)
    return log_b + torch.log1p(-torch.exp(log_a - log_b))


@torch.no_grad()
def memoriser_log_prob(x_train: torch.Tensor, x: torch.Tensor, h: float = 0.02,
                       levels: int = 17) -> torch.Tensor:
    """log P(x) in nats, (N,), of the model that memorises ``x_train``: a mixture over the
    training images of independent Gaussians of width ``h`` around each of their pixels,
    discretized to the ``levels`` grey levels (cell k is [k - 1/2, k + 1/2] / (levels - 1),
    the end cells open), so that it is a probability of the discrete images like any
    other model's bits/dim. Its samples are training images plus faint noise.
    """
    K = levels - 1
    v = torch.arange(levels, dtype=torch.float64) / K  # (levels,) grey values
    lo = torch.cat([torch.tensor([-math.inf], dtype=torch.float64), v[1:] - 0.5 / K])
    hi = torch.cat([v[:-1] + 0.5 / K, torch.tensor([math.inf], dtype=torch.float64)])
    # table[k, c]: log P(level k | a kernel centred on level c)
    table = _log_interval_prob((lo[:, None] - v[None]) / h, (hi[:, None] - v[None]) / h)
    onehot = lambda t: torch.nn.functional.one_hot(  # noqa: E731  (N, D, levels)
        torch.round(t.flatten(1) * K).long(), levels).double()
    per_train = torch.einsum("mik,kc,nic->mn", onehot(x), table, onehot(x_train))  # (M, N)
    return (torch.logsumexp(per_train, 1) - math.log(len(x_train))).float()
