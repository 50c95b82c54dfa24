"""Divergences and distances between distributions, from densities or from samples.

Symbols: p, q densities (objects with ``log_prob``); x ~ p, y ~ q sample sets (n, d);
k(x, y) a kernel; W_p the p-Wasserstein distance; MMD^2 the squared maximum mean
discrepancy.
"""
from __future__ import annotations

import numpy as np
import ot
import torch


def wasserstein(x: torch.Tensor, y: torch.Tensor, p: int = 1) -> float:
    """W_p between the empirical measures of ``x`` (n, d) and ``y`` (m, d).

    Estimator: an exact optimal-transport solve (POT's network simplex, ``ot.emd2``)
    with Euclidean ground cost to the power p; O(n^3), fine up to a few thousand points.
    """
    a = x.detach().double().cpu().numpy()
    b = y.detach().double().cpu().numpy()
    M = ot.dist(a, b, metric="euclidean") ** p
    cost = ot.emd2(np.full(len(a), 1 / len(a)), np.full(len(b), 1 / len(b)), M,
                   numItermax=10_000_000)
    return float(cost) ** (1 / p)


def gaussian_kernel(x: torch.Tensor, y: torch.Tensor, bandwidth: float = 1.0):
    """k(x, y) = exp(-|x - y|^2 / (2 h^2)): (n, d), (m, d) -> (n, m)."""
    return torch.exp(-torch.cdist(x, y).pow(2) / (2 * bandwidth ** 2))


def mmd2(x: torch.Tensor, y: torch.Tensor, kernel=gaussian_kernel, **kernel_args) -> float:
    """Unbiased estimate of MMD^2 = E k(x,x') + E k(y,y') - 2 E k(x,y).

    Input: two sample sets (n, d) and (m, d). Estimator: the U-statistic (diagonal
    terms dropped), so it averages to 0 when p = q and can be slightly negative.
    """
    n, m = len(x), len(y)
    kxx = kernel(x, x, **kernel_args)
    kyy = kernel(y, y, **kernel_args)
    kxy = kernel(x, y, **kernel_args)
    exx = (kxx.sum() - kxx.diagonal().sum()) / (n * (n - 1))
    eyy = (kyy.sum() - kyy.diagonal().sum()) / (m * (m - 1))
    return (exx + eyy - 2 * kxy.mean()).item()
