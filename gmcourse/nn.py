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


# --- VAE networks (chapter 04) -------------------------------------------------------

class ConvEncoder(nn.Sequential):
    """Images to a grid of vectors: (B, C, H, W) -> (B, out_dim, H/2^down, W/2^down)."""

    def __init__(self, in_ch: int, out_dim: int, hidden: int = 32, down: int = 1):
        layers: list[nn.Module] = [nn.Conv2d(in_ch, hidden, 3, padding=1), nn.SiLU()]
        for _ in range(down):  # each halves H and W
            layers += [nn.Conv2d(hidden, hidden, 4, stride=2, padding=1), nn.SiLU()]
        layers += [nn.Conv2d(hidden, hidden, 3, padding=1), nn.SiLU(),
                   nn.Conv2d(hidden, out_dim, 1)]
        super().__init__(*layers)


class ConvDecoder(nn.Sequential):
    """The mirror image: (B, in_dim, h, w) -> (B, out_ch, h 2^up, w 2^up), linear output."""

    def __init__(self, in_dim: int, out_ch: int, hidden: int = 32, up: int = 1):
        layers: list[nn.Module] = [nn.Conv2d(in_dim, hidden, 3, padding=1), nn.SiLU()]
        for _ in range(up):  # each doubles H and W
            layers += [nn.ConvTranspose2d(hidden, hidden, 4, stride=2, padding=1), nn.SiLU()]
        layers += [nn.Conv2d(hidden, out_ch, 3, padding=1)]
        super().__init__(*layers)



# --- flow networks (chapter 05) ------------------------------------------------------

class CouplingConvNet(nn.Sequential):
    """A coupling layer's conditioner for images: (B, C_in, H, W) -> (B, C_out, H, W).

    3x3 -> 1x1 -> 3x3 convolutions (RealNVP's and Glow's shape, much smaller); the last
    one starts at zero, so that a coupling layer starts as the identity.
    """

    def __init__(self, in_ch: int, out_ch: int, hidden: int = 64):
        super().__init__(nn.Conv2d(in_ch, hidden, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(hidden, hidden, 1), nn.ReLU(),
                         nn.Conv2d(hidden, out_ch, 3, padding=1))
        nn.init.zeros_(self[-1].weight), nn.init.zeros_(self[-1].bias)



# --- PixelCNN networks (chapter 06) --------------------------------------------------


# --- diffusion networks (chapter 07) -------------------------------------------------


# --- score networks (chapter 08) -----------------------------------------------------
