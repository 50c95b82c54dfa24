"""Score-based models: exact scores, Langevin dynamics and NCSN (chapter 08).

Symbols
    s(x) = grad_x log p(x)                  the score; s_theta(x, sigma) a network's estimate
    p_sigma = p * N(0, sigma^2 I)            the data density perturbed by Gaussian noise
    sigma_1 > ... > sigma_L                  NCSN's noise levels, a geometric sequence
    eps; alpha_i = eps sigma_i^2 / sigma_L^2  Langevin step size; its annealed version
    z ~ N(0, I)                              fresh Gaussian noise at every step

Song and Ermon 2019 (NCSN, "Generative modeling by estimating gradients of the data
distribution"); Song and Ermon 2020 (NCSNv2, "Improved techniques...").
A score function is any ``s(x, c)`` with c a noise level sigma (Langevin) or a time t (the
SDEs of ``gmcourse.sde``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .data import GaussianMixture

# --- exact scores of Gaussian mixtures -------------------------------------------------


def perturbed(p: GaussianMixture, sigma: float, scale: float = 1.0) -> GaussianMixture:
    """The law of scale * x + sigma * z for x ~ p: again a mixture, with means scale mu_k
    and covariances scale^2 Sigma_k + sigma^2 I (a sum of independent Gaussians)."""
    eye = torch.eye(p.means.shape[1], dtype=torch.float64)
    return GaussianMixture(scale * p.means, scale ** 2 * p.covs + sigma ** 2 * eye, p.weights,
                           name=f"{p.name}*N(0,{sigma:.3g}^2)")


class MixtureScore:
    """s(x, sigma, scale) = grad_x log p_sigma(x) for a Gaussian mixture p, in closed form:
    sum_k r_k(x) C_k^{-1} (scale mu_k - x), C_k = scale^2 Sigma_k + sigma^2 I, r_k the
    responsibilities. Fast enough to call at every Langevin step."""

    def __init__(self, p: GaussianMixture):
        self.p = p
        self._cache = {}  # (sigma, scale, dtype, device) -> (scale mu, C^{-1}, log w_k N-const)

    def _terms(self, sigma, scale, x):
        key = (float(sigma), float(scale), x.dtype, x.device)
        if key not in self._cache:
            eye = torch.eye(x.shape[-1], dtype=torch.float64)
            C = scale ** 2 * self.p.covs + sigma ** 2 * eye  # (K, d, d)
            const = self.p.weights.log() - 0.5 * torch.linalg.slogdet(C)[1]
            self._cache[key] = tuple(a.to(x) for a in (scale * self.p.means,
                                                       torch.linalg.inv(C), const))
        return self._cache[key]

    def __call__(self, x: torch.Tensor, sigma: float = 0.0, scale: float = 1.0):
        mean, prec, const = self._terms(sigma, scale, x)
        diff = mean - x[:, None]  # (n, K, d)
        pd = (diff.unsqueeze(-2) @ prec).squeeze(-2)  # C_k^{-1} (scale mu_k - x), C symmetric
        r = torch.softmax(const - 0.5 * (diff * pd).sum(-1), -1)  # (n, K) responsibilities
        return (r.unsqueeze(-1) * pd).sum(1)  # (n, d)


# --- Langevin dynamics ------------------------------------------------------------------

def _z(x, generator):
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


@torch.no_grad()
def langevin(score, x, eps: float, steps: int, generator=None, path: list | None = None):
    """x <- x + eps/2 s(x) + sqrt(eps) z, ``steps`` times (NCSN, Eq. 4).

    ``score(x)`` takes only x. As eps -> 0 and steps -> inf the chain samples p exactly;
    ``path``, if a list, receives every iterate (for plotting trajectories).
    """
    noise = math.sqrt(eps) * torch.randn(steps, *x.shape, generator=generator,
                                          device=x.device, dtype=x.dtype)  # one call: faster
    for z in noise:
        x = x + eps / 2 * score(x) + z  # Eq. (4)
        if path is not None:
            path.append(x)
    return x


@torch.no_grad()
def annealed_langevin(score, x, sigmas, eps: float, steps_each: int, generator=None,
                      path: list | None = None, denoise: bool = False):
    """Langevin at sigma_1 > ... > sigma_L in turn, step alpha_i = eps sigma_i^2/sigma_L^2
    (NCSN, Algorithm 1). ``score(x, sigma)``. ``denoise`` adds Tweedie's last step
    x + sigma_L^2 s(x, sigma_L), the posterior mean E[x_0 | x] (NCSNv2, Appendix)."""
    sigmas = [float(s) for s in sigmas]
    for sigma in sigmas:
        alpha = eps * sigma ** 2 / sigmas[-1] ** 2  # Algorithm 1, line 3
        x = langevin(lambda y: score(y, sigma), x, alpha, steps_each, generator, path)
    if denoise:
        x = x + sigmas[-1] ** 2 * score(x, sigmas[-1])
    return x


def geometric_sigmas(sigma_max: float, sigma_min: float, L: int) -> torch.Tensor:
    """sigma_1 = sigma_max > ... > sigma_L = sigma_min with a constant ratio."""
    return torch.logspace(math.log10(sigma_max), math.log10(sigma_min), L, dtype=torch.float64)


# --- NCSN: denoising score matching at several noise levels ----------------------------

class NCSN(nn.Module):
    """A noise-conditional score network s_theta(x, sigma) = net(c x, log sigma) / sigma.

    Dividing by sigma is NCSNv2's Technique 3: the score of p_sigma has size ~ 1/sigma;
    c = 1/sqrt(sigma^2 + sigma_data^2) gives the network inputs of unit scale at every
    noise level (Karras et al. 2022's c_in), with sigma_data the data's standard deviation.
    ``net(x, c)`` maps (B, *shape) and (B,) to (B, *shape): ``nn.TimeMLP`` for 2D,
    ``nn.ScoreConvNet`` for images. Training draws sigma log-uniformly between sigma_L
    and sigma_1, the continuous version of NCSN's L levels (the VE SDE of Song et al.
    2021), so one network serves annealed Langevin and the SDE samplers alike.
    """

    def __init__(self, net: nn.Module, sigmas, shape=(2,), eps: float = 2e-5,
                 steps_each: int = 100, sigma_data: float = 1.0,
                 clamp: tuple[float, float] | None = None):
        super().__init__()
        self.net, self.shape, self.eps, self.steps_each = net, tuple(shape), eps, steps_each
        self.sigma_data, self.clamp = sigma_data, clamp
        self.register_buffer("sigmas", torch.as_tensor(sigmas, dtype=torch.float32))

    def score(self, x, sigma):
        sigma = torch.as_tensor(sigma, dtype=x.dtype, device=x.device).expand(len(x))
        s = sigma.view(-1, *[1] * (x.dim() - 1))  # (B, 1, ...) broadcasts over x
        return self.net(x / (s ** 2 + self.sigma_data ** 2).sqrt(), sigma.log()) / s

    def loss(self, x):
        """1/2 E || sigma s_theta(x + sigma z, sigma) + z ||^2: NCSN's Eq. (5)-(6), weight
        lambda(sigma) = sigma^2, since grad log N(x~; x, sigma^2) = -(x~ - x)/sigma^2 = -z/sigma."""
        lo, hi = self.sigmas[-1].log(), self.sigmas[0].log()
        sigma = (lo + (hi - lo) * torch.rand(len(x), device=x.device)).exp()  # (B,)
        s = sigma.view(-1, *[1] * (x.dim() - 1))
        z = torch.randn_like(x)
        return 0.5 * (s * self.score(x + s * z, sigma) + z).pow(2).flatten(1).sum(1).mean()

    @torch.no_grad()
    def sample(self, n: int, eps: float | None = None, steps_each: int | None = None,
               sigmas=None, x=None, generator=None, path=None, denoise: bool = True):
        """Annealed Langevin from x ~ N(0, sigma_1^2 I) (or the given x), then denoise."""
        sigmas = self.sigmas if sigmas is None else sigmas
        if x is None:
            x = float(sigmas[0]) * torch.randn(n, *self.shape, generator=generator,
                                               device=self.sigmas.device)
        x = annealed_langevin(self.score, x, sigmas, eps or self.eps,
                              steps_each or self.steps_each, generator, path, denoise)
        return x.clamp(*self.clamp) if self.clamp else x


# --- the two-mode experiment of NCSN's Figure 3 -----------------------------------------

def two_modes() -> GaussianMixture:
    """1/5 N((-5, -5), I) + 4/5 N((5, 5), I): NCSN's Section 3.2.2 example."""
    return GaussianMixture([[-5.0, -5.0], [5.0, 5.0]], std=1.0, weights=[0.2, 0.8],
                           name="two_modes")


def mode_weights(x: torch.Tensor, p: GaussianMixture) -> torch.Tensor:
    """Fraction of the points x (n, d) nearest to each mean of p: (K,)."""
    return torch.bincount(p.component(x), minlength=len(p.means)).double() / len(x)


@dataclass
class Fig3Config:
    """NCSN's Figure 3 (their toy runner): start uniform on [-8, 8]^2; plain Langevin with
    eps = 0.1 for 1000 steps; annealed with 10 levels from 20 to 1, 100 steps each."""
    n: int = 1280
    box: float = 8.0
    eps: float = 0.1
    steps: int = 1000
    sigma_max: float = 20.0
    sigma_min: float = 1.0
    L: int = 10
    steps_each: int = 100


def fig3(cfg: Fig3Config = Fig3Config(), seed: int = 0, p: GaussianMixture | None = None):
    """Plain and annealed Langevin with the exact scores, from the same uniform start.

    Returns a dict of samples (n, 2): ``start``, ``plain``, ``annealed``, ``exact``.
    """
    p = p or two_modes()
    g = torch.Generator().manual_seed(seed)
    s = MixtureScore(p)
    x0 = (2 * torch.rand(cfg.n, 2, generator=g) - 1) * cfg.box
    plain = langevin(s, x0, cfg.eps, cfg.steps, g)
    annealed = annealed_langevin(s, x0, geometric_sigmas(cfg.sigma_max, cfg.sigma_min, cfg.L),
                                 cfg.eps, cfg.steps_each, g)
    return {"start": x0, "plain": plain, "annealed": annealed, "exact": p.sample(cfg.n, g)}


# --- a score network on vectors, for images -------------------------------------------

class Flat(nn.Module):
    """Lets a network on vectors (B, D) act on images (B, C, H, W)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x, c):
        return self.net(x.flatten(1), c).view_as(x)


# --- why scores need noise (issue 20) -----------------------------------------------------

def circle_score(x: torch.Tensor, sigma: float, radius: float = 1.0, n: int = 20_000):
    """The exact score of p_sigma = Uniform(circle of ``radius``) * N(0, sigma^2 I) at
    x (B, 2), by quadrature over n equally spaced angles t_j (spacing << sigma):

        p_sigma(x) ~ sum_j N(x; c(t_j), sigma^2 I),   s(x) = sum_j r_j(x) (c(t_j) - x) / sigma^2

    with r_j the softmax of -|x - c(t_j)|^2 / (2 sigma^2). The data density itself lives on
    a curve: it has no density in 2D, and its score exists nowhere off the curve."""
    x = x.double()
    t = (torch.arange(n, dtype=torch.float64) + 0.5) * (2 * math.pi / n)
    c = radius * torch.stack([t.cos(), t.sin()], 1)  # (n, 2)
    diff = c - x[:, None]  # (B, n, 2)
    r = torch.softmax(-(diff ** 2).sum(-1) / (2 * sigma ** 2), -1)
    return (r[..., None] * diff).sum(1) / sigma ** 2


def denoising_and_fisher(score, p: GaussianMixture, sigma: float, n: int = 100_000,
                         generator=None) -> tuple[float, float]:
    """Monte Carlo estimates, at one noise level, of

        DSM(s)    = 1/2 E_{x ~ p, z} || s(x + sigma z) + z / sigma ||^2
        Fisher(s) = 1/2 E_{x~ ~ p_sigma} || s(x~) - grad log p_sigma(x~) ||^2

    on the same draws; ``score(x)`` takes x alone. Vincent (2011): DSM(s) - Fisher(s) is a
    constant that does not depend on s."""
    x = p.sample(n, generator).double()
    z = torch.randn(x.shape, generator=generator, dtype=torch.float64)
    xt = x + sigma * z
    s = score(xt).double()
    exact = MixtureScore(p)(xt, sigma)
    dsm = 0.5 * (s + z / sigma).pow(2).sum(-1).mean().item()
    fisher = 0.5 * (s - exact).pow(2).sum(-1).mean().item()
    return dsm, fisher
