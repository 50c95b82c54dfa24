"""Chapters 02-03's measurements and figures on 2D data: the optimal discriminator, mode
coverage of GAN recipes on the ring of 8 and the grid of 25, and the GAN drawings.

Symbols as in ``gan.py``: p the data, p_g the generator's density, D* = p / (p + p_g).
Each measurement returns plain numbers, so that tests and benchmarks check what the
chapters print. The recipes themselves (configs, trainers) are in ``gan_recipes``.
"""
from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from torch import nn

from . import dirac, widgets
from .config import seed_everything
from .data import GaussianMixture, two_gaussians
from .divergences import wasserstein
from .gan import GAN, NonSaturating, optimal_discriminator, rejection_sample
from .gan_recipes import ToyGANConfig, recipe, train_toy_gan
from .metrics import mode_coverage
from .nn import MLP
from .train import Game, TrainConfig, TrainingDiverged, fit_adversarial, linear_decay
from .viz import grid_points
from .wgan import critic_estimate, wgan


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
        D = torch.sigmoid(gan.discriminate(pts).reshape(n, n))
    D_star = optimal_discriminator(p.log_prob(pts), p_g.log_prob(pts)).reshape(n, n)
    return {"xx": xx, "yy": yy, "D": D, "D_star": D_star, "p": p, "p_g": p_g,
            "mae": (D - D_star).abs().mean().item()}


def critic_vs_exact(seed: int = 0, steps: int = 300, shift: float = 2.0) -> dict:
    """Train a WGAN-GP critic alone against a fixed generator; compare its estimate with W1.

    p = N(0, 0.5^2 I), p_g = N((shift, 0), 0.5^2 I), so W1(p, p_g) = shift exactly.
    Returns the critic's estimate E_p f - E_{p_g} f and the exact W1 of samples (POT).
    """
    torch.manual_seed(seed)
    G = nn.Linear(2, 2)
    with torch.no_grad():
        G.weight.copy_(0.5 * torch.eye(2)), G.bias.copy_(torch.tensor([shift, 0.0]))
    G.requires_grad_(False)
    gan = wgan(G, MLP(2, 1, hidden=64, depth=2, act=nn.ReLU), "gp", latent_dim=2)
    data = 0.5 * torch.randn(4096, 2)
    fit_adversarial(gan, data, TrainConfig(steps=steps, batch_size=256, lr=2e-3, betas=(0.0, 0.9),
                                           schedule=linear_decay),
                    Game(train_generator=False), progress=False)
    x_real = 0.5 * torch.randn(2000, 2)
    exact = wasserstein(x_real[:1000], gan.sample(1000))
    return {"gan": gan, "x_real": x_real, "exact_w1": exact, "true_w1": shift,
            "critic": critic_estimate(gan, x_real)}


# --- mode coverage on the VEEGAN/PacGAN mixtures -----------------------------------------


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


def loss_comparison(recipes: dict, seeds=(0, 1, 2), steps: int = 1500, target: str = "ring8",
                    progress: bool = True) -> dict:
    """Train each named recipe on ``target`` for each seed: {name: [run, ...]}, each run a
    dict with the ``gan``, its ``coverage`` and ``diverged`` (the error if the loss became
    infinite: a result of the comparison, not a failure of the chapter)."""
    out = {}
    for name, base in recipes.items():
        out[name] = []
        for seed in seeds:
            cfg = recipe(base, target=target, steps=steps, seed=seed)
            try:
                gan, tgt, _ = train_toy_gan(cfg, progress=progress)
                out[name].append({"gan": gan, "target": tgt, "diverged": None,
                                  "coverage": coverage_of(gan, tgt)[0]})
            except TrainingDiverged as e:
                out[name].append({"gan": None, "target": None, "diverged": str(e),
                                  "coverage": None})
    return out


def loss_table(comparison: dict) -> str:
    """One line per loss: modes found on each seed ("div": diverged) and the mean
    high-quality share (a diverged run counts as 0)."""
    lines = [f"{'loss':18s} {'modes per seed':>16s} {'mean high quality':>18s}"]
    for name, runs in comparison.items():
        modes = " ".join("div" if r["diverged"] else f"{r['coverage'].modes}/{r['coverage'].total}"
                         for r in runs)
        hq = statistics.mean(0.0 if r["diverged"] else r["coverage"].high_quality for r in runs)
        lines.append(f"{name:18s} {modes:>16s} {100 * hq:17.1f}%")
    return "\n".join(lines)


def summarise(runs: list[dict]) -> dict:
    """Seeds' rows of ``coverage_run`` (or alike) as min and mean of modes and quality."""
    return {"modes": statistics.mean(r["modes"] for r in runs),
            "min_modes": min(r["modes"] for r in runs),
            "high_quality": statistics.mean(r["high_quality"] for r in runs),
            "min_hq": min(r["high_quality"] for r in runs),
            "seconds": max(r["seconds"] for r in runs), "seeds": len(runs)}


# --- drawings ------------------------------------------------------------------------------


def draw_gan_state(fig, gan, target, n: int = 1000, extent: float | None = None,
                   title: str = "", x_fake=None, ax=None):
    """Samples of G over the data, on the discriminator's (or critic's) contours."""
    extent = extent or target.extent
    xx, yy, pts = grid_points(extent, 80)
    with torch.no_grad():
        d = gan.discriminate(pts.to(next(gan.D.parameters()).device)).reshape(80, 80).cpu()
        x_fake = gan.sample(n).cpu() if x_fake is None else x_fake
    x_real = target.sample(n, generator=torch.Generator().manual_seed(0))
    ax = ax or fig.gca()
    ax.contourf(xx, yy, d, levels=20, cmap="coolwarm", alpha=0.6)
    ax.scatter(x_real[:, 0], x_real[:, 1], s=2, c="k", alpha=0.4, label="data")
    ax.scatter(x_fake[:, 0], x_fake[:, 1], s=2, c="gold", alpha=0.6, label="G(z)")
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", title=title)
    ax.set_xticks([]), ax.set_yticks([])


def live_gan(target, steps: int, every: int = 250, n: int = 1000):
    """A training callback that redraws G's samples on D's contours every ``every`` steps
    and at the last step (``steps - 1``), in one figure that updates in place."""
    def draw(fig, i, gan):
        with torch.random.fork_rng():  # drawing must not change the training's random numbers
            draw_gan_state(fig, gan, target, n, title=f"step {i + 1} of {steps}")
    return widgets.LiveTraining(draw, every=every, last=steps - 1, figsize=(4, 4))


def draw_dirac_gan(fig, method: str = "simultaneous", h: float = 0.2, gamma: float = 0.0,
                   lam: float = 0.0, steps: int = 200):
    """Phase portrait of the Dirac-GAN: the field v(theta, psi) and one trajectory
    (gamma: R1's damping; lam: ODE-GAN's gradient regulariser)."""
    traj = dirac.trajectory(dirac.METHODS[method], h, steps, gamma, lam=lam)
    ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
    s = np.linspace(-2.5, 2.5, 15)
    T, P = np.meshgrid(s, s)
    ax1.quiver(T, P, *dirac.field(T, P, gamma, lam), color="0.6", angles="xy")
    ax1.plot(traj[:, 0], traj[:, 1], ".-", ms=2, lw=0.8)
    ax1.plot(*traj[0], "go", label="start")
    ax1.plot(0, 0, "k*", ms=10, label="equilibrium")
    ax1.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), xlabel="theta (generator)",
            ylabel="psi (discriminator)",
            title=f"{method}, h = {h:.2f}, gamma = {gamma:.2f}, lambda = {lam:.2f}")
    ax1.legend(loc="lower left", fontsize=8)
    ax2.semilogy(dirac.distance(traj) + 1e-12)
    ax2.set(xlabel="step", ylabel="distance to (0, 0)", title="convergence?")
    # fixed margins: tight_layout measures every tick label and costs ~100 ms per update
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
