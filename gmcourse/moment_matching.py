"""A generator trained on chapter 01's MMD estimator, with no discriminator (chapter 02).

Symbols
    G(z), z ~ N(0, I)        the generator; its samples have the implicit density p_g
    k(x, y)                  sum_h exp(-|x - y|^2 / 2h^2): Gaussian kernels of several widths h
    MMD^2(p, p_g)            E k(x, x') + E k(y, y') - 2 E k(x, y),  x, x' ~ p, y, y' ~ p_g

MMD^2 is zero only when p_g = p (for a characteristic kernel such as the Gaussian), and its
minibatch U-statistic is an unbiased estimate with a gradient: so G can descend it directly
[GMMN Eq. 3]. No player judges the samples: the kernel is fixed, and what it cannot resolve
(scales finer than its narrowest width) the generator is never asked to get right. MMD-GAN
[MMD-GAN] learns the kernel's features adversarially, bringing the discriminator back as a
feature map.

[GMMN] Li, Swersky and Zemel 2015, "Generative moment matching networks"; Dziugaite, Roy
and Ghahramani 2015, "Training generative neural networks via maximum mean discrepancy
optimization"; [MMD-GAN] Li et al. 2017, "MMD GAN: towards deeper understanding of moment
matching network".
"""
from __future__ import annotations

import torch
from torch import nn

from .divergences import gaussian_kernel, mmd2_tensor


def multi_kernel(x, y, bandwidths=(0.02, 0.05, 0.2, 1.0)):
    """sum_h k_h(x, y), (n, d), (m, d) -> (n, m): the narrow widths resolve tight modes, the
    wide ones still pull samples that are far from every data point."""
    return sum(gaussian_kernel(x, y, h) for h in bandwidths)


class MMDGenerator(nn.Module):
    """G(z) trained by minimising the minibatch MMD^2 to the data [GMMN Sec. 3]; G: a
    network (B, latent_dim) -> (B, ...)."""

    def __init__(self, G: nn.Module, latent_dim: int = 2, bandwidths=(0.02, 0.05, 0.2, 1.0)):
        super().__init__()
        self.G, self.latent_dim, self.bandwidths = G, latent_dim, tuple(bandwidths)

    def generate(self, n: int):
        """G(z) for n fresh latents, with gradients."""
        z = torch.randn(n, self.latent_dim, device=next(self.G.parameters()).device)
        return self.G(z)

    def loss(self, x):
        """The unbiased MMD^2 estimate between a data batch and as many samples of G."""
        y = self.generate(len(x))
        return mmd2_tensor(x.flatten(1), y.flatten(1), multi_kernel, bandwidths=self.bandwidths)

    @torch.no_grad()
    def sample(self, n: int):
        return self.generate(n)
