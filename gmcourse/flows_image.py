"""Flows for images: squeeze, multi-scale split, logit and dequantization, a Glow for digits.

Symbols (chapter 05, continuing flows.py):
    x         an image of D pixels with L grey levels, x * (L - 1) in {0, ..., L - 1}
    u         uniform noise in [0, 1)^D;  y = (x (L - 1) + u) / L in [0, 1)^D, the dequantized image
    P(x) = int p(y) dy over the cell of x  >=  exp(E_u log p(y)) / L^D          Eq. (2)
    bits/dim = -log2 P(x) / D <= -(E_u log p(y) - D log L) / (D log 2)     an upper bound
Layers keep the contract of flows.py: forward(x) -> (z, log_det) is data -> latent.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .dists import bits_per_dim
from .flows import ActNorm, AffineCoupling, Flow, Inverse, InvConv1x1
from .nn import CouplingConvNet


class Squeeze(nn.Module):
    """forward: (B, C, H, W) -> (B, 4C, H/2, W/2), each 2x2 patch into channels; log_det 0."""

    def forward(self, x):
        B, C, H, W = x.shape
        x = x.view(B, C, H // 2, 2, W // 2, 2).permute(0, 1, 3, 5, 2, 4)
        return x.reshape(B, 4 * C, H // 2, W // 2), x.new_zeros(B)

    def inverse(self, z):
        B, C, H, W = z.shape
        z = z.view(B, C // 4, 2, 2, H, W).permute(0, 1, 4, 2, 5, 3)
        return z.reshape(B, C // 4, 2 * H, 2 * W), z.new_zeros(B)


class Split(nn.Module):
    """Multi-scale architecture (Dinh et al. 2017, Sec. 3.6). forward, data -> latent:
    half of the channels leave as latents at once (factored out, unchanged); the other half
    go through ``layers`` (which must return their input's shape), so deeper layers work
    on fewer dimensions. log_det is that of ``layers``.
    """

    def __init__(self, layers):
        super().__init__()
        self.flow = Flow(layers, shape=())

    def forward(self, x):
        h, out = x.chunk(2, dim=1)  # (B, C, H, W) -> 2 x (B, C/2, H, W)
        h, log_det = self.flow(h)
        return torch.cat([h, out], 1), log_det

    def inverse(self, z):
        h, out = z.chunk(2, dim=1)
        h, log_det = self.flow.inverse(h)
        return torch.cat([h, out], 1), log_det


class Logit(nn.Module):
    """forward, data -> latent: z = logit(alpha + (1 - 2 alpha) y) for y in [0, 1]
    (RealNVP, Sec. 4.1): a flow on an unbounded space needs an unbounded input.
    log_det = sum log(1 - 2 alpha) - log p - log(1 - p), p = alpha + (1 - 2 alpha) y.
    """

    def __init__(self, alpha: float = 0.05):
        super().__init__()
        self.alpha = alpha

    def forward(self, y):
        p = self.alpha + (1 - 2 * self.alpha) * y
        log_det = math.log(1 - 2 * self.alpha) - p.log() - (1 - p).log()
        return p.log() - (1 - p).log(), log_det.flatten(1).sum(1)

    def inverse(self, z):
        p = torch.sigmoid(z)
        log_det = F.logsigmoid(z) + F.logsigmoid(-z) - math.log(1 - 2 * self.alpha)
        return (p - self.alpha) / (1 - 2 * self.alpha), log_det.flatten(1).sum(1)


def checkerboard_mask(H: int, W: int, parity: int = 0) -> torch.Tensor:
    """A (1, H, W) mask with alternating pixels: RealNVP's spatial coupling."""
    i, j = torch.meshgrid(torch.arange(H), torch.arange(W), indexing="ij")
    return ((i + j + parity) % 2).float()[None]


def channel_mask(C: int, parity: int = 0) -> torch.Tensor:
    """A (C, 1, 1) mask keeping half of the channels: RealNVP's channel coupling."""
    m = (torch.arange(C) < C // 2).float()
    return (m if parity == 0 else 1 - m)[:, None, None]


def glow_step(C: int, hidden: int, parity: int) -> list[nn.Module]:
    """One Glow step: ActNorm, invertible 1x1 convolution, affine coupling over channels."""
    return [ActNorm(C), InvConv1x1(C),
            AffineCoupling(channel_mask(C, parity), CouplingConvNet(C, 2 * C, hidden))]


class DequantizedFlow(Flow):
    """A flow on [0, 1]-images of ``levels`` grey levels, trained on dequantized y (Eq. 2).

    ``loss`` and ``bits_per_dim`` are the bound of Eq. (2), in bits per dimension;
    ``sample`` returns images on the same grid of levels.
    """

    def __init__(self, layers, shape, levels: int = 17):
        super().__init__(layers, shape)
        self.levels = levels

    def dequantize(self, x):
        u = torch.rand_like(x)
        return (x * (self.levels - 1) + u) / self.levels  # y in [0, 1)

    def bits_bound(self, x):
        """-(log p(y) - D log L) / (D log 2) per image, for one draw of u: (B,)."""
        D = x[0].numel()
        return bits_per_dim(-(self.log_prob(self.dequantize(x)) - D * math.log(self.levels)), D)

    def loss(self, x):
        return self.bits_bound(x).mean()

    @torch.no_grad()
    def bits_per_dim(self, x, draws: int = 4) -> float:
        """Upper bound on test bits/dim (Eq. 2), averaged over ``draws`` of the noise u."""
        x = x.to(self._ref.device)
        return sum(self.bits_bound(x).mean().item() for _ in range(draws)) / draws

    @torch.no_grad()
    def sample(self, n: int, temperature: float = 1.0):
        y = super().sample(n, temperature)
        k = (y * self.levels).floor().clamp(0, self.levels - 1)  # the cell that y falls in
        return k / (self.levels - 1)


def glow(steps_per_scale: int = 4, hidden: int = 64, alpha: float = 0.05, levels: int = 17,
         shape=(1, 8, 8)) -> DequantizedFlow:
    """A two-scale Glow: K = ``steps_per_scale`` steps at (4C, H/2, W/2), split, K steps at
    (8C, H/4, W/4); for (1, 8, 8) digits, 4x4x4 and 2x2x8."""
    C, H, W = shape
    inner = [Squeeze()]  # (2C, H/2, W/2) -> (8C, H/4, W/4)
    for k in range(steps_per_scale):
        inner += glow_step(8 * C, hidden, k % 2)
    inner.append(Inverse(Squeeze()))  # back to (2C, H/2, W/2), as Split needs
    layers = [Logit(alpha), Squeeze()]  # (C, H, W) -> (4C, H/2, W/2)
    for k in range(steps_per_scale):
        layers += glow_step(4 * C, hidden, k % 2)
    layers.append(Split(inner))
    return DequantizedFlow(layers, shape=(4 * C, H // 2, W // 2), levels=levels)
