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
    def prior_log_prob(self, k):
        """log p(k) of code maps k (N, h, w) under the histogram prior, in nats: (N,)."""
        log_prior = self.log_prior.expand(len(k), *self.log_prior.shape)  # (N, h, w, K)
        return log_prior.gather(-1, k[..., None]).flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int):
        """Codes drawn from the histogram prior, decoded: (n, C, H, W) in [0, 1]."""
        if self.log_prior.numel() == 0:
            raise RuntimeError("call fit_prior(x_train) before sampling")
        h, w, K = self.log_prior.shape
        probs = self.log_prior.exp().reshape(h * w, K)
        k = torch.multinomial(probs, n, replacement=True).T.reshape(n, h, w)
        return self.decode(k)


def build_vqvae(channels: int = 1, K: int = 32, D: int = 8, hidden: int = 32,
                downsample: int = 1, beta: float = 0.25) -> VQVAE:
    """Conv encoder and decoder around a codebook of K vectors of size D; each halving
    (``downsample``) of the image side shrinks the code grid, 8x8 digits -> 4x4 at 1."""
    return VQVAE(ConvEncoder(channels, D, hidden, downsample),
                 ConvDecoder(D, channels, hidden, downsample), VectorQuantizer(K, D), beta)
