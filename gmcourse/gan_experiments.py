"""Chapters 02-03's experiments on 2D data: the optimal discriminator, mode coverage
of GAN recipes on the ring of 8 and the grid of 25, and the critics of WGANs.

Symbols as in ``gan.py``: p the data, p_g the generator's density, D* = p / (p + p_g).
Each function returns plain numbers, so that tests and benchmarks check what the
chapters print.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch
from torch import nn

from .config import seed_everything
from .data import GaussianMixture, grid25, ring8, two_gaussians
from .gan import (FGAN, GAN, Hinge, LeastSquares, Minimax, NonSaturating,
                  optimal_discriminator, rejection_sample)
from .metrics import mode_coverage
from .nn import MLP
from .train import Game, TrainConfig, constant, fit_adversarial, linear_decay


def discriminator_vs_optimum(seed: int = 0, steps: int = 1000, scale: float = 2.0,
                             extent: float = 3.0, n: int = 41, progress: bool = False) -> dict:
    """Train D alone against a fixed generator whose density is known, compare with D*.

    p: two Gaussians at (+-2, 0), std 1; G(z) = scale z, so p_g = N(0, scale^2 I).
    Returns the grid, D and D* on it (n, n), and their mean absolute error.
    """
    seed_everything(seed)
    p = two_gaussians()
    G = nn.Linear(2, 2)
    with torch.no_grad():
        G.weight.copy_(scale * torch.eye(2)), G.bias.zero_()
    G.requires_grad_(False)
    p_g = GaussianMixture([[0.0, 0.0]], std=scale)
    gan = GAN(G, MLP(2, 1, hidden=64, depth=2, act=nn.LeakyReLU), NonSaturating(), 2)
    fit_adversarial(gan, p, TrainConfig(steps=steps, batch_size=256, lr=2e-3,
                                        betas=(0.5, 0.999), schedule=linear_decay),
                    Game(train_generator=False), progress=progress, desc="D against a fixed G")
    s = torch.linspace(-extent, extent, n)
    xx, yy = torch.meshgrid(s, s, indexing="xy")
    pts = torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)  # (n*n, 2)
    with torch.no_grad():
        D = torch.sigmoid(gan.D(pts).reshape(n, n))
    D_star = optimal_discriminator(p.log_prob(pts), p_g.log_prob(pts)).reshape(n, n)
    return {"xx": xx, "yy": yy, "D": D, "D_star": D_star, "p": p, "p_g": p_g,
            "mae": (D - D_star).abs().mean().item()}


# --- mode coverage on the VEEGAN/PacGAN mixtures -----------------------------------------


@dataclass
class ToyGANConfig:
    """A GAN recipe for 2D mixtures. The defaults are the plain ("vanilla") GAN."""
    target: str = "ring8"
    loss: str = "ns"         # a key of LOSSES
    steps: int = 3000
    batch_size: int = 256
    hidden: int = 128
    depth: int = 3
    d_hidden: int | None = None  # the discriminator's width and depth (None: as G's)
    d_depth: int | None = None
    latent_dim: int = 2
    lr: float = 1e-3
    betas: tuple = (0.5, 0.999)
    pack: int = 1
    r1: float = 0.0
    ema: float | None = None
    lr_decay: bool = False
    drs: bool = False        # discriminator rejection sampling after training
    calibrate: int = 0       # D-only steps against the final (averaged) G before DRS
    seed: int = 0


LOSSES = {"minimax": Minimax, "ns": NonSaturating, "lsgan": LeastSquares, "hinge": Hinge,
          "f-kl": lambda: FGAN("kl"), "f-reverse_kl": lambda: FGAN("reverse_kl"),
          "f-js": lambda: FGAN("js"), "f-pearson": lambda: FGAN("pearson")}


def toy_gan(cfg: ToyGANConfig) -> GAN:
    G = MLP(cfg.latent_dim, 2, hidden=cfg.hidden, depth=cfg.depth, act=nn.ReLU)
    D = MLP(2 * cfg.pack, 1, hidden=cfg.d_hidden or cfg.hidden, depth=cfg.d_depth or cfg.depth,
            act=nn.LeakyReLU)
    return GAN(G, D, LOSSES[cfg.loss](), cfg.latent_dim, pack=cfg.pack, r1=cfg.r1, ema=cfg.ema)


def train_toy_gan(cfg: ToyGANConfig, progress: bool = True, callback=None):
    """Train one recipe; returns (gan, target, history)."""
    seed_everything(cfg.seed)
    target = {"ring8": ring8, "grid25": grid25}[cfg.target]()
    gan = toy_gan(cfg)
    hist = fit_adversarial(gan, target, TrainConfig(
        steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, betas=cfg.betas,
        schedule=linear_decay if cfg.lr_decay else constant),
        progress=progress, callback=callback, desc=f"GAN on {cfg.target}")
    if cfg.calibrate:
        if gan.G_ema is not None:  # D should judge the generator we will sample from
            gan.G.load_state_dict(gan.G_ema.net.state_dict())
        fit_adversarial(gan, target, TrainConfig(steps=cfg.calibrate, batch_size=cfg.batch_size,
                                                 lr=cfg.lr / 4, betas=cfg.betas),
                        Game(train_generator=False), progress=progress, desc="calibrating D")
    return gan, target, hist


def coverage_of(gan: GAN, target, drs: bool = False, n: int = 2500, seed: int = 0):
    """(coverage, acceptance rate, samples) of n samples (2,500 as in PacGAN), after DRS
    if ``drs``."""
    torch.manual_seed(seed)
    x, rate = rejection_sample(gan, n) if drs else (gan.sample(n), 1.0)
    return mode_coverage(x, target), rate, x


def coverage_run(cfg: ToyGANConfig, progress: bool = False) -> dict:
    """Train one recipe and measure it: a benchmark row."""
    t0 = time.perf_counter()
    gan, target, _ = train_toy_gan(cfg, progress)
    seconds = time.perf_counter() - t0
    cov, rate, _ = coverage_of(gan, target, drs=cfg.drs)
    return {"modes": cov.modes, "total": cov.total, "high_quality": cov.high_quality,
            "reverse_kl": cov.reverse_kl, "accept_rate": rate, "seconds": seconds}


VANILLA = ToyGANConfig()
# One recipe for both targets (``python -m gmcourse.bench gan`` measures it over 3 seeds).
# R1 (Mescheder et al. 2018) is the damping that makes the Dirac-GAN converge (chapter 02,
# section 6): with it the game settles instead of circling, so G keeps every mode while it
# sharpens over 7,000 steps; without it the same steps sharpen the modes but drop several.
# gamma = 0.03 (tried 0.001-0.05 on one seed of the grid: 0.01 or less still drops modes).
# The average of G removes what oscillation is left. lr 2e-3 decayed linearly to 0: on the
# grid's 3 seeds, a constant 1e-3 left 86-93% of the samples high quality after DRS, this
# 91-94%. DRS after 500 calibration steps of D against the averaged G removes part of
# the remaining mass between modes.
BEST = ToyGANConfig(steps=7000, lr=2e-3, lr_decay=True, r1=0.03, ema=0.999, drs=True,
                    calibrate=500)


def recipe(base: ToyGANConfig, **kw) -> ToyGANConfig:
    return replace(base, **kw)


# --- chapter 03: Wasserstein critics side by side ------------------------------------------


@dataclass
class WGANRun:
    """One WGAN on a 2D target; the optimiser is the method's paper's (``WGAN_TRAINING``)."""
    method: str = "gp"       # "clip", "gp" or "sn"
    target: str = "ring8"
    steps: int = 1500
    hidden: int = 64
    batch_size: int = 256
    trace_every: int = 50    # steps between exact-W1 measurements
    n_trace: int = 500       # samples per side for the exact W1
    seed: int = 0


def train_wgan(run: WGANRun, callback=None, progress: bool = True) -> dict:
    """Train a WGAN; record the critic's estimate and the exact W1 while training.

    Returns the model, the target, the trace (step, critic, exact_w1), the coverage, a
    lower bound of the critic's Lipschitz constant at the end, and the seconds taken.
    """
    from .divergences import wasserstein
    from .wgan import WGAN_TRAINING, critic_estimate, lipschitz_estimate, wgan
    seed_everything(run.seed)
    target = {"ring8": ring8, "grid25": grid25}[run.target]()
    G = MLP(2, 2, hidden=run.hidden, depth=3, act=nn.ReLU)
    f = MLP(2, 1, hidden=run.hidden, depth=3, act=nn.ReLU)
    model = wgan(G, f, run.method, latent_dim=2)
    x_eval = target.sample(run.n_trace, generator=torch.Generator().manual_seed(run.seed + 1))
    trace = {"step": [], "critic": [], "exact_w1": []}

    def record(i, g):
        if i % run.trace_every == 0 or i == run.steps - 1:
            with torch.no_grad():
                x_fake = g.generate(run.n_trace)
                trace["step"].append(i)
                trace["critic"].append((g.D(x_eval).mean() - g.D(x_fake).mean()).item())
            trace["exact_w1"].append(wasserstein(x_eval, x_fake))
        if callback is not None:
            callback(i, g)

    t0 = time.perf_counter()
    fit_adversarial(model, target, TrainConfig(steps=run.steps, batch_size=run.batch_size,
                                               **WGAN_TRAINING[run.method][0]),
                    WGAN_TRAINING[run.method][1], callback=record, progress=progress,
                    desc=f"WGAN ({run.method})")
    seconds = time.perf_counter() - t0
    x_fake = model.sample(2500)
    return {"gan": model, "target": target, "trace": trace, "seconds": seconds,
            "coverage": mode_coverage(x_fake, target),
            "critic_w1": critic_estimate(model, x_eval),
            "lipschitz": lipschitz_estimate(model.D, x_eval, x_fake[:run.n_trace])}
