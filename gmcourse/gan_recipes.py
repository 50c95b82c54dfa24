"""How chapters 02-03's GANs are trained: every configuration, builder and trainer.

    ToyGANConfig, train_toy_gan    GANs on the ring of 8 and the grid of 25 (chapter 02)
    VANILLA, BEST                  the plain GAN and the course's best recipe
    WGANRun, train_wgan            Wasserstein GANs: each paper's optimiser, and TUNED_WGAN
    DigitsGANConfig, dcgan         the (conditional) DCGAN on 8x8 digits (chapters 03, 09)
    digits_gan, digits_cgan        those DCGANs trained once and cached

Each config nests a ``TrainConfig`` (steps, batch size, learning rate, betas, schedule) as
``train``; ``recipe(config, steps=..., target=...)`` changes fields of either. These are
the GAN section of the course's recipes: the family files (``gan.py``, ``wgan.py``) hold
the models only.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, fields, replace

import torch
from torch import nn

from .checkpoint import cached, config_hash
from .config import seed_everything
from .data import grid25, load_images, ring8
from .divergences import wasserstein
from .gan import (FGAN, GAN, R1, GradientPenalty, Hinge, LeastSquares, Minimax, NonSaturating,
                  SpectralNorm, Wasserstein)
from .metrics import mode_coverage
from .nn import MLP, DCDiscriminator, DCGenerator
from .train import Game, TrainConfig, constant, cosine, fit_adversarial, linear_decay, rmsprop
from .wgan import critic_estimate, lipschitz_estimate, wgan

TARGETS = {"ring8": ring8, "grid25": grid25}
_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


def recipe(base, **kw):
    """A copy of ``base`` with fields changed; TrainConfig's fields go to ``base.train``."""
    train = {k: kw.pop(k) for k in list(kw) if k in _TRAIN_FIELDS}
    if train:
        kw["train"] = replace(kw.get("train", base.train), **train)
    return replace(base, **kw)


# --- GANs on the VEEGAN/PacGAN mixtures (chapter 02) ----------------------------------------


@dataclass
class ToyGANConfig:
    """A GAN recipe for 2D mixtures. The defaults are the plain ("vanilla") GAN."""
    target: str = "ring8"
    loss: str = "ns"         # a key of LOSSES
    hidden: int = 128
    depth: int = 3
    d_hidden: int | None = None  # the discriminator's width and depth (None: as G's)
    d_depth: int | None = None
    latent_dim: int = 2
    n_critic: int = 1
    pack: int = 1
    sn: bool = False         # spectral normalisation of D (SNGAN)
    r1: float = 0.0          # gamma of the R1 penalty (0: none)
    ema: float | None = None
    drs: bool = False        # discriminator rejection sampling after training
    calibrate: int = 0       # D-only steps against the final (averaged) G before DRS
    seed: int = 0            # seeds the networks and the batches (global generator)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=3000, batch_size=256, lr=1e-3, betas=(0.5, 0.999)))


LOSSES = {"minimax": Minimax, "ns": NonSaturating, "lsgan": LeastSquares, "hinge": Hinge,
          "f-kl": lambda: FGAN("kl"), "f-reverse_kl": lambda: FGAN("reverse_kl"),
          "f-js": lambda: FGAN("js"), "f-pearson": lambda: FGAN("pearson")}


def toy_gan(cfg: ToyGANConfig) -> GAN:
    G = MLP(cfg.latent_dim, 2, hidden=cfg.hidden, depth=cfg.depth, act=nn.ReLU)
    D = MLP(2 * cfg.pack, 1, hidden=cfg.d_hidden or cfg.hidden, depth=cfg.d_depth or cfg.depth,
            act=nn.LeakyReLU)
    return GAN(G, D, LOSSES[cfg.loss](), cfg.latent_dim, pack=cfg.pack, ema=cfg.ema,
               penalty=R1(cfg.r1) if cfg.r1 else None,
               constraint=SpectralNorm() if cfg.sn else None)


def train_toy_gan(cfg: ToyGANConfig, progress: bool = True, callback=None):
    """Train one recipe; returns (gan, target, history)."""
    seed_everything(cfg.seed)
    target = TARGETS[cfg.target]()
    gan = toy_gan(cfg)
    hist = fit_adversarial(gan, target, cfg.train, Game(n_critic=cfg.n_critic),
                           progress=progress, callback=callback, desc=f"GAN on {cfg.target}")
    if cfg.calibrate:
        if gan.G_ema is not None:  # D should judge the generator we will sample from
            gan.G.load_state_dict(gan.G_ema.net.state_dict())
        fit_adversarial(gan, target, replace(cfg.train, steps=cfg.calibrate, lr=cfg.train.lr / 4,
                                             schedule=constant),
                        Game(train_generator=False), progress=progress, desc="calibrating D")
    return gan, target, hist


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
# The loss comparison of chapter 02, on the vanilla GAN's networks, batch and budget. All
# papers train with DCGAN's Adam (beta1 = 0.5); the losses with a bounded or quadratic
# discriminator loss use the plain GAN's learning rate, the f-GANs their paper's 2e-4
# (Nowozin et al. 2016): at 1e-3 the reverse-KL f-GAN's loss became infinite on all 3
# seeds, and at 2e-4 or 5e-4 the KL one still found no mode on seed 0.
LOSS_RECIPES = {"non-saturating": VANILLA, "LSGAN": recipe(VANILLA, loss="lsgan"),
                "hinge": recipe(VANILLA, loss="hinge"),
                "f-GAN KL": recipe(VANILLA, loss="f-kl", lr=2e-4),
                "f-GAN reverse KL": recipe(VANILLA, loss="f-reverse_kl", lr=2e-4),
                "f-GAN Pearson": recipe(VANILLA, loss="f-pearson", lr=2e-4)}

BEST = recipe(VANILLA, steps=7000, lr=2e-3, schedule=linear_decay, r1=0.03, ema=0.999, drs=True,
              calibrate=500)


# --- Wasserstein GANs on the same mixtures (chapter 03) -------------------------------------

@dataclass
class WGANRun:
    """One WGAN on a 2D target: MLP generator and critic, the critic kept Lipschitz by
    ``method``. ``paper_wgan(method)`` gives each paper's optimiser; ``TUNED_WGAN`` ours."""
    method: str = "gp"       # "clip", "gp" or "sn"
    target: str = "ring8"
    hidden: int = 64
    lam: float = 10.0        # the gradient penalty's weight (method "gp")
    trace_every: int = 50    # steps between exact-W1 measurements
    n_trace: int = 500       # samples per side for the exact W1
    seed: int = 0
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1500, batch_size=256, lr=1e-4, betas=(0.0, 0.9)))
    game: Game = field(default_factory=lambda: Game(n_critic=5))


# Each paper's optimiser and critic steps per generator step: (TrainConfig fields, Game).
WGAN_TRAINING = {
    "clip": (dict(lr=5e-5), Game(n_critic=5, optimizer=rmsprop)),          # Arjovsky Alg. 1
    "gp": (dict(lr=1e-4, betas=(0.0, 0.9)), Game(n_critic=5)),             # Gulrajani Alg. 1
    "sn": (dict(lr=2e-4, betas=(0.5, 0.999)), Game(n_critic=1)),           # Miyato et al.
}


def paper_wgan(method: str, **kw) -> WGANRun:
    """The WGAN of ``method``'s paper (its optimiser, learning rate, critic steps)."""
    train, game = WGAN_TRAINING[method]
    return recipe(WGANRun(method=method, game=game), **train, **kw)


# A Wasserstein GAN tuned for a lecture's budget (chapter 03): the same objective and
# penalty, but penalty weight 1 instead of 10 (a weaker pull towards slope 1 lets the
# critic's slopes follow the data's sharp modes), 2 critic steps instead of 5 (each
# generator step sees a fresh critic at half the price), Adam with lr 1e-3 and beta1 = 0
# (10 times the paper's rate) that a cosine schedule takes to 0, so the last steps
# sharpen the modes instead of moving mass between them; wider networks (128 units).
TUNED_WGAN = WGANRun(method="gp", hidden=128, lam=1.0, game=Game(n_critic=2),
                     train=TrainConfig(steps=8000, batch_size=256, lr=1e-3, betas=(0.0, 0.9),
                                       schedule=cosine))
TUNED_STEPS = {"ring8": 1500, "grid25": 8000}  # generator steps on each target


def tuned_wgan(target: str = "ring8", seed: int = 0, steps: int | None = None) -> WGANRun:
    """``TUNED_WGAN`` on ``target`` with chapter 03's budget (and its W1 trace every 50 or
    200 steps: the trace draws samples, so it is part of the run's random stream)."""
    return recipe(TUNED_WGAN, target=target, seed=seed, steps=steps or TUNED_STEPS[target],
                  trace_every=50 if target == "ring8" else 200)


def train_wgan(run: WGANRun, callback=None, progress: bool = True) -> dict:
    """Train a WGAN; record the critic's estimate and the exact W1 while training.

    Returns the model, the target, the trace (step, critic, exact_w1), the coverage, a
    lower bound of the critic's Lipschitz constant at the end, and the seconds taken.
    """
    seed_everything(run.seed)
    target = TARGETS[run.target]()
    G = MLP(2, 2, hidden=run.hidden, depth=3, act=nn.ReLU)
    f = MLP(2, 1, hidden=run.hidden, depth=3, act=nn.ReLU)
    model = wgan(G, f, run.method, latent_dim=2, lam=run.lam)
    x_eval = target.sample(run.n_trace, generator=torch.Generator().manual_seed(run.seed + 1))
    trace = {"step": [], "critic": [], "exact_w1": []}

    def record(i, g):
        if i % run.trace_every == 0 or i == run.train.steps - 1:
            with torch.no_grad():
                x_fake = g.generate(run.n_trace)
                trace["step"].append(i)
                trace["critic"].append((g.discriminate(x_eval).mean()
                                        - g.discriminate(x_fake).mean()).item())
            trace["exact_w1"].append(wasserstein(x_eval, x_fake))
        if callback is not None:
            callback(i, g)

    t0 = time.perf_counter()
    fit_adversarial(model, target, run.train, run.game, callback=record, progress=progress,
                    desc=f"WGAN ({run.method})")
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
    seed: int = 0
    dataset: str = "digits"
    n_critic: int = 1
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=2500, batch_size=64, lr=2e-4, betas=(0.5, 0.999)))


def digits_config(variant: str = "gan", **kw) -> DigitsGANConfig:
    """DCGAN's settings, or WGAN-GP's: Adam (0, 0.9), 5 critic steps (Gulrajani Alg. 1)."""
    if variant not in ("gan", "wgan-gp"):
        raise ValueError(f"variant must be 'gan' or 'wgan-gp', not {variant!r}")
    if variant == "wgan-gp":
        kw = {"betas": (0.0, 0.9), "n_critic": 5, "steps": 1500, **kw}
    return recipe(DigitsGANConfig(variant=variant), **kw)


def dcgan(cfg: DigitsGANConfig, image_shape=(1, 8, 8)) -> GAN:
    """A (conditional) DCGAN for (C, H, W) images; "wgan-gp" uses a gradient penalty."""
    k = 10 if cfg.conditional else None
    is_wgan = cfg.variant == "wgan-gp"
    G = DCGenerator(cfg.latent_dim, image_shape, cfg.channels, n_classes=k)
    D = DCDiscriminator(image_shape, cfg.channels, n_classes=k, norm=not is_wgan)
    return GAN(G, D, Wasserstein() if is_wgan else NonSaturating(), cfg.latent_dim, n_classes=k,
               penalty=GradientPenalty(10.0) if is_wgan else None)


def train_dcgan(gan: GAN, cfg: DigitsGANConfig, x, y=None, progress: bool = True):
    return fit_adversarial(gan, x if y is None else (x, y), cfg.train, Game(n_critic=cfg.n_critic),
                           progress=progress, desc=f"DCGAN ({cfg.variant}) on {cfg.dataset}")


def _digits_model(cfg: DigitsGANConfig, progress: bool):
    def train(gan):
        seed_everything(cfg.seed)
        x, y = load_images(cfg.dataset, "train", labels=True)
        train_dcgan(gan, cfg, x, y if cfg.conditional else None, progress)

    def build():
        seed_everything(cfg.seed)
        return dcgan(cfg)

    # the file name carries a hash of the config: another setting never finds this file
    name = (f"{cfg.dataset}_{'c' if cfg.conditional else ''}{cfg.variant}_seed{cfg.seed}"
            f"-{config_hash(cfg)}")
    return cached(name, cfg, build, train).cpu().eval()


def digits_gan(variant: str = "gan", seed: int = 0, steps: int | None = None,
               progress: bool = True) -> GAN:
    """An unconditional DCGAN on 8x8 digits, trained (or loaded); ``.sample(n)`` in [0, 1].

    variant "gan" (non-saturating loss) or "wgan-gp". No likelihood: no ``bits_per_dim``.
    """
    cfg = digits_config(variant, seed=seed, **({"steps": steps} if steps else {}))
    return _digits_model(cfg, progress)


def digits_cgan(seed: int = 0, steps: int | None = None, progress: bool = True) -> GAN:
    """A class-conditional DCGAN on 8x8 digits: ``.sample(n, y)``, y in 0..9."""
    cfg = digits_config(conditional=True, seed=seed, **({"steps": steps} if steps else {}))
    return _digits_model(cfg, progress)
