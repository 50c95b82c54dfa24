"""Latent diffusion (Rombach et al. 2022, "Stable Diffusion"): a DDPM in the latent space of
a trained autoencoder, decoded to images.

Symbols:
    x               an image (B, C, H, W) in [0, 1]
    E, D            the autoencoder's encoder (its posterior mean) and decoder (its mean)
    z = E(x) / c    the latent (B, d), divided by c, the latents' standard deviation over
                    the training data (Rombach et al.'s "scale factor"), so that the
                    diffusion starts from N(0, I) at the scale it assumes
    p_theta(z)      the DDPM on z (diffusion.py): trained with the same eps loss, Eq. (14)

Two stages: the autoencoder is trained first and frozen; the DDPM learns p(z). What the
latent space buys is size: eps_theta works on d numbers instead of C H W pixels, with an
MLP instead of a UNet, so training and every one of the T sampling steps are cheaper; the
price is the autoencoder's reconstruction error, a floor under the sample quality.
"""
from __future__ import annotations

import torch
from torch import nn

from .diffusion import DDPM


class LatentDiffusion(nn.Module):
    """``autoencoder`` (``encoder(x).mu`` and ``decode(z)``, e.g. a VAE of vae.py) and
    ``prior``, a DDPM of shape (d,) on its scaled latents. The autoencoder is frozen."""

    def __init__(self, autoencoder: nn.Module, prior: DDPM):
        super().__init__()
        self.autoencoder, self.prior = autoencoder.requires_grad_(False).eval(), prior
        self.register_buffer("c", torch.ones(()))  # the scale factor, set by ``fit_scale``

    def train(self, mode: bool = True):
        super().train(mode)
        self.autoencoder.eval()  # frozen: its own layers stay in evaluation mode
        return self

    @torch.no_grad()
    def encode(self, x):
        """z = E(x) / c: (B, C, H, W) -> (B, d)."""
        return self.autoencoder.encoder(x).mu / self.c

    @torch.no_grad()
    def decode(self, z):
        """x = D(c z): (B, d) -> (B, C, H, W)."""
        return self.autoencoder.decode(z * self.c)

    @torch.no_grad()
    def fit_scale(self, x):
        """c = the standard deviation of the unscaled latents of ``x`` (all dimensions)."""
        self.c.fill_(1.0)
        self.c.fill_(self.encode(x).std().item())

    def loss(self, x):
        """The DDPM's eps loss on z = E(x) / c: only the prior learns."""
        return self.prior.loss(self.encode(x))

    @torch.no_grad()
    def sample(self, n: int):
        """Ancestral sampling of z (T steps of the small eps-network), then one decoder call."""
        return self.decode(self.prior.sample(n))

    @torch.no_grad()
    def ddim_sample(self, n: int, steps: int = 50, eta: float = 0.0):
        return self.decode(self.prior.ddim_sample(n, steps, eta))
