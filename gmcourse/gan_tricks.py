"""Three of the GAN "hacks" of chapter 02, as objects of gan.py's interfaces.

Symbols as in gan.py: d(x) is D's logit, D(x) = sigmoid(d(x)).
    s          one-sided label smoothing: D's target for real data is 1 - s, for fakes 0
               (Salimans et al. 2016, Sec. 3.4)
    q          noisy labels: each of D's targets is flipped with probability q
    sigma_k    instance noise after k of K discriminator steps: D sees x + sigma_k e,
               e ~ N(0, I), real and generated samples alike, sigma_k = sigma_0 (1 - k/K)
               (Arjovsky & Bottou 2017; Sonderby et al. 2017)

Why instance noise: p and p_g on thin supports barely overlap, so JS(p || p_g) is log 2
wherever G stands and gives G no direction; convolving both with the same Gaussian makes
them overlap (chapter 01's blurred lines), and annealing sigma to 0 recovers the original
game at the end.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .gan import NonSaturating


class SmoothedLabels(NonSaturating):
    """The non-saturating game with D's targets softened (s) or flipped at random (q)."""

    def __init__(self, smooth: float = 0.0, flip: float = 0.0):
        self.smooth, self.flip = smooth, flip

    def d_loss(self, d_real, d_fake):
        y_real, y_fake = torch.full_like(d_real, 1 - self.smooth), torch.zeros_like(d_fake)
        if self.flip:  # each target swapped with probability q
            y_real = torch.where(torch.rand_like(y_real) < self.flip, 1 - y_real, y_real)
            y_fake = torch.where(torch.rand_like(y_fake) < self.flip, 1 - y_fake, y_fake)
        # s = q = 0: softplus(-d_real) + softplus(d_fake), Minimax's d_loss
        return (F.binary_cross_entropy_with_logits(d_real, y_real)
                + F.binary_cross_entropy_with_logits(d_fake, y_fake))


class _NoisyInput(nn.Module):
    """D(x + sigma e) while training; D(x) in eval mode (DRS, figures)."""

    def __init__(self, D: nn.Module, sigma: float):
        super().__init__()
        self.D = D
        self.register_buffer("sigma", torch.tensor(float(sigma)))

    def forward(self, x, *args):
        if self.training:
            x = x + self.sigma * torch.randn_like(x)
        return self.D(x, *args)


class InstanceNoise:
    """A constraint in gan.py's sense (``wrap(D)`` once, ``after_step(D)`` after each D
    step): Gaussian noise of std sigma_k on every input of D, decayed linearly to 0 over
    ``steps`` discriminator steps. G's step sees the same noise, through the same D."""

    def __init__(self, sigma0: float, steps: int):
        self.sigma0, self.steps, self.k = sigma0, steps, 0

    def wrap(self, D: nn.Module) -> nn.Module:
        return _NoisyInput(D, self.sigma0)

    @torch.no_grad()
    def after_step(self, D: nn.Module):
        self.k += 1
        D.sigma.fill_(self.sigma0 * max(0.0, 1 - self.k / self.steps))
