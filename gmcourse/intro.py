"""Chapter 00: the smallest differentiable generator, and change of variables in 1D.

Symbols: z ~ N(0, I) latent noise; x = mu + L z the generator (L lower triangular with
a positive diagonal); Sigma = L L^T; f a monotone map x = f(z); p_z, p_x densities.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .dists import standard_normal_log_prob
from .train import TrainConfig, fit


class AffineGenerator(nn.Module):
    """x = mu + L z, z ~ N(0, I): the generator whose output is exactly N(mu, L L^T).

    Trained by maximum likelihood through the change of variables
    log p(x) = log N(L^{-1}(x - mu); 0, I) - log|det L|                       (Eq. 1)
    so ``loss(x)`` is the mean negative log-likelihood of a batch.
    """

    def __init__(self, dim: int = 2):
        super().__init__()
        self.mu = nn.Parameter(torch.zeros(dim))
        self.L_raw = nn.Parameter(torch.zeros(dim, dim))  # diag enters through exp

    @property
    def L(self) -> torch.Tensor:
        return torch.tril(self.L_raw, -1) + torch.diag(self.L_raw.diagonal().exp())

    def sample(self, n: int) -> torch.Tensor:
        z = torch.randn(n, len(self.mu), device=self.mu.device)
        return self.mu + z @ self.L.T  # (n, d)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.linalg.solve_triangular(self.L, (x - self.mu).T, upper=False).T
        log_det = self.L_raw.diagonal().sum()  # log|det L| for a triangular L
        return standard_normal_log_prob(z).sum(-1) - log_det

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return -self.log_prob(x).mean()


@dataclass
class AffineFitConfig:
    """The chapter's settings for learning mu + L z from samples of N(mu, Sigma)."""
    mu: list = field(default_factory=lambda: [1.0, -0.5])
    Sigma: list = field(default_factory=lambda: [[2.0, 1.2], [1.2, 1.5]])
    n: int = 20_000
    steps: int = 1500
    lr: float = 0.02
    batch_size: int = 512
    seed: int = 0


def relative_error(A: torch.Tensor, B: torch.Tensor) -> float:
    """||A - B||_F / ||B||_F."""
    return (torch.linalg.norm(A - B) / torch.linalg.norm(B)).item()


def fit_affine(cfg: AffineFitConfig = AffineFitConfig(), progress: bool = True):
    """Fit an ``AffineGenerator`` to samples of N(mu, Sigma); returns (model, data, history)."""

    g = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    target = torch.distributions.MultivariateNormal(torch.tensor(cfg.mu),
                                                    torch.tensor(cfg.Sigma))
    L_true = target.scale_tril
    x = torch.tensor(cfg.mu) + torch.randn(cfg.n, 2, generator=g) @ L_true.T
    model = AffineGenerator(2)
    history = fit(model, x, TrainConfig(steps=cfg.steps, lr=cfg.lr, batch_size=cfg.batch_size,
                                        seed=cfg.seed), progress=progress, desc="affine generator")
    return model, x, history


# --- change of variables in 1D --------------------------------------------------------

def sinh_map(z: torch.Tensor, a: float) -> torch.Tensor:
    """x = f(z) = sinh(a z) / a: monotone, the identity as a -> 0, heavy tails as a grows."""
    return torch.sinh(a * z) / a


def sinh_map_log_prob(x: torch.Tensor, a: float) -> torch.Tensor:
    """log p_x(x) = log p_z(f^{-1}(x)) + log|d f^{-1}/dx|                      (Eq. 2)

    with f^{-1}(x) = asinh(a x) / a and d f^{-1}/dx = 1 / sqrt(1 + (a x)^2).
    """
    z = torch.asinh(a * x) / a
    log_pz = standard_normal_log_prob(z)
    return log_pz - 0.5 * torch.log1p((a * x) ** 2)


def histogram_check(a: float, n: int = 200_000, bins: int = 60, lim: float = 4.0,
                    seed: int = 0) -> dict:
    """Compare Eq. 2 with a histogram of f(z): bin probabilities and their largest gap."""
    g = torch.Generator().manual_seed(seed)
    x = sinh_map(torch.randn(n, generator=g, dtype=torch.float64), a)
    edges = torch.linspace(-lim, lim, bins + 1, dtype=torch.float64)
    counts = torch.histogram(x, edges).hist / n
    # exact bin probabilities: integrate the density with a fine midpoint rule
    fine = torch.linspace(-lim, lim, bins * 200 + 1, dtype=torch.float64)
    mid = (fine[1:] + fine[:-1]) / 2
    mass = (sinh_map_log_prob(mid, a).exp() * (fine[1] - fine[0])).reshape(bins, 200).sum(1)
    total = (sinh_map_log_prob(mid, a).exp() * (fine[1] - fine[0])).sum()
    inside = ((x > -lim) & (x < lim)).double().mean()
    return {"edges": edges, "hist": counts, "exact": mass,
            "max_gap": (counts - mass).abs().max().item(),
            "mass_formula": total.item(), "mass_samples": inside.item()}


def dims_for_variance(x: torch.Tensor, fraction: float = 0.9) -> int:
    """How many principal components carry ``fraction`` of the variance of ``x`` (N, ...)."""
    x = x.reshape(len(x), -1).double()
    s = torch.linalg.svdvals(x - x.mean(0)) ** 2
    return int((s.cumsum(0) / s.sum() < fraction).sum()) + 1
