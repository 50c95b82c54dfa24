"""Distributions with ``sample`` and ``log_prob``, and the Gaussian KL.

    Normal(mu, sigma)          N(mu, diag sigma^2); ``sample`` is reparameterised
    Bernoulli(logits)          independent binary pixels, p = sigmoid(logits)
    Categorical(logits)        independent pixels with L grey levels 0, 1/(L-1), ..., 1
    DiscretizedLogistic(mu, s) the same levels, each the mass of a logistic on its bin
    kl_normal(q, p)            KL(q || p) of two diagonal Gaussians, in closed form
    slerp(z0, z1, w)           the great-circle path between two latents

Each object treats its last ``event_dims`` dimensions as one event: ``log_prob(x)``
sums over them and returns the batch shape, e.g. (B, 1, 8, 8) -> (B,) for an image
likelihood with ``event_dims=3``. Parameters broadcast against ``x``, so a decoder
evaluated at k latent samples (k, B, d) scores data (B, ...) without copies.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, 1) elementwise: -(z^2 + log 2 pi) / 2."""
    return -0.5 * (z ** 2 + math.log(2 * math.pi))


def slerp(z0: torch.Tensor, z1: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of two latents (d,) at weights w (k,) -> (k, d) (White 2016):
    a linear path's midpoint has about 1/sqrt(2) of the norm sqrt(d) near which N(0, I)
    puts its mass in high dimension; the great circle keeps it there."""
    omega = torch.arccos((z0 @ z1 / (z0.norm() * z1.norm())).clamp(-1, 1))  # the angle
    w = w[:, None]
    return (torch.sin((1 - w) * omega) * z0 + torch.sin(w * omega) * z1) / torch.sin(omega)


def bits_per_dim(nll_nats, num_dims: int):
    """A negative log-likelihood in nats per example as bits per dimension: nll / (D ln 2)."""
    return nll_nats / (num_dims * math.log(2))


def _sum_event(t: torch.Tensor, event_dims: int) -> torch.Tensor:
    return t.sum(dim=tuple(range(-event_dims, 0))) if event_dims else t


class Normal:
    """Diagonal Gaussian N(mu, diag sigma^2)."""

    def __init__(self, mu: torch.Tensor, sigma: torch.Tensor, event_dims: int = 1):
        self.mu, self.sigma, self.event_dims = mu, sigma, event_dims

    @property
    def mean(self):
        return self.mu

    def sample(self, shape=()) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): differentiable in mu and sigma."""
        eps = torch.randn(*shape, *self.mu.shape, device=self.mu.device, dtype=self.mu.dtype)
        return self.mu + self.sigma * eps  # (*shape, *batch, *event)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        lp = standard_normal_log_prob((x - self.mu) / self.sigma) - self.sigma.log()
        return _sum_event(lp, self.event_dims)


class Bernoulli:
    """Independent binary variables with log-odds ``logits``."""

    def __init__(self, logits: torch.Tensor, event_dims: int = 1):
        self.logits, self.event_dims = logits, event_dims

    @property
    def mean(self):
        return torch.sigmoid(self.logits)

    def sample(self, shape=()) -> torch.Tensor:
        return torch.bernoulli(self.mean.expand(*shape, *self.logits.shape))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        # x log p + (1 - x) log(1 - p) = x * logits - softplus(logits), stable for any logits
        return _sum_event(x * self.logits - F.softplus(self.logits), self.event_dims)


class Categorical:
    """Independent variables on the L grey levels {0, 1/(L-1), ..., 1}, or (``codes``) on
    the integers 0..L-1 (a VQ-VAE's code map), sampled as long.

    ``logits`` has one trailing axis of size L more than the data. With L = 17 this is
    an exact discrete likelihood of scikit-learn's digits (x * 16 are integers 0..16).
    """

    def __init__(self, logits: torch.Tensor, event_dims: int = 1, codes: bool = False):
        self.logits, self.event_dims, self.codes = logits, event_dims, codes
        self.levels = logits.shape[-1]
        self.values = (torch.arange(self.levels, device=logits.device) if codes else
                       torch.linspace(0, 1, self.levels, device=logits.device, dtype=logits.dtype))

    @property
    def mean(self):
        return (self.logits.softmax(-1) * self.values).sum(-1)

    def sample(self, shape=()) -> torch.Tensor:
        probs = self.logits.softmax(-1).expand(*shape, *self.logits.shape)
        idx = torch.multinomial(probs.reshape(-1, self.levels), 1)
        return self.values[idx].reshape(probs.shape[:-1])

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        log_p = self.logits.log_softmax(-1)  # (*batch, *event, L)
        idx = x.long() if self.codes else torch.round(x * (self.levels - 1)).long()
        idx = idx.expand(log_p.shape[:-1]).unsqueeze(-1)
        return _sum_event(log_p.gather(-1, idx).squeeze(-1), self.event_dims)


class DiscretizedLogistic:
    """Pixels on L levels {0, 1/(L-1), ..., 1}; level k gets the mass of Logistic(mu, s)
    on its bin [x_k - h, x_k + h], h = 1/(2(L-1)), the edge bins reaching to -inf and +inf
    (PixelCNN++, Salimans et al. 2017). Two numbers per pixel instead of L logits."""

    def __init__(self, mu: torch.Tensor, log_s: torch.Tensor, levels: int = 17,
                 event_dims: int = 1):
        self.mu, self.log_s, self.levels, self.event_dims = mu, log_s, levels, event_dims

    def _log_probs(self):
        """log P(level k) for every k: (*batch, *event, L)."""
        L, h = self.levels, 0.5 / (self.levels - 1)
        x_k = torch.linspace(0, 1, L, device=self.mu.device, dtype=self.mu.dtype)
        inv_s = torch.exp(-self.log_s).unsqueeze(-1)
        plus = (x_k + h - self.mu.unsqueeze(-1)) * inv_s
        minus = (x_k - h - self.mu.unsqueeze(-1)) * inv_s
        mid = torch.log((torch.sigmoid(plus) - torch.sigmoid(minus)).clamp_min(1e-12))
        lp = torch.cat([F.logsigmoid(plus[..., :1]), mid[..., 1:-1],
                        F.logsigmoid(-minus[..., -1:])], -1)  # log cdf, log 1 - cdf at edges
        return lp

    @property
    def mean(self):
        values = torch.linspace(0, 1, self.levels, device=self.mu.device, dtype=self.mu.dtype)
        return (self._log_probs().exp() * values).sum(-1)

    def sample(self, shape=()) -> torch.Tensor:
        return Categorical(self._log_probs(), self.event_dims).sample(shape)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return Categorical(self._log_probs(), self.event_dims).log_prob(x)


def kl_normal(q: Normal, p: Normal) -> torch.Tensor:
    """KL(q || p) = sum_j log(s_p/s_q) + (s_q^2 + (m_q - m_p)^2) / (2 s_p^2) - 1/2."""
    kl = (p.sigma.log() - q.sigma.log()
          + (q.sigma ** 2 + (q.mu - p.mu) ** 2) / (2 * p.sigma ** 2) - 0.5)
    return _sum_event(kl, q.event_dims)


def kl_monte_carlo(q: Normal, p: Normal, n: int = 1) -> torch.Tensor:
    """Unbiased estimate of KL(q || p): mean of log q(z) - log p(z) over n draws z ~ q."""
    z = q.sample((n,))
    return (q.log_prob(z) - p.log_prob(z)).mean(0)
