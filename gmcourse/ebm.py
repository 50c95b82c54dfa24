"""Energy-based models: a density known up to its constant, exp(-E_theta(x)) / Z_theta,
trained by contrastive divergence on Langevin samples kept in a replay buffer (chapter 08).

Symbols
    E_theta(x)   the energy, a network R^d -> R; low energy = high density
    p_theta      p_theta(x) = exp(-E_theta(x)) / Z_theta,  Z_theta = int exp(-E_theta)    (Eq. 1)
    score        s_theta(x) = grad_x log p_theta(x) = -grad_x E_theta(x): Z drops out    (Eq. 2)
    CD gradient  grad_theta -log p_theta(x) averaged over data
                   = E_data[grad_theta E_theta(x)] - E_{p_theta}[grad_theta E_theta(x-)] (Eq. 3)
    x+, x-       data ("positive") and model samples ("negative")
    loss         mean E(x+) - mean E(x-) + alpha mean(E(x+)^2 + E(x-)^2)               (Eq. 4)
                 (its theta-gradient is Eq. 3 with x- ~ p_theta held fixed, plus a small
                 penalty that keeps the energies near 0; Du and Mordatch 2019)
    Langevin     x <- x + eps/2 s_theta(x) + sqrt(eps) z, z ~ N(0, I)                    (Eq. 5)
    replay       persistent chains (Tieleman 2008; Du and Mordatch 2019): each training step
                 continues ``steps`` Langevin steps from stored samples, a fraction
                 ``restart`` of them reset to uniform noise in [-box, box]^d

In 2D, Z_theta is a sum over a grid (``grid_log_prob``): the normalised density that the
chapter compares with the target by a KL divergence (``grid_kl``).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .viz import grid_cell_area, grid_points


class EBM(nn.Module):
    """p_theta(x) = exp(-E_theta(x)) / Z_theta (Eq. 1) with ``energy``: (B, d) -> (B, 1)."""

    def __init__(self, energy: nn.Module, dim: int = 2, box: float = 4.0,
                 buffer_size: int = 10_000, steps: int = 20, eps: float = 1e-2,
                 restart: float = 0.05, alpha: float = 0.1):
        super().__init__()
        self.energy, self.dim, self.box = energy, dim, box
        self.steps, self.eps, self.restart, self.alpha = steps, eps, restart, alpha
        self.register_buffer("replay", self.noise(buffer_size))

    def E(self, x):  # (B, d) -> (B,)
        return self.energy(x).squeeze(-1)

    def noise(self, n: int, generator=None, device=None):
        """Uniform points in [-box, box]^d: where fresh chains start."""
        return self.box * (2 * torch.rand(n, self.dim, generator=generator, device=device) - 1)

    def score(self, x):
        """s_theta(x) = -grad_x E_theta(x) (Eq. 2), by autograd; (B, d) -> (B, d)."""
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            return -torch.autograd.grad(self.E(x).sum(), x)[0]

    def langevin(self, x, steps: int | None = None, eps: float | None = None, generator=None):
        """``steps`` Langevin steps (Eq. 5) on p_theta from x; returns detached samples."""
        steps = self.steps if steps is None else steps
        eps = self.eps if eps is None else eps
        for _ in range(steps):
            z = torch.randn(x.shape, generator=generator, device=x.device)
            x = x + eps / 2 * self.score(x) + math.sqrt(eps) * z  # Eq. 5
        return x.detach()

    def negatives(self, n: int):
        """x- ~ p_theta (approximately): continue n replay chains, restarting a fraction
        ``restart`` from noise, and store where they end (n <= buffer size)."""
        device = self.replay.device
        idx = torch.randperm(len(self.replay), device=device)[:n]  # n distinct chains
        fresh = torch.rand(n, 1, device=device) < self.restart
        x = torch.where(fresh, self.noise(n, device=device), self.replay[idx])
        x = self.langevin(x)
        self.replay[idx] = x
        return x

    def loss(self, x):
        """Contrastive divergence (Eq. 4): push data energies down, model samples' up."""
        x_neg = self.negatives(len(x))
        e_pos, e_neg = self.E(x), self.E(x_neg)
        return e_pos.mean() - e_neg.mean() + self.alpha * (e_pos ** 2 + e_neg ** 2).mean()

    @torch.no_grad()
    def sample(self, n: int, steps: int = 500, eps: float | None = None, generator=None):
        """Langevin from uniform noise (no buffer): ``steps`` steps of Eq. 5."""
        x = self.noise(n, generator, self.replay.device)
        return self.langevin(x, steps, eps, generator)

    @torch.no_grad()
    def log_prob(self, x, extent: float | None = None, n: int = 200):
        """log p_theta(x) with Z_theta summed on an n x n grid over [-extent, extent]^2."""
        return -self.E(x) - log_partition(lambda y: -self.E(y), extent or self.box, n)


def log_partition(log_density, extent: float, n: int = 200) -> float:
    """log Z = log sum_grid exp(log_density) * cell area: the midpoint rule in 2D."""
    _, _, pts = grid_points(extent, n)
    return (torch.logsumexp(log_density(pts).double(), 0) + math.log(grid_cell_area(extent, n))).item()


@torch.no_grad()
def grid_log_prob(log_density, extent: float, n: int = 200) -> torch.Tensor:
    """log_density (m, 2) -> (m,) on the n x n grid, normalised there: (n*n,) float64."""
    _, _, pts = grid_points(extent, n)
    lp = log_density(pts).double()
    return lp - (torch.logsumexp(lp, 0) + math.log(grid_cell_area(extent, n)))


@torch.no_grad()
def grid_kl(log_p, log_q, extent: float, n: int = 200) -> float:
    """KL(p || q) = int p (log p - log q) on the grid, both normalised there (nats)."""
    lp, lq = grid_log_prob(log_p, extent, n), grid_log_prob(log_q, extent, n)
    p = lp.exp()
    terms = torch.where(p > 0, p * (lp - lq), torch.zeros_like(p))
    return (terms.sum() * grid_cell_area(extent, n)).item()


def gaussian_fit(x: torch.Tensor) -> torch.distributions.MultivariateNormal:
    """The maximum-likelihood Gaussian of samples x (n, d): their mean and covariance."""
    x = x.double()
    return torch.distributions.MultivariateNormal(x.mean(0), torch.cov(x.T))
