"""How chapters 02-03's GANs are trained: every configuration, builder and trainer.

    ToyGANConfig, train_toy_gan    GANs on the ring of 8 and the grid of 25 (chapter 02)
    VANILLA, BEST                  the plain GAN and the course's best recipe
    WGANRun, train_wgan            Wasserstein GANs, with each paper's optimiser or TUNED
    DigitsGANConfig, dcgan         the (conditional) DCGAN on 8x8 digits (chapters 03, 09)
    digits_gan, digits_cgan        those DCGANs trained once and cached

These are the GAN section of the course's recipes: the family files (``gan.py``,
``wgan.py``) hold the models only.
"""
from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from .checkpoint import cached
from .config import seed_everything
from .data import grid25, load_images, ring8
from .divergences import wasserstein
from .gan import (FGAN, GAN, R1, GradientPenalty, Hinge, LeastSquares, Minimax, NonSaturating,
                  Wasserstein)
from .metrics import mode_coverage
from .nn import MLP, DCDiscriminator, DCGenerator
from .train import fit_adversarial
from .wgan import critic_estimate, lipschitz_estimate, wgan

TARGETS = {"ring8": ring8, "grid25": grid25}

# --- GANs on the VEEGAN/PacGAN mixtures (chapter 02) ----------------------------------------


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
    n_critic: int = 1
    pack: int = 1
    r1: float = 0.0          # gamma of the R1 penalty (0: none)
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
    return GAN(G, D, LOSSES[cfg.loss](), cfg.latent_dim, pack=cfg.pack, ema=cfg.ema,
               penalty=R1(cfg.r1) if cfg.r1 else None)


def train_toy_gan(cfg: ToyGANConfig, progress: bool = True, callback=None):
    """Train one recipe; returns (gan, target, history)."""
    seed_everything(cfg.seed)
    target = TARGETS[cfg.target]()
    gan = toy_gan(cfg)
    hist = fit_adversarial(gan, target, steps=cfg.steps, batch_size=cfg.batch_size,
                           lr_d=cfg.lr, lr_g=cfg.lr, betas=cfg.betas, lr_decay=cfg.lr_decay,
                           n_critic=cfg.n_critic, progress=progress, callback=callback,
                           desc=f"GAN on {cfg.target}")
    if cfg.calibrate:
        if gan.G_ema is not None:  # D should judge the generator we will sample from
            gan.G.load_state_dict(gan.G_ema.net.state_dict())
        fit_adversarial(gan, target, steps=cfg.calibrate, batch_size=cfg.batch_size,
                        lr_d=cfg.lr / 4, betas=cfg.betas, train_generator=False,
                        progress=progress, desc="calibrating D")
    return gan, target, hist


def recipe(base, **kw):
    """A copy of a config with some fields changed."""
    return replace(base, **kw)


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


# --- Wasserstein GANs on the same mixtures (chapter 03) -------------------------------------

# Each paper's optimiser and critic steps per generator step, and a tuned WGAN-GP.
WGAN_TRAINING = {
    "clip": dict(optimizer="rmsprop", lr_d=5e-5, lr_g=5e-5, n_critic=5),   # Arjovsky Alg. 1
    "gp": dict(optimizer="adam", lr_d=1e-4, lr_g=1e-4, betas=(0.0, 0.9), n_critic=5),
    "sn": dict(optimizer="adam", lr_d=2e-4, lr_g=2e-4, betas=(0.5, 0.999), n_critic=1),
}


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
    seed_everything(run.seed)
    target = TARGETS[run.target]()
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
                trace["critic"].append((g.discriminate(x_eval).mean()
                                        - g.discriminate(x_fake).mean()).item())
            trace["exact_w1"].append(wasserstein(x_eval, x_fake))
        if callback is not None:
            callback(i, g)

    t0 = time.perf_counter()
    fit_adversarial(model, target, steps=run.steps, batch_size=run.batch_size,
                    callback=record, progress=progress, desc=f"WGAN ({run.method})",
                    **WGAN_TRAINING[run.method])
    seconds = time.perf_counter() - t0
    x_fake = model.sample(2500)
    return {"gan": model, "target": target, "trace": trace, "seconds": seconds,
            "coverage": mode_coverage(x_fake, target),
            "critic_w1": critic_estimate(model, x_eval),
            "lipschitz": lipschitz_estimate(model.discriminate, x_eval, x_fake[:run.n_trace])}


# --- DCGAN on digits (chapter 03; chapter 09 compares the trained models) ------------------


@dataclass
class DigitsGANConfig:
    """DCGAN settings (Radford et al. 2016: Adam lr 2e-4, beta1 0.5; batch norm in G)."""
    variant: str = "gan"          # "gan" (non-saturating) or "wgan-gp"
    conditional: bool = False
    latent_dim: int = 32
    channels: int = 64
    steps: int = 2500
    batch_size: int = 64
    lr: float = 2e-4
    seed: int = 0
    dataset: str = "digits"


def dcgan(cfg: DigitsGANConfig, image_shape=(1, 8, 8)) -> GAN:
    """A (conditional) DCGAN for (C, H, W) images; "wgan-gp" uses a gradient penalty."""
    k = 10 if cfg.conditional else None
    is_wgan = cfg.variant == "wgan-gp"
    G = DCGenerator(cfg.latent_dim, image_shape, cfg.channels, n_classes=k)
    D = DCDiscriminator(image_shape, cfg.channels, n_classes=k, norm=not is_wgan)
    return GAN(G, D, Wasserstein() if is_wgan else NonSaturating(), cfg.latent_dim, n_classes=k,
               penalty=GradientPenalty(10.0) if is_wgan else None)


def train_dcgan(gan: GAN, cfg: DigitsGANConfig, x, y=None, progress: bool = True):
    is_wgan = cfg.variant == "wgan-gp"  # WGAN-GP: Adam (0, 0.9), 5 critic steps (Gulrajani Alg. 1)
    return fit_adversarial(gan, x if y is None else (x, y), steps=cfg.steps,
                           batch_size=cfg.batch_size, lr_d=cfg.lr, lr_g=cfg.lr,
                           betas=(0.0, 0.9) if is_wgan else (0.5, 0.999),
                           n_critic=5 if is_wgan else 1, progress=progress,
                           desc=f"DCGAN ({cfg.variant}) on {cfg.dataset}")


def _digits_model(cfg: DigitsGANConfig, progress: bool):
    def train(gan):
        seed_everything(cfg.seed)
        x, y = load_images(cfg.dataset, "train", labels=True)
        train_dcgan(gan, cfg, x, y if cfg.conditional else None, progress)

    def build():
        seed_everything(cfg.seed)
        return dcgan(cfg)

    # the file name carries a hash of the config: another setting never finds this file
    key = hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:10]
    name = f"{cfg.dataset}_{'c' if cfg.conditional else ''}{cfg.variant}_seed{cfg.seed}-{key}"
    return cached(name, cfg, build, train).cpu().eval()


def digits_gan(variant: str = "gan", seed: int = 0, steps: int | None = None,
               progress: bool = True) -> GAN:
    """An unconditional DCGAN on 8x8 digits, trained (or loaded); ``.sample(n)`` in [0, 1].

    variant "gan" (non-saturating loss) or "wgan-gp". No likelihood: no ``bits_per_dim``.
    """
    if variant not in ("gan", "wgan-gp"):
        raise ValueError(f"variant must be 'gan' or 'wgan-gp', not {variant!r}")
    cfg = DigitsGANConfig(variant=variant, seed=seed)
    cfg.steps = steps or (1500 if variant == "wgan-gp" else cfg.steps)
    return _digits_model(cfg, progress)


def digits_cgan(seed: int = 0, steps: int | None = None, progress: bool = True) -> GAN:
    """A class-conditional DCGAN on 8x8 digits: ``.sample(n, y)``, y in 0..9."""
    cfg = DigitsGANConfig(conditional=True, seed=seed)
    cfg.steps = steps or cfg.steps
    return _digits_model(cfg, progress)
