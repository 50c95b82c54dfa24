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


# --- GAN networks (chapters 02-03) ---------------------------------------------------


# --- VAE networks (chapter 04) -------------------------------------------------------


# --- flow and PixelCNN networks (chapters 05-06) -------------------------------------


# --- diffusion and score networks (chapters 07-08) -----------------------------------
