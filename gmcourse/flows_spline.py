"""Rational-quadratic spline couplings (Durkan et al. 2019, Neural Spline Flows).

An affine coupling can only stretch and shift each coordinate; a monotone spline with K
bins can bend it into any increasing shape, which sharp edges (the checkerboard) and tight
modes (ring-8) need. Same contract as flows.py:
    forward(x) -> (z, log_det)   data -> latent
    inverse(z) -> (x, log_det)   latent -> data
Symbols: K bins; knots (x^k, y^k) with bin widths w^k, heights h^k, slopes s^k = h^k / w^k;
delta^k the derivative at knot k; xi in [0, 1] the position inside a bin.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .flows import ActNorm, Flow, coupling_mlp, masks_2d


def rq_spline(x, widths, heights, derivs, bound: float, inverse: bool = False):
    """Monotone rational-quadratic spline on [-bound, bound], identity outside.

    Durkan et al. 2019 (Neural Spline Flows), Eq. 4 and App. A. x (N,); widths and heights
    (N, K) unnormalised; derivs (N, K - 1) at the inner knots. Returns (y, log |dy/dx|),
    or, with ``inverse``, (x, log |dx/dy|) for y given as ``x``.
    """
    K, min_size = widths.shape[-1], 1e-3
    inside = x.abs() < bound
    xc = x.clamp(-bound, bound)

    def knots(raw):  # K positive bin sizes summing to 2 * bound -> K + 1 knot positions
        size = min_size + (1 - min_size * K) * torch.softmax(raw, -1)
        k = F.pad(torch.cumsum(size, -1), (1, 0)) * 2 * bound - bound
        k = torch.cat([k.new_full(k[..., :1].shape, -bound), k[..., 1:-1],
                       k.new_full(k[..., :1].shape, bound)], -1)
        return k, k[..., 1:] - k[..., :-1]

    cw, w = knots(widths)
    ch, h = knots(heights)
    one = math.log(math.expm1(1 - min_size))  # softplus(one) + min_size = 1
    d = min_size + F.softplus(F.pad(derivs, (1, 1)) + one)  # (N, K + 1); raw 0 -> slope 1
    edges = (ch if inverse else cw)[..., 1:-1].contiguous()
    k = torch.searchsorted(edges, xc[..., None].contiguous()).squeeze(-1)[..., None]
    cw_k, w_k, ch_k, h_k = cw.gather(-1, k), w.gather(-1, k), ch.gather(-1, k), h.gather(-1, k)
    d0, d1 = d.gather(-1, k), d.gather(-1, k + 1)
    s = h_k / w_k
    xc = xc[..., None]
    if inverse:  # solve the quadratic of App. A for xi, in its stable form
        dy = xc - ch_k
        a = h_k * (s - d0) + dy * (d1 + d0 - 2 * s)
        b = h_k * d0 - dy * (d1 + d0 - 2 * s)
        c = -s * dy
        xi = (2 * c) / (-b - (b ** 2 - 4 * a * c).clamp_min(0).sqrt())
    else:
        xi = (xc - cw_k) / w_k
    xi1 = xi * (1 - xi)
    den = s + (d1 + d0 - 2 * s) * xi1
    y = ch_k + h_k * (s * xi ** 2 + d0 * xi1) / den if not inverse else cw_k + xi * w_k
    log_grad = (2 * s.log() + torch.log(d1 * xi ** 2 + 2 * s * xi1 + d0 * (1 - xi) ** 2)
                - 2 * den.log())  # log dy/dx, Eq. 5
    y, log_grad = y.squeeze(-1), log_grad.squeeze(-1)
    log_grad = -log_grad if inverse else log_grad
    return torch.where(inside, y, x), torch.where(inside, log_grad, torch.zeros_like(x))


class SplineCoupling(nn.Module):
    """Rational-quadratic spline coupling (Durkan et al. 2019) for vectors (B, D).
    forward, data -> latent: z = m * x + (1 - m) * g(x; theta),  theta = net(m * x),
    with g a monotone spline of ``bins`` bins per coordinate; log_det = sum (1 - m) log g'.
    ``net`` maps (B, D) -> (B, D * (3 bins - 1)).
    """

    def __init__(self, mask, net, bins: int = 8, bound: float = 4.0):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.net, self.bins, self.bound = net, bins, bound

    def _apply_spline(self, x, inverse):
        B, D, K = *x.shape, self.bins
        theta = self.net(self.mask * x).view(B, D, 3 * K - 1)
        w, h, d = theta[..., :K], theta[..., K:2 * K], theta[..., 2 * K:]
        y, log_grad = rq_spline(x.reshape(-1), w.reshape(-1, K), h.reshape(-1, K),
                                d.reshape(-1, K - 1), self.bound, inverse)
        y, log_grad = y.view(B, D), log_grad.view(B, D)
        return self.mask * x + (1 - self.mask) * y, ((1 - self.mask) * log_grad).sum(1)

    def forward(self, x):
        return self._apply_spline(x, inverse=False)

    def inverse(self, z):
        return self._apply_spline(z, inverse=True)


def spline_flow_2d(layers: int = 4, hidden: int = 64, depth: int = 2, bins: int = 16,
                   bound: float = 3.0):
    """A neural spline flow for 2D points: [ActNorm, SplineCoupling] x layers."""
    out = []
    for m in masks_2d(layers):
        out += [ActNorm(2), SplineCoupling(m, coupling_mlp(3 * bins - 1, hidden, depth), bins, bound)]
    return Flow(out, shape=(2,))
