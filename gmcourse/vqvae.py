"""VQ-VAE: a discrete latent code, learned with the straight-through estimator.

Symbols (van den Oord et al. 2017)
    z_e(x)      encoder output, a grid of vectors (B, D, h, w)
    e_1..e_K    the codebook, K vectors of size D
    k(x)        nearest code at each position: argmin_j ||z_e - e_j||          Eq. (1)
    z_q(x)      e_{k(x)}, the quantized grid the decoder sees
    sg[.]       stop-gradient (``.detach()``)
    loss        ||x - dec(z_q)||^2 + ||sg[z_e] - e||^2 + beta ||z_e - sg[e]||^2   Eq. (2)
                 reconstruction   codebook (moves codes)   commitment (moves the encoder)
    straight-through: z_q = z_e + sg[z_q - z_e], so d loss / d z_e := d loss / d z_q  Eq. (3)
    perplexity  exp(entropy of the code histogram): how many codes are in use
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
import torch.nn.functional as F
from torch import nn

from .nn import ConvDecoder, ConvEncoder


class VectorQuantizer(nn.Module):
    """Nearest-neighbour lookup in a codebook of K vectors of size D."""

    def __init__(self, K: int = 32, D: int = 8):
        super().__init__()
        self.codebook = nn.Embedding(K, D)
        self.codebook.weight.data.uniform_(-1 / K, 1 / K)

    def codes(self, z_e):
        """k(x): index of the nearest code at each position, (B, D, h, w) -> (B, h, w)."""
        flat = z_e.permute(0, 2, 3, 1).reshape(-1, z_e.shape[1])  # (B*h*w, D)
        k = torch.cdist(flat, self.codebook.weight).argmin(-1)  # Eq. (1)
        return k.view(z_e.shape[0], *z_e.shape[2:])

    def lookup(self, k):
        """e_k: (B, h, w) -> (B, D, h, w)."""
        return self.codebook(k).permute(0, 3, 1, 2)

    def forward(self, z_e):
        """(z_q with straight-through gradients, codes, codebook loss, commitment loss)."""
        k = self.codes(z_e)
        z_q = self.lookup(k)
        codebook_loss = F.mse_loss(z_q, z_e.detach())  # ||sg[z_e] - e||^2
        commitment = F.mse_loss(z_e, z_q.detach())     # ||z_e - sg[e]||^2
        z_q = z_e + (z_q - z_e).detach()               # Eq. (3)
        return z_q, k, codebook_loss, commitment


class VQVAE(nn.Module):
    """``loss`` (Eq. 2), ``encode`` -> codes, ``decode`` codes -> images, ``sample``.

    The prior over codes is a histogram per grid position (``fit_prior``), so samples
    draw each position independently; an autoregressive prior over the grid (a PixelCNN,
    chapter 06) is what makes VQ-VAE samples good.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, quantizer: VectorQuantizer,
                 beta: float = 0.25):
        super().__init__()
        self.encoder, self.decoder, self.quantizer, self.beta = encoder, decoder, quantizer, beta
        self.register_buffer("log_prior", torch.zeros(0))  # (h, w, K) once fitted

    def loss(self, x):
        z_q, _, codebook_loss, commitment = self.quantizer(self.encoder(x))
        rec = F.mse_loss(self.decoder(z_q), x)  # Gaussian decoder, fixed variance
        return rec + codebook_loss + self.beta * commitment  # Eq. (2)

    @torch.no_grad()
    def encode(self, x):
        return self.quantizer.codes(self.encoder(x))  # (B, C, H, W) -> (B, h, w)

    @torch.no_grad()
    def decode(self, k):
        return self.decoder(self.quantizer.lookup(k)).clamp(0, 1)

    @torch.no_grad()
    def reconstruct(self, x):
        return self.decode(self.encode(x))

    @torch.no_grad()
    def code_usage(self, x):
        """Fraction of the positions of x that use each code: (K,)."""
        K = self.quantizer.codebook.num_embeddings
        counts = torch.bincount(self.encode(x).flatten(), minlength=K).float()
        return counts / counts.sum()

    def perplexity(self, x) -> float:
        """exp(H(usage)): K when all codes are used equally, 1 when one code is."""
        p = self.code_usage(x)
        return torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).item()

    @torch.no_grad()
    def fit_prior(self, x, alpha: float = 0.01):
        """The histogram prior: p(k at position (i, j)), add-alpha smoothed, from codes of x."""
        k = self.encode(x)  # (N, h, w)
        K = self.quantizer.codebook.num_embeddings
        counts = F.one_hot(k, K).float().sum(0) + alpha  # (h, w, K)
        self.log_prior = (counts / counts.sum(-1, keepdim=True)).log()
        return self

    @torch.no_grad()
    def sample(self, n: int):
        """Codes drawn from the histogram prior, decoded: (n, C, H, W) in [0, 1]."""
        if self.log_prior.numel() == 0:
            raise RuntimeError("call fit_prior(x_train) before sampling")
        h, w, K = self.log_prior.shape
        probs = self.log_prior.exp().reshape(h * w, K)
        k = torch.multinomial(probs, n, replacement=True).T.reshape(n, h, w)
        return self.decode(k)


@dataclass
class VQConfig:
    K: int = 32           # codebook size
    D: int = 8            # code dimension
    hidden: int = 32      # channels of the conv encoder / decoder
    downsample: int = 1   # halvings of the image side: 8x8 digits -> a 4x4 code grid
    beta: float = 0.25
    steps: int = 2000
    batch_size: int = 128
    lr: float = 2e-3


def build_vqvae(cfg: VQConfig, channels: int = 1) -> VQVAE:
    return VQVAE(ConvEncoder(channels, cfg.D, cfg.hidden, cfg.downsample),
                 ConvDecoder(cfg.D, channels, cfg.hidden, cfg.downsample),
                 VectorQuantizer(cfg.K, cfg.D), cfg.beta)


def train_vqvae(cfg: VQConfig, x, seed: int = 0, progress=True, model: VQVAE | None = None):
    """Fit a VQ-VAE on images x and its histogram prior; returns (model, history)."""
    from .train import TrainConfig, fit
    torch.manual_seed(seed)
    model = model or build_vqvae(cfg, x.shape[1]).to(x.device)
    history = fit(model, x, TrainConfig(steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                                        seed=seed), progress=progress, desc=f"VQ-VAE K={cfg.K}")
    model.fit_prior(x)
    return model, history


DIGITS_VQVAE = VQConfig()


def digits_vqvae(seed: int = 0, steps: int | None = None) -> VQVAE:
    """The digits VQ-VAE of chapter 09 (CPU, eval mode), trained once and cached.

    ``sample(n)`` -> (n, 1, 8, 8) in [0, 1], codes from a per-position histogram prior.
    No ``bits_per_dim``: the decoder is a fixed-variance Gaussian fitted by squared
    error, so the model defines no likelihood of the 17-level digits.
    """
    from .checkpoint import cached
    from .data import load_images
    cfg = DIGITS_VQVAE if steps is None else replace(DIGITS_VQVAE, steps=steps)
    x = load_images("digits", "train")

    def build():
        torch.manual_seed(seed)
        model = build_vqvae(cfg)
        side = 8 >> cfg.downsample  # the code grid of 8x8 digits
        model.log_prior = torch.zeros(side, side, cfg.K)  # the shape its checkpoint holds
        return model

    return cached(f"digits_vqvae_s{seed}", {**asdict(cfg), "seed": seed}, build,
                  lambda m: train_vqvae(cfg, x, seed, progress=False, model=m))
