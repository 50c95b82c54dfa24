"""Chapters 02-03's measurements on 2D data: the optimal discriminator, mode coverage of
GAN recipes on the ring of 8 and the grid of 25, the loss comparison, the critic against W1.

Symbols as in ``gan.py``: p the data, p_g the generator's density, D* = p / (p + p_g).
Each measurement returns plain numbers, so that tests and benchmarks check what the
chapters print. The recipes themselves (configs, trainers) are in ``recipes``.
"""
from __future__ import annotations

import statistics
import time
import warnings
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from .config import seed_everything
from .data import GaussianMixture, two_gaussians
from .divergences import wasserstein
from .gan import GAN, NonSaturating, optimal_discriminator, rejection_sample
from .recipes import (BEST, TARGETS, VANILLA, MMDConfig, ToyGANConfig, but, toy_mmd, train_toy_gan,
                      trained_toy_gan)
from .metrics import mode_coverage, mode_spread
from .nn import MLP
from .train import Game, TrainConfig, TrainingDiverged, constant, fit_adversarial, linear_decay
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


def coverage_of(gan: GAN, target, drs: bool = False, n: int = 2500, seed: int = 0,
                gamma: float = 0.0):
    """(coverage, acceptance rate, samples) of n samples (2,500 as in PacGAN), after DRS
    with ``gamma`` if ``drs``."""
    torch.manual_seed(seed)
    x, rate = rejection_sample(gan, n, gamma=gamma) if drs else (gan.sample(n), 1.0)
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
            cfg = but(base, target=target, steps=steps, seed=seed)
            try:  # a run trained before (or shipped in trained/) loads without a word
                gan, tgt, _ = trained_toy_gan(cfg, progress=progress, verbose=False)
                out[name].append({"gan": gan, "target": tgt, "diverged": None,
                                  "coverage": coverage_of(gan, tgt)[0]})
            except TrainingDiverged as e:
                out[name].append({"gan": None, "target": None, "diverged": str(e),
                                  "coverage": None})
    return out


def mmd_runs(seeds=(0, 1, 2), steps: int = 1500, target: str = "ring8",
             progress: bool = True) -> list[dict]:
    """``recipes.toy_mmd`` for each seed at the loss comparison's budget, as runs of
    ``loss_comparison`` (a generator with no discriminator, in the same table)."""
    cfg = MMDConfig(target=target)
    cfg = replace(cfg, train=replace(cfg.train, steps=steps))
    runs = []
    for seed in seeds:
        model, tgt = toy_mmd(cfg, seed, progress), TARGETS[target]()
        runs.append({"gan": model, "target": tgt, "diverged": None,
                     "coverage": coverage_of(model, tgt)[0]})
    return runs


CAPACITY_KS, CAPACITY_WIDTHS = (2, 4, 9), (8, 32, 128)


def capacity_grid(ks=CAPACITY_KS, widths=CAPACITY_WIDTHS, steps: int = 1500, seeds=(0, 1, 2),
                  n: int = 1000, progress: bool = False) -> dict:
    """The plain GAN on k-mode mixtures (``recipes.TARGETS["mix<k>"]``) for every pair of
    generator and discriminator widths (3 hidden layers each): {k: {"w1": (len(widths),
    len(widths)) mean over seeds, rows G's width, columns D's; "seeds": (S, ...) per seed;
    "floor": W1 of two target samples}}, each W1 exact (POT) between n samples of the GAN
    and n of the target."""
    out = {}
    for k in ks:
        target = TARGETS[f"mix{k}"]()
        g = torch.Generator().manual_seed(1000 + k)
        ref = target.sample(n, generator=g)
        w1 = np.zeros((len(seeds), len(widths), len(widths)))
        for s, seed in enumerate(seeds):
            for i, wg in enumerate(widths):
                for j, wd in enumerate(widths):
                    cfg = but(VANILLA, target=f"mix{k}", hidden=wg, d_hidden=wd, steps=steps,
                              seed=seed)
                    gan, _, _ = trained_toy_gan(cfg, progress=progress, verbose=False)
                    torch.manual_seed(0)
                    w1[s, i, j] = wasserstein(gan.sample(n), ref)
        out[k] = {"w1": w1.mean(0), "seeds": w1,
                  "floor": wasserstein(target.sample(n, generator=g), ref)}
    return out


# Chapter 02's "hacks" sweeps: the plain GAN on ring-8 with one setting changed at a time
# (the others as ``recipes.VANILLA``), at the loss comparison's budget.
HACK_SWEEPS = {
    "learning rate": [{"lr": v} for v in (1e-4, 3e-4, 1e-3, 3e-3)],
    "learning rate, spectral norm": [{"lr": v, "sn": True} for v in (1e-4, 3e-4, 1e-3, 3e-3)],
    "batch size": [{"batch_size": v} for v in (64, 256, 1024)],
    "Adam beta1": [{"betas": (v, 0.999)} for v in (0.0, 0.5, 0.9)],
    "D's labels": [{"loss": v} for v in ("ns", "ns-smooth", "ns-flip")],  # gan_tricks.py
    "instance noise": [{"instance_noise": v} for v in (0.0, 0.05, 0.2)],
}


def hack_sweeps(sweeps=None, seeds=(0, 1, 2), steps: int = 1500, progress: bool = False) -> dict:
    """{sweep: [{"setting": changes, "modes": [per seed], "high_quality": [per seed]}]} for
    each one-setting change of ``HACK_SWEEPS`` (a diverged run counts as 0 modes)."""
    out = {}
    for name, settings in (sweeps or HACK_SWEEPS).items():
        runs = loss_comparison({i: but(VANILLA, **c) for i, c in enumerate(settings)}, seeds,
                               steps, progress=progress)
        out[name] = [{"setting": c, "modes": [0 if r["diverged"] else r["coverage"].modes
                                              for r in runs[i]],
                      "high_quality": [0.0 if r["diverged"] else r["coverage"].high_quality
                                       for r in runs[i]]}
                     for i, c in enumerate(settings)]
    return out


# Chapter 02's ablation of ``recipes.BEST`` on the grid of 25: one ingredient removed or
# changed at a time ("no DRS" scores the recipe's own runs before rejection sampling).
ABLATIONS = {"recipe": {}, "no DRS": {}, "no R1": {"r1": 0.0}, "no EMA": {"ema": None},
             "no lr decay": {"schedule": constant}, "beta1 = 0": {"betas": (0.0, 0.999)},
             "batch 512": {"batch_size": 512}, "width 64": {"hidden": 64}}


def _trained_best(target, seed, steps, calibrate, progress, **changes):
    """(gan, target) of ``recipes.BEST`` on ``target`` with ``changes``; steps and calibrate
    override the recipe's unless None."""
    kw = ({"steps": steps} if steps else {}) | ({"calibrate": calibrate} if calibrate is not None else {})
    return trained_toy_gan(but(BEST, target=target, seed=seed, **kw, **changes),
                           progress=progress, verbose=False)[:2]


def ablation(target: str = "grid25", seeds=(0, 1, 2), steps: int | None = None,
             calibrate: int | None = None, progress: bool = False) -> dict:
    """{name: {"modes": [per seed], "high_quality": [per seed], "accept": [per seed]}} for
    each row of ``ABLATIONS``, after discriminator rejection sampling except for "no DRS".
    Without R1, D's logits can have outliers and DRS accepts fewer than the 2,500 samples
    asked for: such a run is scored on those it accepted (``rejection_sample`` warns)."""
    out = {}
    for name, changes in ABLATIONS.items():
        modes, hq, accepted = [], [], []
        for seed in seeds:
            gan, tgt = _trained_best(target, seed, steps, calibrate, progress, **changes)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short DRS is recorded in "accept"
                cov, _, x = coverage_of(gan, tgt, drs=name != "no DRS")
            modes.append(cov.modes), hq.append(cov.high_quality), accepted.append(len(x))
        out[name] = {"modes": modes, "high_quality": hq, "accept": accepted}
    return out


# DRS's gamma (Azadi et al. 2019, Eq. 8) shifts the acceptance: gamma > 0 keeps only the
# samples D rates most real, trading the generator's variety for its precision.
DRS_GAMMAS = (-1.0, 0.0, 1.0, 2.0, 3.0)


def drs_gamma_curve(target: str = "grid25", seeds=(0, 1, 2), gammas=DRS_GAMMAS,
                    steps: int | None = None, calibrate: int | None = None, n: int = 2500,
                    progress: bool = False) -> dict:
    """{gamma: {"modes", "high_quality", "accept_rate", "spread": [per seed]}} of
    ``recipes.BEST``'s runs on ``target``, each sampled by DRS at each gamma (n samples;
    ``metrics.mode_spread`` says how tight the kept modes are)."""
    gans = [_trained_best(target, seed, steps, calibrate, progress) for seed in seeds]
    out = {}
    for gamma in gammas:
        rows = {"modes": [], "high_quality": [], "accept_rate": [], "spread": []}
        for gan, tgt in gans:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a short run may accept fewer than n
                cov, rate, x = coverage_of(gan, tgt, drs=True, n=n, gamma=gamma)
            rows["modes"].append(cov.modes), rows["high_quality"].append(cov.high_quality)
            rows["accept_rate"].append(rate), rows["spread"].append(mode_spread(x, tgt))
        out[gamma] = rows
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
