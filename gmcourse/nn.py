"""Shared networks. Model families take one of these as their backbone argument.

Each family adds its networks in its own section below, so that one network serves
every chapter that needs it.
"""
from __future__ import annotations

import math

import torch
from torch import nn


class MLP(nn.Sequential):
    """in_dim -> hidden x depth -> out_dim, with a nonlinearity between linear layers."""

    def __init__(self, in_dim: int, out_dim: int, hidden: int = 128, depth: int = 2,
                 act: type[nn.Module] = nn.SiLU, out_act: nn.Module | None = None):
        dims = [in_dim] + [hidden] * depth
        layers: list[nn.Module] = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), act()]
        layers.append(nn.Linear(dims[-1], out_dim))
        if out_act is not None:
            layers.append(out_act)
        super().__init__(*layers)


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0):
    """Transformer-style features of a scalar per example: (B,) -> (B, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period)
                      * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]  # (B, half)
    return torch.cat([args.cos(), args.sin()], dim=-1)


class ConvClassifier(nn.Module):
    """A small CNN classifier for 1-channel images (8x8 digits or 28x28 MNIST).

    ``features(x)`` returns the penultimate activations (B, feat_dim), which the
    evaluation chapter uses as the feature space of its local FID.
    """

    def __init__(self, n_classes: int = 10, channels: int = 32, feat_dim: int = 64):
        super().__init__()
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.SiLU(),
            nn.Conv2d(c, 2 * c, 3, padding=1, stride=2), nn.SiLU(),  # H -> H/2
            nn.Conv2d(2 * c, 2 * c, 3, padding=1), nn.SiLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),  # (B, 2c, H/2, W/2) -> (B, 8c)
            nn.Linear(8 * c, feat_dim), nn.SiLU())
        self.head = nn.Linear(feat_dim, n_classes)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.head(self.body(x))


class TimeMLP(nn.Module):
    """eps_theta(x, t) or s_theta(x, sigma) for 2D data: an MLP that also sees a scalar.

    t (B,) is a timestep or a noise level; it enters through sinusoidal features,
    added to every hidden layer so that the network can change behaviour with t.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32):
        super().__init__()
        self.emb_dim = emb_dim
        self.inp = nn.Linear(dim, hidden)
        self.emb = nn.ModuleList(nn.Linear(emb_dim, hidden) for _ in range(depth))
        self.hidden = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth))
        self.out = nn.Linear(hidden, dim)
        self.act = nn.SiLU()

    def forward(self, x, t):
        e = sinusoidal_embedding(t, self.emb_dim)  # (B,) -> (B, emb_dim)
        h = self.inp(x)
        for lin, emb in zip(self.hidden, self.emb):
            h = lin(self.act(h + emb(e)))
        return self.out(self.act(h))


# --- GAN networks (chapters 02-03) ---------------------------------------------------

class DCGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016): z (B, latent) -> images (B, C, H, W) in [0, 1].

    Guidelines kept: no pooling, fractionally strided convolutions, batch norm, ReLU.
    H and W must be multiples of 4 (8x8 digits, 28x28 MNIST, 32x32 CIFAR-10). The output
    is a sigmoid rather than tanh because the course's images lie in [0, 1].
    n_classes: conditional, G(z, y) sees a learned embedding of the label y (B,).
    """

    def __init__(self, latent_dim: int, image_shape=(1, 8, 8), channels: int = 64,
                 n_classes: int | None = None, emb_dim: int = 16):
        super().__init__()
        C, H, W = image_shape
        c, self.s = channels, (H // 4, W // 4)
        self.embed = nn.Embedding(n_classes, emb_dim) if n_classes else None
        self.fc = nn.Sequential(
            nn.Linear(latent_dim + (emb_dim if n_classes else 0), 2 * c * H * W // 16),
            nn.BatchNorm1d(2 * c * H * W // 16), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * c, c, 4, 2, 1), nn.BatchNorm2d(c), nn.ReLU(),  # H/4 -> H/2
            nn.ConvTranspose2d(c, C, 4, 2, 1), nn.Sigmoid())  # H/2 -> H

    def forward(self, z, y=None):
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], 1)
        h = self.fc(z).reshape(len(z), -1, *self.s)  # (B, 2c * H/4 * W/4) -> (B, 2c, H/4, W/4)
        return self.up(h)


class DCDiscriminator(nn.Module):
    """DCGAN discriminator: strided convolutions, LeakyReLU(0.2), batch norm if ``norm``
    (off for WGAN-GP, whose per-sample penalty batch norm would break).
    n_classes: a projection discriminator (Miyato & Koyama 2018), d = w.h + embed(y).h.
    """

    def __init__(self, image_shape=(1, 8, 8), channels: int = 64,
                 n_classes: int | None = None, norm: bool = True):
        super().__init__()
        C, H, W = image_shape
        c = channels
        self.body = nn.Sequential(
            nn.Conv2d(C, c, 4, 2, 1), nn.LeakyReLU(0.2),  # H -> H/2
            nn.Conv2d(c, 2 * c, 4, 2, 1), nn.BatchNorm2d(2 * c) if norm else nn.Identity(),
            nn.LeakyReLU(0.2), nn.Flatten())  # (B, 2c, H/4, W/4) -> (B, 2c * H/4 * W/4)
        feat = 2 * c * (H // 4) * (W // 4)
        self.out = nn.Linear(feat, 1)
        self.embed = nn.Embedding(n_classes, feat) if n_classes else None

    def forward(self, x, y=None):
        h = self.body(x)
        d = self.out(h).squeeze(1)
        if self.embed is not None:
            d = d + (self.embed(y) * h).sum(1)
        return d



# --- VAE networks (chapter 04) -------------------------------------------------------


# --- flow networks (chapter 05) ------------------------------------------------------


# --- PixelCNN networks (chapter 06) --------------------------------------------------


# --- diffusion networks (chapter 07) -------------------------------------------------


# --- score networks (chapter 08) -----------------------------------------------------
