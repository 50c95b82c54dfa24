"""Every trained model the chapters, tests, benchmarks and chapter 09 use, in one place.

A ``Recipe`` names a builder, its data and its config (a family config that nests the
``TrainConfig`` of ``gmcourse.train``):

    train(recipe, seed)     seed, build, fit: ``(model, history)``; nothing is cached
    trained(recipe, seed)   the same through the checkpoint cache; returns the model
    recipe.but(beta=8, steps=100)   a copy with other config or training settings

One naming rule: ``data/checkpoints/<recipe name>-seed<seed>-<hash>.pt``, the hash taken
over the recipe's name, seed, full config and data, so a checkpoint trained with other
settings or in another profile (whose settings differ) is never picked up.

Seeding: the global generators are seeded with ``seed`` before the model is built and,
where ``reseed`` is set, again before training (so that the batches do not depend on how
many random numbers building drew). A config whose ``train.seed`` is not None draws its
batches from a generator seeded with the run's seed.

Loss units. Every ``bits_per_dim`` is bits per dimension (``dists.bits_per_dim``); what each
family's ``loss`` (the number the progress bar and ``History`` show) is in:

    likelihood, exact     2D flows: nats per example      PixelCNN: nats per dimension
    likelihood, bound     VAE: -ELBO, nats per example    Glow: bits per dimension (bound)
    regression            DDPM: squared error per dimension (eps); NCSN: 1/2 the squared
                          error per example (sigma-weighted); VQ-VAE: squared error per pixel
    two-player game       GAN, WGAN: each player's objective, mean over examples
They differ because each follows its paper's convention; Adam does not care about a
constant factor, so they are kept rather than rescaled (which would change the curves
the chapters plot).
"""
from __future__ import annotations

import codecs
import contextlib
import dataclasses
import functools
import hashlib
import io
import math
import time
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable

import torch
from torch import nn

from . import checkpoint
from . import flow_matching as fm
from .consistency import ConsistencyModel, consistency_trajectories
from .config import get_profile, max_steps, pick, seed_everything
from .data import DynamicBinarized, available, grid25, load_images, ring, ring8, toy
from .diffusion import DDPM, SCHEDULES, ImageDDPM
from .divergences import wasserstein
from .ebm import EBM
from .flows import realnvp_2d
from .flows_image import glow
from .flows_spline import spline_flow_2d
from .gan import FGAN, GAN, R1, Hinge, LeastSquares, Minimax, NonSaturating, SpectralNorm
from .gan_tricks import InstanceNoise, SmoothedLabels
from .guidance import NoisyClassifier
from .latent_diffusion import LatentDiffusion
from .metrics import ModeCoverage, mode_coverage
from .moment_matching import MMDGenerator
from .nn import (MLP, ConvClassifier, DCDiscriminator, DCGenerator, FourierTimeMLP, TimeMLP,
                 UNet)
from .pixelcnn import BinaryPixels, LevelPixels, pixelcnn
from .score import NCSN, Flat, geometric_sigmas, two_modes
from .transformer import ar_transformer
from .train import (Game, History, TrainConfig, TrainingDiverged, constant, cosine, fit as fit_loss, fit_adversarial,
                    linear_decay, rmsprop)
from .vae import IWAE, build_conv_vae, build_vae
from .vae_posteriors import FlowVAE, iaf_posterior
from .vae_priors import MixturePriorVAE
from .vqvae import build_vqvae
from .wgan import (GradientPenalty, Wasserstein, critic_estimate, lipschitz_estimate,
                   wgan as build_wgan)


# --- the mechanism ----------------------------------------------------------------------

def _default_fit(model, data, cfg, *, progress=True, desc=None, callback=None) -> History:
    return fit_loss(model, data, cfg.train, progress=progress, desc=desc, callback=callback)


@dataclass(frozen=True)
class Recipe:
    """How one trained model is made: ``build(config)``, ``data()``, then ``fit``.

    fit(model, data, config, progress=, desc=, callback=) -> History defaults to
    ``train.fit`` on ``config.train``; ``after(model, data)`` runs once training is done
    (e.g. the VQ-VAE's code histogram).
    """
    name: str
    config: Any
    build: Callable[[Any], nn.Module]
    data: Callable[[], Any]
    fit: Callable = _default_fit
    after: Callable | None = None
    reseed: bool = False
    desc: str | Callable | None = None  # the progress bar's label, or config -> label
    smoke_steps: int = 20

    def but(self, *, data: Callable | None = None, **changes) -> "Recipe":
        """A copy whose config (or, for TrainConfig's fields, ``config.train``) differs."""
        own = {f.name for f in fields(self.config)}
        train_fields = {f.name for f in fields(TrainConfig)}
        bad = set(changes) - own - train_fields
        if bad:
            raise TypeError(f"{self.name}: no setting {sorted(bad)}; the config has "
                            f"{sorted(own - {'train'})} and the training config {sorted(train_fields)}")
        cfg = replace(self.config, **{k: v for k, v in changes.items() if k in own})
        train_changes = {k: v for k, v in changes.items() if k not in own}
        if train_changes:
            cfg = replace(cfg, train=replace(cfg.train, **train_changes))
        return replace(self, config=cfg, data=data or self.data)


def _configured(recipe: Recipe, seed: int):
    cfg = recipe.config
    if cfg.train.seed is not None:  # batches from this run's seed
        cfg = replace(cfg, train=replace(cfg.train, seed=seed))
    return cfg


def _build(recipe: Recipe, cfg, seed: int, device):
    seed_everything(seed)
    return recipe.build(cfg).to(device or "cpu")


def _fit(recipe: Recipe, model, cfg, seed: int, progress: bool, callback=None) -> History:
    data = recipe.data()
    if recipe.reseed:
        seed_everything(seed)
    desc = recipe.desc(cfg) if callable(recipe.desc) else recipe.desc or recipe.name
    history = recipe.fit(model, data, cfg, progress=progress, desc=desc, callback=callback)
    if recipe.after is not None:
        recipe.after(model, data)
    model.eval()
    return history


def for_profile(recipe: Recipe, steps: int | None = None, profile: str | None = None) -> Recipe:
    """``recipe`` with ``steps`` training steps; by default its own, or ``smoke_steps`` in
    the smoke profile (what CI runs: every code path, seconds of training).

    ``GMCOURSE_MAX_STEPS`` (``config.max_steps``), when set, caps the result: a CPU
    rehearses the full profile's recipes in seconds (the cap is part of the checkpoint
    name, so a capped model is never taken for a fully trained one)."""
    if steps is None and (profile or get_profile()) == "smoke":
        steps = recipe.smoke_steps
    cap = max_steps()
    if cap is not None:
        steps = min(recipe.config.train.steps if steps is None else steps, cap)
    return recipe if steps is None else recipe.but(steps=steps)


def train(recipe: Recipe, seed: int = 0, steps: int | None = None, *, device=None,
          progress: bool = True, callback=None,
          profile: str | None = None) -> tuple[nn.Module, History]:
    """Train ``recipe`` from scratch (no cache): ``(model, history)``, model in eval mode.
    ``steps``: see ``for_profile``."""
    recipe = for_profile(recipe, steps, profile)
    cfg = _configured(recipe, seed)
    model = _build(recipe, cfg, seed, device)
    return model, _fit(recipe, model, cfg, seed, progress, callback)


def _describe(fn) -> str:
    if isinstance(fn, functools.partial):
        return f"{_describe(fn.func)}{fn.args}{sorted(fn.keywords.items())}"
    return getattr(fn, "__qualname__", repr(fn))


def _key_config(cfg) -> dict:
    # a time budget is no part of the key: ``trained`` refuses one (how many steps a
    # budget buys depends on the machine)
    d = checkpoint.config_dict(cfg)
    d.get("train", {}).pop("budget_s", None)
    return d


def checkpoint_name(recipe: Recipe, seed: int = 0) -> tuple[str, dict]:
    """The file stem and the key a checkpoint of ``recipe`` at ``seed`` is stored under."""
    key = {"recipe": recipe.name, "seed": seed, "config": _key_config(_configured(recipe, seed)),
           "data": _describe(recipe.data)}
    return f"{recipe.name}-seed{seed}-{checkpoint.config_hash(key)}", key


def trained(recipe: Recipe, seed: int = 0, steps: int | None = None, *, device=None,
            progress: bool = False, profile: str | None = None, history: bool = False):
    """The model of ``recipe`` trained for ``steps`` (see ``for_profile``), loaded from
    its checkpoint when one exists, else trained and saved. Eval mode, on ``device``
    (default CPU). With ``history``: ``(model, history)``, the training curves stored with
    the checkpoint (a checkpoint without them is trained again)."""
    recipe = for_profile(recipe, steps, profile)
    if recipe.config.train.budget_s is not None:
        raise ValueError(f"{recipe.name}: a time budget (budget_s) trains as many steps as the "
                         "machine allows, which no checkpoint name records; use recipes.train")
    cfg = _configured(recipe, seed)
    name, key = checkpoint_name(recipe, seed)
    model, rec = checkpoint.cached_run(name, key, lambda: _build(recipe, cfg, seed, device),
                                       lambda m: _fit(recipe, m, cfg, seed, progress),
                                       need_record=history)
    model = model.to(device or "cpu").eval()
    return (model, History(**rec)) if history else model


# --- data -------------------------------------------------------------------------------

def digits() -> Any:
    """scikit-learn's 8x8 digits, train split, grey levels in [0, 1]: (1,437, 1, 8, 8)."""
    return load_images("digits", "train")


def digits_binarized():
    return load_images("digits", "train", binarize=True)


def digits_labelled():
    return load_images("digits", "train", labels=True)


def mnist():
    return load_images("mnist", "train")


def _part_of(name: str):
    """The images of ``name`` a full-profile model trains on (``train_part``, below)."""
    return train_part(name)


def mnist_dynamic():
    """MNIST binarized afresh at every draw, as in the VAE literature."""
    return DynamicBinarized(load_images("mnist", "train"))


# --- VAE and VQ-VAE (chapter 04) --------------------------------------------------------

@dataclass
class VAEConfig:
    latent_dim: int = 2
    hidden: int = 256
    depth: int = 2
    likelihood: str = "categorical"  # "bernoulli" (binary), "categorical", "logistic", "gaussian"
    levels: int = 17                 # grey levels of the categorical / logistic decoder
    beta: float = 1.0
    autoencoder: bool = False        # the plain autoencoder: decoder of the mean, no KL
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=3000, seed=0))


def _vae(cfg: VAEConfig):
    return build_vae(cfg.shape, cfg.latent_dim, cfg.hidden, cfg.depth, cfg.likelihood,
                     cfg.levels, cfg.beta, cfg.autoencoder)


def _vae_desc(cfg: VAEConfig) -> str:
    return f"{'Autoencoder' if cfg.autoencoder else 'VAE'} d={cfg.latent_dim} beta={cfg.beta:g}"


def vae_recipe(name: str, data=digits_binarized, reseed=False, smoke_steps: int = 20,
               **settings) -> Recipe:
    cfg = VAEConfig(**{k: v for k, v in settings.items() if k in {f.name for f in fields(VAEConfig)}})
    recipe = Recipe(name, cfg, _vae, data, reseed=reseed, smoke_steps=smoke_steps)
    recipe = recipe.but(**{k: v for k, v in settings.items() if k not in vars(cfg)})
    return replace(recipe, desc=_vae_desc)


# the chapter's models: a 2D latent space, and the beta sweep with 16 latent dimensions
VAE_2D = vae_recipe("vae-2d", latent_dim=2, likelihood="bernoulli", steps=3000, smoke_steps=150)
AUTOENCODER_2D = vae_recipe("autoencoder-2d", latent_dim=2, likelihood="bernoulli",
                            autoencoder=True, steps=3000, smoke_steps=150)
VAE_BETA = vae_recipe("vae-beta", latent_dim=16, likelihood="bernoulli", steps=2000,
                      smoke_steps=100)
BETAS = (0.5, 1.0, 2.0, 4.0, 8.0)


@dataclass
class ConvVAEConfig(VAEConfig):
    """``VAEConfig`` with convolutional backbones of ``channels`` channels (vae.build_conv_vae)."""
    channels: int = 32


def _conv_vae(cfg: ConvVAEConfig):
    return build_conv_vae(cfg.shape, cfg.latent_dim, cfg.channels, cfg.likelihood, cfg.beta)


# chapter 04: the beta = 1 model of the sweep (VAE_BETA: 16 latents, Bernoulli, 2,000 steps)
# with convolutions; then the same on grey digits with a Gaussian decoder
CONV_VAE = Recipe("conv-vae", ConvVAEConfig(latent_dim=16, likelihood="bernoulli",
                                            train=replace(VAE_BETA.config.train)),
                  _conv_vae, digits_binarized, desc="conv VAE d=16, Bernoulli", smoke_steps=100)
CONV_VAE_GAUSSIAN = Recipe("conv-vae-gaussian", replace(CONV_VAE.config, likelihood="gaussian"),
                           _conv_vae, digits, reseed=True, desc="conv VAE d=16, Gaussian",
                           smoke_steps=100)
# chapter 09's VAE: a discretized-logistic decoder on the 17 grey levels
VAE_DIGITS = vae_recipe("vae-digits", data=digits, reseed=True, latent_dim=16,
                        likelihood="logistic", steps=2000)


def _full_images(name: str, dynamic: bool):
    x = load_images(name, "train")
    return DynamicBinarized(x) if dynamic else x


def vae_full(name: str) -> Recipe:
    """The full profile: Burda et al.'s one-layer architecture on MNIST or Fashion-MNIST
    (binarized afresh at every draw), or a discretized-logistic one on CIFAR-10."""
    binary = name != "cifar10"
    return vae_recipe(f"vae-{name}", data=functools.partial(_full_images, name, binary),
                      latent_dim=50, hidden=200, levels=256,
                      likelihood="bernoulli" if binary else "logistic",
                      shape=(1, 28, 28) if binary else (3, 32, 32), steps=150_000,
                      batch_size=100)


@dataclass
class VQConfig:
    K: int = 32           # codebook size
    D: int = 8            # code dimension
    hidden: int = 32      # channels of the conv encoder / decoder
    downsample: int = 1   # halvings of the image side: 8x8 digits -> a 4x4 code grid
    beta: float = 0.25    # the commitment weight
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(steps=2000, lr=2e-3, seed=0))


def _vqvae(cfg: VQConfig):
    model = build_vqvae(cfg.shape[0], cfg.K, cfg.D, cfg.hidden, cfg.downsample, cfg.beta)
    side = cfg.shape[-1] >> cfg.downsample
    model.log_prior = model.log_prior.new_zeros(side, side, cfg.K)  # what fit_prior fills
    return model


def _fit_code_histogram(model, x):
    model.fit_prior(x)


VQVAE_DIGITS = Recipe("vqvae-digits", VQConfig(), _vqvae, digits, after=_fit_code_histogram,
                      reseed=True, desc="VQ-VAE K=32", smoke_steps=100)


# --- flows (chapter 05) -----------------------------------------------------------------

@dataclass
class Flow2DConfig:
    """A 2D coupling flow (Adam with a cosine-decayed learning rate). The defaults are the
    spline flow that reaches the checkerboard and ring-8 targets."""
    kind: str = "spline"     # "spline" (rational-quadratic) or "affine" (RealNVP)
    layers: int = 4          # coupling layers, masks alternating (1, 0), (0, 1)
    hidden: int = 64
    depth: int = 2
    bins: int = 16
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=2000, batch_size=256, lr=3e-3, schedule=cosine))


def _flow_2d(cfg: Flow2DConfig):
    if cfg.kind == "affine":
        return realnvp_2d(cfg.layers, cfg.hidden, cfg.depth)
    return spline_flow_2d(cfg.layers, cfg.hidden, cfg.depth, cfg.bins)


def flow_2d(target: str, **settings) -> Recipe:
    """A 2D flow on the toy distribution ``target`` (``gmcourse.data.toy``)."""
    base = Recipe(f"flow2d-{target}", Flow2DConfig(), _flow_2d, functools.partial(toy, target),
                  smoke_steps=60)
    recipe = base.but(**settings)
    return replace(recipe, name=f"flow2d-{recipe.config.kind}-{target}",
                   desc=f"{recipe.config.kind} coupling, {target}")


SPLINE_CHECKERBOARD = flow_2d("checkerboard")
AFFINE_CHECKERBOARD = flow_2d("checkerboard", kind="affine", layers=8, hidden=128, lr=2e-3)
SPLINE_RING = flow_2d("ring8")
AFFINE_MOONS = flow_2d("two_moons", kind="affine", layers=6, hidden=64, lr=2e-3, steps=1500)


@dataclass
class GlowConfig:
    """A two-scale Glow for (1, 8, 8) digits: K steps at 4x4x4, split, K steps at 2x2x8."""
    steps_per_scale: int = 4
    hidden: int = 64
    alpha: float = 0.05
    levels: int = 17
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1000, batch_size=128, lr=2e-3, schedule=cosine, clip_grad=10.0))


def _glow(cfg: GlowConfig):
    return glow(cfg.steps_per_scale, cfg.hidden, cfg.alpha, cfg.levels, cfg.shape)


GLOW_DIGITS = Recipe("glow-digits", GlowConfig(), _glow, digits, reseed=True,
                     desc="Glow on digits")
GLOW_MNIST = Recipe("glow-mnist", GlowConfig(steps_per_scale=8, hidden=256, levels=256,
                                             shape=(1, 28, 28),
                                             train=TrainConfig(steps=20_000, lr=1e-3,
                                                               schedule=cosine, clip_grad=10.0)),
                    _glow, mnist, desc="Glow on MNIST")


# --- PixelCNN (chapter 06) --------------------------------------------------------------

@dataclass
class PixelCNNConfig:
    """levels=2: Bernoulli on binarized images; K > 2: K levels in [0, 1] (x * (K-1));
    ``codes``: integer code maps 0..K-1 (the prior over a VQ-VAE's codes)."""
    levels: int = 17
    gated: bool = True
    hidden: int = 32
    layers: int = 4
    kernel: int = 3
    first_kernel: int = 7
    codes: bool = False
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1000, batch_size=64, lr=3e-3, schedule=cosine, seed=0))


def _pixelcnn(cfg: PixelCNNConfig):
    if cfg.codes:
        dist = LevelPixels(cfg.levels)
    else:
        dist = BinaryPixels() if cfg.levels == 2 else LevelPixels(cfg.levels, cfg.levels - 1)
    return pixelcnn(dist, cfg.gated, cfg.hidden, cfg.layers, cfg.kernel, cfg.first_kernel,
                    cfg.shape)


def _images(dataset: str, levels: int):
    return load_images(dataset, "train", binarize=levels == 2)


def pixelcnn_recipe(levels: int = 17, gated: bool = True, dataset: str = "digits") -> Recipe:
    """A PixelCNN on a train split. Digits get the small CPU network; 28x28 datasets a
    larger one, meant for a GPU."""
    cfg = PixelCNNConfig(levels=levels, gated=gated)
    if dataset != "digits":
        cfg = PixelCNNConfig(levels=levels, gated=gated, hidden=64, layers=8, shape=(1, 28, 28),
                             train=TrainConfig(steps=20_000, batch_size=128, lr=1e-3,
                                               schedule=cosine, seed=0))
    return Recipe(f"pixelcnn-{dataset}{levels}-{'gated' if gated else 'plain'}", cfg, _pixelcnn,
                  functools.partial(_images, dataset, levels), reseed=True,
                  desc="gated PixelCNN" if gated else "PixelCNN", smoke_steps=30)


PIXELCNN_DIGITS = pixelcnn_recipe(17, True)


def code_prior(codes, K: int, **settings) -> Recipe:
    """A gated PixelCNN prior over code maps (N, 1, h, w) of integers 0..K-1: the second
    stage of a VQ-VAE. ``.sample(n)`` returns long codes (n, 1, h, w). The name carries a
    hash of the codes, so ``trained`` keeps one checkpoint per set of code maps (another
    VQ-VAE's codes train another prior)."""
    codes = codes.long().reshape(len(codes), 1, *codes.shape[-2:])
    cfg = PixelCNNConfig(levels=K, codes=True, shape=tuple(codes.shape[1:]))
    digest = hashlib.sha256(codes.cpu().numpy().tobytes()).hexdigest()[:8]
    return Recipe(f"code-prior-K{K}-codes{digest}", cfg, _pixelcnn, lambda: codes, reseed=True,
                  desc="PixelCNN prior over codes").but(**settings)


# --- diffusion (chapter 07) -------------------------------------------------------------

@dataclass
class ToyDDPMConfig:
    """DDPM on a 2D distribution with the FourierTimeMLP eps-model."""
    T: int = 1000
    schedule: str = "cosine"
    hidden: int = 128
    depth: int = 3
    fourier_scale: float = 3.0
    # 16,000 steps: 4,000 gave 97-98% high quality but DDIM-50 (eta 0) 30-50% worse W1
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=16_000, batch_size=256, lr=2e-3, schedule=cosine))


def _toy_ddpm(cfg: ToyDDPMConfig):
    net = FourierTimeMLP(2, cfg.hidden, cfg.depth, scale=cfg.fourier_scale)
    return DDPM(net, SCHEDULES[cfg.schedule](cfg.T), shape=(2,))


DDPM_RING = Recipe("ddpm-ring8", ToyDDPMConfig(), _toy_ddpm, functools.partial(toy, "ring8"),
                   desc="DDPM 2D", smoke_steps=200)


@dataclass
class ImageDDPMConfig:
    """A class-conditional DDPM (label dropout) on images with the small UNet."""
    T: int = 1000
    schedule: str = "cosine"
    ch: int = 16
    mults: tuple = (1, 2)
    p_uncond: float = 0.1
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1200, batch_size=128, lr=2e-3, schedule=cosine))


def _image_ddpm(cfg: ImageDDPMConfig):
    return ImageDDPM(UNet(cfg.shape[0], cfg.ch, cfg.mults, emb_dim=4 * cfg.ch, n_classes=10),
                     SCHEDULES[cfg.schedule](cfg.T), shape=cfg.shape, n_classes=10,
                     p_uncond=cfg.p_uncond, clip_x0=1.0)


def _labelled(dataset: str, split: str = "train", limit: int | None = None):
    return load_images(dataset, split, labels=True, limit=limit)


# ``.sample(n)`` (ancestral, T network calls) and ``.ddim_sample(n, steps=50)`` return
# (n, 1, 8, 8) in [0, 1]; with no labels given they draw labels uniformly, which samples
# p(x) = sum_y p(y) p(x | y).
DDPM_DIGITS = Recipe("ddpm-digits", ImageDDPMConfig(), _image_ddpm, digits_labelled,
                     reseed=True, desc="DDPM digits", smoke_steps=30)


@dataclass
class NoisyClassifierConfig:
    """Classifier guidance's p_phi(y | x_t) on the digits DDPM's forward process."""
    T: int = 1000
    schedule: str = "cosine"
    channels: int = 32
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=3000, batch_size=128, lr=2e-3, schedule=cosine))


def _noisy_classifier(cfg: NoisyClassifierConfig):
    process = ImageDDPM(nn.Identity(), SCHEDULES[cfg.schedule](cfg.T), shape=(1, 8, 8))
    return NoisyClassifier(ConvClassifier(10, cfg.channels, in_ch=2), process)


@dataclass
class LatentDDPMConfig:
    """A DDPM on the latents of chapter 09's VAE (``VAE_DIGITS``) trained with KL weight
    ``ae_beta``, eps_theta an MLP on the d = 16 latent numbers. beta = 0.1 (Rombach et al.
    use 1e-6): the KL keeps the latents near N(0, I), and a weight below 1 keeps the
    reconstructions sharp (on the test digits FID 3 at 0.1 against 32 at 1; the decoder
    is the floor under the samples' quality)."""
    ae_beta: float = 0.1
    autoencoder: str = "digits"  # a key of LATENT_AUTOENCODERS
    T: int = 1000
    schedule: str = "cosine"
    hidden: int = 256
    depth: int = 2
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=3000, batch_size=256, lr=2e-3, schedule=cosine))


def autoencoder_of(recipe: Recipe) -> Recipe:
    """Stage 1 of a latent-diffusion recipe: the VAE recipe whose latents its DDPM learns."""
    return _stage1(recipe.config)


def _stage1(cfg: LatentDDPMConfig) -> Recipe:
    return LATENT_AUTOENCODERS[cfg.autoencoder].but(beta=cfg.ae_beta)


def _latent_ddpm(cfg: LatentDDPMConfig):
    stage1 = _stage1(cfg)
    ae = trained(stage1, progress=True)  # stage 1, cached
    d = stage1.config.latent_dim
    return LatentDiffusion(ae, DDPM(TimeMLP(d, cfg.hidden, cfg.depth), SCHEDULES[cfg.schedule](cfg.T),
                                    shape=(d,)))


def _fit_latent(model, data, cfg, *, progress=True, desc=None, callback=None) -> History:
    model.fit_scale(data)  # c from the training latents, before the prior sees them
    return fit_loss(model, data, cfg.train, progress=progress, desc=desc, callback=callback)


# Stage 1 on 28x28 MNIST (when it is on disk): the same VAE, 784 pixels, 16 latent numbers
VAE_MNIST_LATENT = vae_recipe("vae-mnist-latent", data=functools.partial(_part_of, "mnist"),
                              reseed=True, latent_dim=16, hidden=512, likelihood="bernoulli",
                              shape=(1, 28, 28), beta=0.1, steps=2000, batch_size=128)
LATENT_AUTOENCODERS = {"digits": VAE_DIGITS, "mnist": VAE_MNIST_LATENT}

# chapter 11 and 09: stage 2 of latent diffusion; ``.sample(n)`` (n, 1, 8, 8) in [0, 1]
LATENT_DDPM_DIGITS = Recipe("latent-ddpm-digits", LatentDDPMConfig(), _latent_ddpm, digits,
                            fit=_fit_latent, reseed=True, desc="latent DDPM", smoke_steps=30)
# the same on MNIST: (n, 1, 28, 28); trains and samples on a laptop CPU in minutes
LATENT_DDPM_MNIST = Recipe("latent-ddpm-mnist", LatentDDPMConfig(autoencoder="mnist"),
                           _latent_ddpm, functools.partial(_part_of, "mnist"), fit=_fit_latent,
                           reseed=True, desc="latent DDPM (MNIST)", smoke_steps=30)


# chapter 11: guides DDPM_DIGITS (same T and schedule) towards a requested digit
NOISY_CLASSIFIER_DIGITS = Recipe("noisy-classifier-digits", NoisyClassifierConfig(),
                                 _noisy_classifier, digits_labelled, reseed=True,
                                 desc="classifier of noised digits", smoke_steps=30)


def ddpm_images(name: str, split: str = "train", limit: int | None = None, **settings) -> Recipe:
    """The conditional DDPM on 28x28 (or 32x32 colour) images: a wider UNet (the full
    profile, meant for a GPU; ``split``, ``limit`` and ``settings`` shrink it for a CPU)."""
    shape = (3, 32, 32) if name == "cifar10" else (1, 28, 28)
    cfg = ImageDDPMConfig(ch=64, mults=(1, 2, 2), shape=shape,
                          train=TrainConfig(steps=20_000, lr=2e-4, schedule=cosine))
    return Recipe(f"ddpm-{name}", cfg, _image_ddpm,
                  functools.partial(_labelled, name, split, limit), reseed=True,
                  desc=f"DDPM {name}").but(**settings)


# --- score models (chapter 08) ----------------------------------------------------------

@dataclass
class NCSNConfig:
    """NCSN with a ``TimeMLP`` score network. The defaults: a 2D mixture, sigma_1 about the
    distance between modes (NCSNv2 Technique 1); eps = 1e-3 gives alpha = 0.1 at sigma = 1,
    Figure 3's step."""
    sigma_max: float = 20.0
    sigma_min: float = 0.1
    L: int = 10
    eps: float = 1e-3
    steps_each: int = 100
    sigma_data: float = 5.0  # the two modes' per-coordinate spread
    hidden: int = 64
    depth: int = 3
    shape: tuple = (2,)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1500, batch_size=256, lr=2e-3, seed=0))


def _ncsn(cfg: NCSNConfig):
    sigmas = geometric_sigmas(cfg.sigma_max, cfg.sigma_min, cfg.L)
    if cfg.shape == (2,):
        return NCSN(TimeMLP(2, hidden=cfg.hidden, depth=cfg.depth), sigmas, eps=cfg.eps,
                    steps_each=cfg.steps_each, sigma_data=cfg.sigma_data)
    D = 1
    for s in cfg.shape:
        D *= s
    return NCSN(Flat(TimeMLP(D, cfg.hidden, cfg.depth)), sigmas, shape=cfg.shape, eps=cfg.eps,
                steps_each=cfg.steps_each, sigma_data=cfg.sigma_data, clamp=(0.0, 1.0))


NCSN_TWO_MODES = Recipe("ncsn-two-modes", NCSNConfig(), _ncsn, two_modes, desc="NCSN (2D)",
                        smoke_steps=30)
# 8x8 digits in [0, 1]: sigma_1 = 5 just above the largest distance between two training
# digits, 4.8 (NCSNv2 Technique 1); eps from NCSNv2's Technique 4 for L = 20 levels and
# T = 10 steps. A TimeMLP on the 64 pixels trains several times faster on a CPU than a
# convolutional network at 8x8, and scored better. ``.sample(n)`` runs annealed Langevin,
# then Tweedie's denoising step, and returns (n, 1, 8, 8) clamped to [0, 1].
NCSN_DIGITS = Recipe("ncsn-digits", NCSNConfig(
    sigma_max=5.0, sigma_min=0.02, L=20, eps=6.2e-5, steps_each=10, sigma_data=0.4,
    hidden=256, depth=3, shape=(1, 8, 8),
    train=TrainConfig(steps=6000, batch_size=128, lr=2e-3, seed=0)), _ncsn, digits,
    desc="NCSN (digits)")


# --- GANs (chapters 02-03) ----------------------------------------------------------------
#
# The 2D GANs of chapters 02-03 train in seconds and are not cached: their configs
# (ToyGANConfig, WGANRun) nest a TrainConfig, ``but(config, steps=...)`` changes fields,
# and train_toy_gan / train_wgan seed, build and train one run. The digits DCGANs below
# are cached recipes.

TARGETS = {"ring8": ring8, "grid25": grid25,
           # chapter 02's capacity grid: k modes of std 0.05 on the unit circle
           **{f"mix{k}": functools.partial(ring, k) for k in (2, 4, 9)}}
_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


def but(base, **kw):
    """A copy of a config with fields changed; TrainConfig's fields go to ``base.train``
    (``Recipe.but`` for the configs below, which have no ``Recipe``: they train in seconds)."""
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
    instance_noise: float = field(default=0.0, metadata=checkpoint.ADDED)  # sigma_0 of
    # Gaussian noise on D's inputs, decayed to 0
    r1: float = 0.0          # gamma of the R1 penalty (0: none)
    ema: float | None = None
    drs: bool = False        # discriminator rejection sampling after training
    calibrate: int = 0       # D-only steps against the final (averaged) G before DRS
    seed: int = 0            # seeds the networks and the batches (global generator)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=3000, batch_size=256, lr=1e-3, betas=(0.5, 0.999)))


LOSSES = {"minimax": Minimax, "ns": NonSaturating, "lsgan": LeastSquares, "hinge": Hinge,
          "f-kl": lambda: FGAN("kl"), "f-reverse_kl": lambda: FGAN("reverse_kl"),
          "f-js": lambda: FGAN("js"), "f-pearson": lambda: FGAN("pearson"),
          "ns-smooth": lambda: SmoothedLabels(smooth=0.1),   # one-sided, D's target 0.9
          "ns-flip": lambda: SmoothedLabels(flip=0.05)}      # 5% of D's labels flipped


def toy_gan(cfg: ToyGANConfig) -> GAN:
    G = MLP(cfg.latent_dim, 2, hidden=cfg.hidden, depth=cfg.depth, act=nn.ReLU)
    D = MLP(2 * cfg.pack, 1, hidden=cfg.d_hidden or cfg.hidden, depth=cfg.d_depth or cfg.depth,
            act=nn.LeakyReLU)
    return GAN(G, D, LOSSES[cfg.loss](), cfg.latent_dim, pack=cfg.pack, ema=cfg.ema,
               penalty=R1(cfg.r1) if cfg.r1 else None,
               constraint=SpectralNorm() if cfg.sn else InstanceNoise(
                   cfg.instance_noise, cfg.train.steps * cfg.n_critic) if cfg.instance_noise else None)


def _fit_toy_gan(gan: GAN, target, cfg: ToyGANConfig, progress: bool, callback) -> History:
    hist = fit_adversarial(gan, target, cfg.train, Game(n_critic=cfg.n_critic),
                           progress=progress, callback=callback, desc=f"GAN on {cfg.target}")
    if cfg.calibrate:
        if gan.G_ema is not None:  # D should judge the generator we will sample from
            gan.G.load_state_dict(gan.G_ema.net.state_dict())
        fit_adversarial(gan, target, replace(cfg.train, steps=cfg.calibrate, lr=cfg.train.lr / 4,
                                             schedule=constant),
                        Game(train_generator=False), progress=progress, desc="calibrating D")
    return hist


def train_toy_gan(cfg: ToyGANConfig, progress: bool = True, callback=None):
    """Train one recipe; returns (gan, target, history)."""
    seed_everything(cfg.seed)
    target = TARGETS[cfg.target]()
    gan = toy_gan(cfg)
    return gan, target, _fit_toy_gan(gan, target, cfg, progress, callback)


def trained_toy_gan(cfg: ToyGANConfig, progress: bool = True, verbose: bool = True):
    """``train_toy_gan`` through a checkpoint (with its history): a run the chapter shows
    finished loads in a second. Raises ``TrainingDiverged`` again for a run that diverged.
    ``verbose=False``: no line saying which checkpoint was loaded."""
    target = TARGETS[cfg.target]()

    def build():
        seed_everything(cfg.seed)
        return toy_gan(cfg)

    def fit(gan):
        try:
            return _fit_toy_gan(gan, target, cfg, progress, None)
        except TrainingDiverged as e:
            return {"diverged": str(e)}
    key = checkpoint.config_dict(cfg)
    gan, rec = checkpoint.cached_run(
        f"gan-{cfg.target}-{checkpoint.config_hash(key)}", key, build, fit, verbose=verbose)
    if "diverged" in rec:
        raise TrainingDiverged(rec["diverged"])
    return gan, target, History(**rec)


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
LOSS_RECIPES = {"non-saturating": VANILLA, "LSGAN": but(VANILLA, loss="lsgan"),
                "hinge": but(VANILLA, loss="hinge"),
                "f-GAN KL": but(VANILLA, loss="f-kl", lr=2e-4),
                "f-GAN reverse KL": but(VANILLA, loss="f-reverse_kl", lr=2e-4),
                "f-GAN Pearson": but(VANILLA, loss="f-pearson", lr=2e-4)}

@dataclass
class MMDConfig:
    """A generator trained on the MMD^2 estimate alone (``moment_matching.MMDGenerator``),
    with the plain GAN's generator, batch, optimiser and budget, for the loss comparison."""
    target: str = "ring8"
    hidden: int = 128
    depth: int = 3
    latent_dim: int = 2
    bandwidths: tuple = (0.02, 0.05, 0.2, 1.0)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1500, batch_size=256, lr=1e-3, betas=(0.5, 0.999)))


def toy_mmd(cfg: MMDConfig = MMDConfig(), seed: int = 0, progress: bool = False):
    """A trained (checkpoint-cached) MMD generator on a 2D target."""
    def build():
        seed_everything(seed)
        G = MLP(cfg.latent_dim, 2, hidden=cfg.hidden, depth=cfg.depth, act=nn.ReLU)
        return MMDGenerator(G, cfg.latent_dim, cfg.bandwidths)

    def train(model):
        fit_loss(model, TARGETS[cfg.target](), replace(cfg.train, seed=seed), progress=progress,
                 desc=f"MMD {cfg.target}")
    return _cached(f"mmd-{cfg.target}", cfg, seed, build, train)


BEST = but(VANILLA, steps=7000, lr=2e-3, schedule=linear_decay, r1=0.03, ema=0.999, drs=True,
              calibrate=500)


# --- Wasserstein GANs on the same mixtures (chapter 03) -------------------------------------

@dataclass
class WGANRun:
    """One WGAN on a 2D target: MLP generator and critic, the critic kept Lipschitz by
    ``method``. ``paper_wgan(method)`` gives each paper's optimiser; ``TUNED_WGAN`` ours."""
    method: str = "gp"       # "clip", "gp" or "sn"
    target: str = "ring8"
    hidden: int = 64         # the generator's width, and the critic's unless critic_hidden
    critic_hidden: int | None = None
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
    return but(WGANRun(method=method, game=game), **train, **kw)


# A Wasserstein GAN tuned for a lecture's budget (chapter 03): the same objective and
# penalty, but penalty weight 1 instead of 10 (a weaker pull towards slope 1 lets the
# critic's slopes follow the data's sharp modes), 2 critic steps instead of 5 (each
# generator step sees a fresh critic at less than half the price), Adam with lr 1e-3 and
# beta1 = 0 (10 times the paper's rate) that a cosine schedule takes to 0, so the last steps
# sharpen the modes instead of moving mass between them; a wider generator (128 units)
# against a 64-unit critic. The critic's steps, each with the penalty's second backward
# pass, are most of a step's cost: halving its width makes a step about 1.5 times cheaper
# (at 1 thread), and on the grid a 64-unit critic covers as well as a 128-unit one (84-89%
# high quality over 3 seeds with either) while a 48-unit one does not (66% on one seed).
TUNED_WGAN = WGANRun(method="gp", hidden=128, critic_hidden=64, lam=1.0, game=Game(n_critic=2),
                     train=TrainConfig(steps=8000, batch_size=256, lr=1e-3, betas=(0.0, 0.9),
                                       schedule=cosine))
TUNED_STEPS = {"ring8": 3000, "grid25": 8000}  # generator steps on each target
PAPER_STEPS = 1500  # the paper-default runs' generator steps on the ring (chapter 03)


def tuned_wgan(target: str = "ring8", seed: int = 0, steps: int | None = None) -> WGANRun:
    """``TUNED_WGAN`` on ``target`` with chapter 03's budget (and its W1 trace every 50 or
    200 steps: the trace draws samples, so it is part of the run's random stream)."""
    return but(TUNED_WGAN, target=target, seed=seed, steps=steps or TUNED_STEPS[target],
                  trace_every=50 if target == "ring8" else 200)


def _wgan_model(run: WGANRun):
    seed_everything(run.seed)
    G = MLP(2, 2, hidden=run.hidden, depth=3, act=nn.ReLU)
    f = MLP(2, 1, hidden=run.critic_hidden or run.hidden, depth=3, act=nn.ReLU)
    return build_wgan(G, f, run.method, latent_dim=2, lam=run.lam)


def _fit_wgan(model, run: WGANRun, callback=None, progress: bool = True) -> dict:
    target = TARGETS[run.target]()
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
    cov = mode_coverage(x_fake, target)
    return {"trace": trace, "seconds": seconds,
            "coverage": {**dataclasses.asdict(cov), "weights": cov.weights.tolist()},
            "critic_w1": critic_estimate(model, x_eval),
            "lipschitz": lipschitz_estimate(model.discriminate, x_eval, x_fake[:run.n_trace])}


def _wgan_result(model, run: WGANRun, rec: dict) -> dict:
    cov = ModeCoverage(**{**rec["coverage"], "weights": torch.tensor(rec["coverage"]["weights"])})
    return {**rec, "gan": model, "target": TARGETS[run.target](), "coverage": cov}


def train_wgan(run: WGANRun, callback=None, progress: bool = True) -> dict:
    """Train a WGAN; record the critic's estimate and the exact W1 while training.

    Returns the model, the target, the trace (step, critic, exact_w1), the coverage, a
    lower bound of the critic's Lipschitz constant at the end, and the seconds taken.
    """
    model = _wgan_model(run)
    return _wgan_result(model, run, _fit_wgan(model, run, callback, progress))


def trained_wgan(run: WGANRun, progress: bool = True) -> dict:
    """``train_wgan`` through a checkpoint that keeps the trace, coverage and seconds of
    the run that trained it: the same dict, in a second when it was trained before."""
    key = checkpoint.config_dict(run)
    model, rec = checkpoint.cached_run(
        f"wgan-{run.method}-{run.target}-{checkpoint.config_hash(key)}", key,
        lambda: _wgan_model(run), lambda m: _fit_wgan(m, run, None, progress))
    return _wgan_result(model, run, rec)


@dataclass
class DCGANConfig:
    """DCGAN settings (Radford et al. 2016: Adam lr 2e-4, beta1 0.5; batch norm in G);
    "wgan-gp" trains with Adam (0, 0.9) and 5 critic steps (Gulrajani et al., Alg. 1)."""
    variant: str = "gan"          # "gan" (non-saturating) or "wgan-gp"
    conditional: bool | str = False  # True: G sees the label beside z; "all": also in
                                     # every batch norm (nn.ConditionalBatchNorm)
    latent_dim: int = 32
    channels: int = 64
    shape: tuple = (1, 8, 8)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=2500, batch_size=64, lr=2e-4, betas=(0.5, 0.999)))


def _dcgan(cfg: DCGANConfig) -> GAN:
    k = 10 if cfg.conditional else None
    wgan = cfg.variant == "wgan-gp"
    G = DCGenerator(cfg.latent_dim, cfg.shape, cfg.channels, n_classes=k,
                    label_layers="all" if cfg.conditional == "all" else "input")
    D = DCDiscriminator(cfg.shape, cfg.channels, n_classes=k, norm=not wgan)
    return GAN(G, D, Wasserstein() if wgan else NonSaturating(), cfg.latent_dim, n_classes=k,
               penalty=GradientPenalty(10.0) if wgan else None)


def _fit_dcgan(model, data, cfg: DCGANConfig, *, progress=True, desc=None, callback=None):
    game = Game(n_critic=5 if cfg.variant == "wgan-gp" else 1)
    return fit_adversarial(model, data, cfg.train, game, progress=progress, desc=desc,
                           callback=callback)


def _unlabelled(dataset: str, split: str = "train", limit: int | None = None):
    return load_images(dataset, split, limit=limit)


def dcgan(variant: str = "gan", conditional: bool = False, dataset: str = "digits",
          split: str = "train", limit: int | None = None, **settings) -> Recipe:
    """A (conditional) DCGAN on a split of ``dataset``; ``.sample(n)`` (or ``.sample(n, y)``)
    gives images in [0, 1]. No likelihood: no ``bits_per_dim``."""
    if variant not in ("gan", "wgan-gp"):
        raise ValueError(f"variant must be 'gan' or 'wgan-gp', not {variant!r}")
    shape = (1, 8, 8) if dataset == "digits" else (3, 32, 32) if dataset == "cifar10" else (1, 28, 28)
    cfg = DCGANConfig(variant=variant, conditional=conditional, shape=shape)
    data = functools.partial(_labelled if conditional else _unlabelled, dataset, split, limit)
    if conditional not in (False, True, "all"):
        raise ValueError(f"conditional must be False, True or 'all', not {conditional!r}")
    name = f"dcgan-{dataset}-{'c' if conditional else ''}{variant}{'-cbn' if conditional == 'all' else ''}"
    return Recipe(name, cfg, _dcgan, data, fit=_fit_dcgan, reseed=True, smoke_steps=20,
                  desc=f"DCGAN ({variant}) on {dataset}").but(**settings)


CGAN_DIGITS = dcgan("gan", conditional=True).but(steps=2500)   # chapter 03
CGAN_CBN_DIGITS = dcgan("gan", conditional="all").but(steps=2500)  # the label in every layer
GAN_DIGITS = dcgan("gan")
WGAN_GP_DIGITS = dcgan("wgan-gp", steps=1500)


# --- full profile (GPU track) -------------------------------------------------------------
# Every image family at its full-profile size on 28x28 images, trained on the train split,
# or, where only the test split is on disk (an offline machine), on all but the last
# ``HELD_OUT`` test images, which are then the images it is scored on. ``full_profile(name)``
# gives the recipes; ``gmcourse.benchmarks.full`` trains each for a time budget.

HELD_OUT = 1000  # test images kept back for scoring when the train split is absent


def training_part(name: str) -> tuple[str, int | None]:
    """Where the full profile trains on ``name``: ``("train", None)``, or ``("test", N -
    HELD_OUT)`` (the first N - 1,000 test images) when only the test split is on disk."""
    if available(name, "train"):
        return "train", None
    return "test", len(load_images(name, "test")) - HELD_OUT


def _part(name: str, split: str, limit: int | None, labels: bool = False,
          binarize: bool = False, dynamic: bool = False):
    out = load_images(name, split, labels=labels, limit=limit, binarize=binarize)
    return DynamicBinarized(out) if dynamic else out


def train_part(name: str, **kw):
    """The images (and labels, ``labels=True``) the full profile trains on."""
    return _part(name, *training_part(name), **kw)


def held_out(name: str, labels: bool = False):
    """The images the full profile scores on: the test split, or its last ``HELD_OUT``."""
    split, limit = training_part(name)
    out = load_images(name, "test", labels=labels)
    if split == "train":
        return out
    return tuple(t[limit:] for t in out) if labels else out[limit:]


def data_note(name: str) -> str:
    """Which images the full profile trains and scores on, in words."""
    split, limit = training_part(name)
    if split == "train":
        return (f"{name}: trained on the train split ({len(load_images(name, 'train')):,} "
                f"images), scored on the test split ({len(load_images(name, 'test')):,})")
    return (f"{name}: no train split on disk, so trained on the first {limit:,} test images "
            f"and scored on the other {HELD_OUT:,}")


@dataclass
class NCSNImageConfig(NCSNConfig):
    """NCSN on images with the UNet as score network, fed log sigma as its time input.
    Defaults: Song and Ermon (2019) on MNIST, sigma 1 -> 0.01 in L = 10 levels, T = 100
    Langevin steps per level with eps = 2e-5."""
    sigma_max: float = 1.0
    sigma_min: float = 0.01
    L: int = 10
    eps: float = 2e-5
    steps_each: int = 100
    sigma_data: float = 0.3  # MNIST's pixel standard deviation
    ch: int = 64
    mults: tuple = (1, 2, 2)
    shape: tuple = (1, 28, 28)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=20_000, batch_size=128, lr=2e-4, schedule=cosine))


def _ncsn_unet(cfg: NCSNImageConfig):
    net = UNet(cfg.shape[0], cfg.ch, cfg.mults, emb_dim=4 * cfg.ch)
    return NCSN(net, geometric_sigmas(cfg.sigma_max, cfg.sigma_min, cfg.L), shape=cfg.shape,
                eps=cfg.eps, steps_each=cfg.steps_each, sigma_data=cfg.sigma_data,
                clamp=(0.0, 1.0))


@dataclass
class IWAEConfig(VAEConfig):
    k: int = 50  # importance samples per example in the training bound


def _iwae(cfg: IWAEConfig) -> IWAE:
    vae = _vae(cfg)
    model = IWAE(vae.encoder, vae.decoder, cfg.latent_dim, cfg.beta)
    model.k = cfg.k
    return model


def _code_histogram_on_device(model, x, n: int = 512):
    """The VQ-VAE's histogram prior from the codes of ``n`` training images, on the model's
    device (``fit_prior`` encodes its input in one batch)."""
    model.fit_prior(x[:n].to(next(model.parameters()).device))


def full_profile(name: str = "mnist") -> dict[str, Recipe]:
    """Each image family's full-profile recipe on ``name`` (28x28), trained on the images
    ``training_part`` names. Latent diffusion and flow matching add theirs here."""
    split, limit = training_part(name)
    images = functools.partial(_part, name, split, limit)
    shape = (3, 32, 32) if name == "cifar10" else (1, 28, 28)
    binary = name != "cifar10"
    return {
        "conditional DCGAN": dcgan("gan", conditional=True, dataset=name, split=split,
                                   limit=limit, steps=20_000, batch_size=128),
        # Gulrajani et al. (2017) Algorithm 1: Adam (1e-4, beta 0, 0.9), 5 critic steps, batch 64
        "WGAN-GP": dcgan("wgan-gp", dataset=name, split=split, limit=limit, steps=20_000,
                         batch_size=64, lr=1e-4, betas=(0.0, 0.9)),
        "VAE": vae_full(name).but(data=functools.partial(_part, name, split, limit,
                                                         dynamic=binary)),
        # Burda et al. (2016): the same networks trained on IWAE_50
        "IWAE": replace(vae_full(name), name=f"iwae-{name}", build=_iwae, desc="IWAE k=50",
                        config=IWAEConfig(**vars(vae_full(name).config)),
                        data=functools.partial(_part, name, split, limit, dynamic=binary)),
        "VQ-VAE": Recipe(f"vqvae-{name}", VQConfig(
            K=128, D=16, hidden=64, downsample=2, shape=shape,
            train=TrainConfig(steps=20_000, batch_size=128, lr=1e-3, schedule=cosine, seed=0)),
            _vqvae, images, after=_code_histogram_on_device, reseed=True, desc="VQ-VAE K=128"),
        "Glow": replace(GLOW_MNIST, name=f"glow-{name}", data=images) if name == "mnist"
        else replace(GLOW_MNIST, name=f"glow-{name}", data=images,
                     config=replace(GLOW_MNIST.config, shape=shape)),
        "gated PixelCNN": pixelcnn_recipe(256, True, name).but(data=images),
        "DDPM": ddpm_images(name, split, limit),
        "NCSN": Recipe(f"ncsn-{name}", NCSNImageConfig(shape=shape), _ncsn_unet, images,
                       reseed=True, desc=f"NCSN {name}"),
    }


# --- flow matching (chapter 10) -----------------------------------------------------------

PATHS = {"linear": fm.LinearPath, "vp": fm.VPPath}
COUPLINGS = {"independent": fm.independent, "ot": fm.ot_coupling}


def _fm_fit(model, data, steps, batch_size, lr, seed, progress, desc):
    """Adam with a cosine-decayed learning rate, batches seeded by ``seed``."""
    return fit_loss(model, data, TrainConfig(steps=steps, batch_size=batch_size, lr=lr,
                                             schedule=cosine, seed=seed),
                    progress=progress, desc=desc)


def _cached(prefix, cfg, seed, build, train):
    """``checkpoint.cached`` under the naming rule of ``checkpoint_name``:
    <name>-seed<seed>-<hash of the key stored in the file>."""
    key = {**checkpoint.config_dict(cfg), "seed": seed}
    return checkpoint.cached(f"{prefix}-seed{seed}-{checkpoint.config_hash(key)}", key, build, train)


# --- 2D flow matching -------------------------------------------------------------------


@dataclass
class ToyFMConfig:
    """Flow matching on a 2D toy with chapter 07's FourierTimeMLP and its training budget."""
    dataset: str = "ring8"
    path: str = "linear"
    coupling: str = "independent"
    source: str | None = None  # a toy's name (e.g. "ring8" for moons -> ring); None: N(0, I)
    hidden: int = 128
    depth: int = 3
    fourier_scale: float = 3.0
    steps: int = 16000
    batch_size: int = 256
    lr: float = 2e-3


def build_toy_fm(cfg: ToyFMConfig) -> fm.FlowMatching:
    net = FourierTimeMLP(2, cfg.hidden, cfg.depth, scale=cfg.fourier_scale)
    return fm.FlowMatching(net, PATHS[cfg.path](), coupling=COUPLINGS[cfg.coupling],
                           source=toy(cfg.source) if cfg.source else None)


def toy_fm(cfg: ToyFMConfig = ToyFMConfig(), seed: int = 0, progress: bool = False):
    """A trained 2D flow-matching model (eval, CPU, checkpoint-cached)."""
    def build():
        seed_everything(seed)
        return build_toy_fm(cfg)
    return _cached(f"fm-{cfg.dataset}", cfg, seed, build,
                   lambda m: _fm_fit(m, toy(cfg.dataset), cfg.steps, cfg.batch_size, cfg.lr,
                                     seed, progress, f"FM {cfg.dataset}"))


@dataclass
class ReflowConfig:
    """Reflow: a fresh network trained on n_pairs (x0, ODE(x0)) of the teacher; it starts
    from the teacher's weights (Liu et al. 2023 fine-tune the 1-rectified flow too)."""
    teacher: ToyFMConfig = field(default_factory=ToyFMConfig)
    n_pairs: int = 50_000
    ode_steps: int = 100  # midpoint steps that make the pairs (no call at t = 1, where the
    solver: str = "midpoint"  # learned field is least accurate)
    steps: int = 8000
    batch_size: int = 256
    lr: float = 5e-4


def toy_reflow(cfg: ReflowConfig = ReflowConfig(), seed: int = 0, progress: bool = False):
    teacher = toy_fm(cfg.teacher, seed, progress)

    def train(model):
        _fm_fit(model, _reflow_pairs(teacher, cfg, seed), cfg.steps, cfg.batch_size, cfg.lr,
                seed, progress, "reflow")
    return _cached(f"reflow-{cfg.teacher.dataset}", cfg, seed,
                   lambda: _reflow_from(teacher, cfg.teacher, seed), train)


def _reflow_from(start: fm.FlowMatching, flow: ToyFMConfig, seed: int, distill: bool = False):
    """A Reflow with ``flow``'s network and path, starting from ``start``'s weights."""
    seed_everything(seed)
    model = fm.Reflow(FourierTimeMLP(2, flow.hidden, flow.depth, scale=flow.fourier_scale),
                      PATHS[flow.path](), distill=distill)
    model.velocity.load_state_dict(start.velocity.state_dict())
    return model


def _reflow_pairs(teacher, cfg: ReflowConfig, seed: int):
    torch.manual_seed(1000 + seed)
    return fm.reflow_pairs(teacher, cfg.n_pairs, cfg.ode_steps, fm.SOLVERS[cfg.solver])


@dataclass
class DistillConfig:
    """[RF] Sec. 2.3's distillation of a reflow into one Euler step: the reflow's objective
    at t = 0 alone (``Reflow(distill=True)``), on the reflow's own pairs, starting from the
    reflow's network. On ring-8 one step of the reflow leaves about a quarter of its samples
    between modes; the same budget spent on t = 0 alone leaves under a tenth."""
    reflow: ReflowConfig = field(default_factory=ReflowConfig)
    steps: int = 16000
    batch_size: int = 256
    lr: float = 1e-3


def toy_distilled(cfg: DistillConfig = DistillConfig(), seed: int = 0, progress: bool = False):
    reflow = toy_reflow(cfg.reflow, seed, progress)

    def train(model):
        pairs = _reflow_pairs(toy_fm(cfg.reflow.teacher, seed, progress), cfg.reflow, seed)
        _fm_fit(model, pairs, cfg.steps, cfg.batch_size, cfg.lr, seed, progress, "distil")
    return _cached(f"distill-{cfg.reflow.teacher.dataset}", cfg, seed,
                   lambda: _reflow_from(reflow, cfg.reflow.teacher, seed, distill=True), train)


@dataclass
class ConsistencyConfig:
    """A consistency model distilled from the trajectories of a trained flow. The teacher
    is the independent-coupling flow: its marginals are the path's, so re-noising along the
    path (the second sampling step) lands where the teacher's trajectories pass."""
    teacher: ToyFMConfig = field(default_factory=ToyFMConfig)
    N: int = 18
    n_traj: int = 20_000
    substeps: int = 6  # midpoint steps between grid times
    velocity_weighted: bool = True  # ConsistencyModel.loss's weighting of the times
    steps: int = 8000
    batch_size: int = 256
    lr: float = 5e-4


def toy_consistency(cfg: ConsistencyConfig = ConsistencyConfig(), seed: int = 0,
                    progress: bool = False):
    teacher = toy_fm(cfg.teacher, seed, progress)

    def build():
        seed_everything(seed)
        net = FourierTimeMLP(2, cfg.teacher.hidden, cfg.teacher.depth, scale=cfg.teacher.fourier_scale)
        net.load_state_dict(teacher.velocity.state_dict())  # f starts as one Euler step to t = 1
        return ConsistencyModel(net, teacher, cfg.N, cfg.velocity_weighted)

    def train(model):
        torch.manual_seed(2000 + seed)
        traj = consistency_trajectories(teacher, cfg.n_traj, cfg.N, cfg.substeps)
        _fm_fit(model, traj, cfg.steps, cfg.batch_size, cfg.lr, seed, progress, "consistency")
    return _cached(f"cm-{cfg.teacher.dataset}", cfg, seed, build, train)


# --- digits: class-conditional flow matching with label dropout ---------------------------


@dataclass
class DigitsFMConfig:
    """Conditional flow matching on 8x8 digits with chapter 07's small UNet."""
    ch: int = 16
    mults: tuple = (1, 2)
    p_uncond: float = 0.1
    steps: int = 1200
    batch_size: int = 128
    lr: float = 2e-3


def build_digits_fm(cfg: DigitsFMConfig) -> fm.ImageFlowMatching:
    return fm.ImageFlowMatching(UNet(1, cfg.ch, cfg.mults, emb_dim=4 * cfg.ch, n_classes=10),
                                shape=(1, 8, 8), n_classes=10, p_uncond=cfg.p_uncond)


def digits_fm(seed: int = 0, steps: int | None = None, progress: bool = False):
    """The chapter's conditional digits flow (eval, CPU, cached); ``sample(n, steps)``
    returns (n, 1, 8, 8) in [0, 1], with uniform labels unless ``y`` is given."""
    cfg = DigitsFMConfig(**({} if steps is None else {"steps": steps}))

    def build():
        seed_everything(seed)
        return build_digits_fm(cfg)
    x, y = load_images("digits", "train", labels=True)
    return _cached("fm-digits", cfg, seed, build,
                   lambda m: _fm_fit(m, (x, y), cfg.steps, cfg.batch_size, cfg.lr, seed, progress,
                                     "FM digits")).cpu()


# --- chapter 07's ring-8 DDPM, cached, for the comparison table ------------------------------


def ring_ddpm(seed: int = 0, steps: int | None = None, progress: bool = False):
    """Chapter 07's ring-8 DDPM (``DDPM_RING``), trained once and cached."""
    return trained(DDPM_RING, seed, steps if steps is not None else DDPM_RING.config.train.steps,
                   progress=progress)


# --- the settings of the chapter and of the benchmark ---------------------------------------

# Two consistency steps: the second re-noises to t_15 = 15/17 of the N = 18 grid the model
# is trained on (near 0.9, where the modes are well apart); off the grid, at 0.9 itself, f
# is less precise (the network sees t through sinusoidal features of 1000 t).
CM_TIMES = (0.0, 15 / 17)
LOGP_STEPS = 50  # Heun steps of the ODE log-density


def ring_configs(smoke: bool = False) -> dict:
    """The benchmark's ring-8 models: chapter 07's DDPM budget (16,000 steps) for both."""
    steps = 200 if smoke else 16_000
    flow = ToyFMConfig(steps=steps)
    flow_ot = dataclasses.replace(flow, coupling="ot")  # straighter: reflow's teacher
    reflow = ReflowConfig(teacher=flow_ot, steps=100 if smoke else 8000,
                          n_pairs=2000 if smoke else 50_000)
    return {"ddpm_steps": steps, "fm": flow, "fm_ot": flow_ot, "reflow": reflow,
            "distill": DistillConfig(reflow=reflow, steps=100 if smoke else 16_000),
            "cm": ConsistencyConfig(teacher=flow, steps=100 if smoke else 16_000, lr=1e-3,
                                    n_traj=2000 if smoke else 20_000)}


def checkerboard_config(smoke: bool = False) -> ToyFMConfig:
    """Flow matching on the checkerboard for the likelihood comparison (about 110 s of one
    thread). Fourier features of scale 1, not 3: at scale 3 the field is rough and the ODE
    likelihood worse (test NLL 3.76 nats after 24,000 steps at scale 3; at scale 1, 3.55
    after 30,000 steps and 3.54 after 45,000). The loss sits at the squares' edges: test
    points within 0.05 of an edge cost 4.25 nats, those 0.1 or more inside about log 32.
    None of these did better: scale 0.5, 1.5 and 2, a batch of 1024, 256 hidden units,
    lr 4e-3, the OT coupling, 64 or 128 Fourier frequencies instead of 16 (3.56 at scale 1,
    3.58 at 2, 3.62 at 3) and ReLU instead of SiLU (3.58)."""
    return ToyFMConfig(dataset="checkerboard", fourier_scale=1.0, steps=200 if smoke else 45_000)


def spline_config(smoke: bool = False) -> Recipe:
    """Chapter 05's spline flow, wider (128 hidden units, 32 bins) and trained for about
    100 s of one thread: the checkerboard's sharp edges need the bins (at 64 units and
    16 bins, six layers and 8000 steps end at 3.504 nats)."""
    return SPLINE_CHECKERBOARD.but(hidden=128, bins=32, steps=100 if smoke else 5500)


def chapter_configs(profile: str | None = None) -> dict:
    """Chapter 10's models, at fewer training steps than the benchmark's (the chapter says so)."""
    def p(smoke, lecture):
        return pick(smoke=smoke, lecture=lecture, profile=profile)
    flow = ToyFMConfig(steps=p(200, 6000))
    flow_ot = dataclasses.replace(flow, coupling="ot")
    reflow = ReflowConfig(teacher=flow_ot, steps=p(100, 3000), n_pairs=p(2000, 20_000))
    return {"fm": flow, "fm_ot": flow_ot, "ddpm_steps": p(200, 6000), "reflow": reflow,
            "distill": DistillConfig(reflow=reflow, steps=p(100, 4000)),
            "cm": ConsistencyConfig(teacher=flow, steps=p(100, 3000), lr=1e-3,
                                    n_traj=p(2000, 20_000)),
            "vp": dataclasses.replace(flow, path="vp"),
            "moons": ToyFMConfig(dataset="ring8", source="two_moons", coupling="ot",
                                 steps=p(200, 3000)),
            "checkerboard": ToyFMConfig(dataset="checkerboard", fourier_scale=1.0,
                                        steps=p(200, 4000)),
            "spline": SPLINE_CHECKERBOARD.but(steps=p(100, 2000)),
            "digits_steps": p(30, None)}


# === Issue 20, chapter 06: transformers as autoregressive models ==========================

@dataclass
class TransformerConfig:
    """A causal transformer over a sequence of K-valued tokens (``gmcourse.transformer``).
    The defaults: 17-level 8x8 digits in raster order, at about the gated PixelCNN's
    parameter count (106k against 116k) and training steps."""
    levels: int = 17
    shape: tuple = (1, 8, 8)
    scale: float | None = 16.0   # images in [0, 1]; None: integer tokens (characters)
    d: int = 64
    heads: int = 4
    layers: int = 2
    dropout: float = 0.1
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=1000, batch_size=64, lr=3e-3, schedule=cosine, seed=0))


def _transformer(cfg: TransformerConfig):
    return ar_transformer(cfg.levels, cfg.shape, cfg.scale, cfg.d, cfg.heads, cfg.layers,
                          cfg.dropout)


TRANSFORMER_DIGITS = Recipe("transformer-digits17", TransformerConfig(), _transformer, digits,
                            reseed=True, desc="causal transformer", smoke_steps=30)


def zen_of_python() -> str:
    """The Zen of Python (PEP 20), shipped inside the standard library as ``this`` (ROT13)."""
    with contextlib.redirect_stdout(io.StringIO()):  # importing ``this`` prints it
        import this
    return codecs.decode(this.s, "rot13")


def characters(text: str) -> list[str]:
    """The vocabulary: the distinct characters of ``text``, sorted; token k is chars[k]."""
    return sorted(set(text))


def char_windows(text: str, length: int) -> torch.Tensor:
    """Every window of ``length`` consecutive characters, as tokens: (N, length) long."""
    chars = characters(text)
    tokens = torch.tensor([chars.index(c) for c in text])
    return tokens.unfold(0, length, 1).contiguous()


ZEN_CONTEXT = 64


def zen_windows() -> torch.Tensor:
    """The Zen of Python as every window of 64 characters: (793, 64) tokens."""
    return char_windows(zen_of_python(), ZEN_CONTEXT)


TRANSFORMER_ZEN = Recipe(
    "transformer-zen",
    TransformerConfig(levels=len(characters(zen_of_python())), shape=(ZEN_CONTEXT,),
                      scale=None, dropout=0.0,
                      train=TrainConfig(steps=400, batch_size=32, lr=3e-3, schedule=cosine,
                                        seed=0)),
    _transformer, zen_windows, reseed=True,
    desc="character transformer", smoke_steps=20)


# === Issue 20, chapter 08: an energy-based model ==========================================

@dataclass
class EBMConfig:
    """An MLP energy on 2D data, trained by contrastive divergence with ``langevin_steps``
    Langevin steps of size ``eps`` per training step from a replay buffer
    (``gmcourse.ebm.EBM``); chains start uniform in [-box, box]^2."""
    hidden: int = 64
    depth: int = 3
    box: float = 3.5
    buffer_size: int = 10_000
    langevin_steps: int = 20
    eps: float = 1e-2
    restart: float = 0.05
    alpha: float = 0.1
    train: TrainConfig = field(default_factory=lambda: TrainConfig(
        steps=2000, batch_size=256, lr=1e-3, seed=0))


def _ebm(cfg: EBMConfig):
    return EBM(MLP(2, 1, cfg.hidden, cfg.depth), 2, cfg.box, cfg.buffer_size,
               cfg.langevin_steps, cfg.eps, cfg.restart, cfg.alpha)


# a ring of 8 Gaussians, radius 2, standard deviation 0.2: exact density, well inside the box
ebm_target = functools.partial(toy, "ring8", radius=2.0, std=0.2)
EBM_RING = Recipe("ebm-ring8", EBMConfig(), _ebm, ebm_target, reseed=True,
                  desc="EBM (contrastive divergence)", smoke_steps=30)


# === Issue 20, chapter 04: a learned prior against prior holes ============================

@dataclass
class MixturePriorVAEConfig(VAEConfig):
    """``VAEConfig`` with a learned mixture-of-Gaussians prior of K components."""
    K: int = 16


def _mixture_prior_vae(cfg: MixturePriorVAEConfig):
    base = _vae(cfg)  # the same encoder and decoder (and their initialisation) as VAE_2D
    return MixturePriorVAE(base.encoder, base.decoder, cfg.latent_dim, cfg.K, cfg.beta)


VAE_2D_MIXTURE = Recipe("vae-2d-mixture", MixturePriorVAEConfig(latent_dim=2, likelihood="bernoulli"),
                        _mixture_prior_vae, digits_binarized, desc="VAE d=2, mixture prior",
                        smoke_steps=150)



# === Chapter 04: a richer posterior, an inverse autoregressive flow ========================

@dataclass
class FlowVAEConfig(VAEConfig):
    """``VAEConfig`` with q(z|x) a Gaussian followed by ``flow_steps`` IAF steps, each a
    MADE with ``made_hidden`` units conditioned on a context of ``context`` numbers."""
    flow_steps: int = 2
    context: int = 16
    made_hidden: int = 64


def _flow_vae(cfg: FlowVAEConfig):
    base = _vae(cfg)  # the decoder (and its initialisation) of the factorised baseline
    d, D = cfg.latent_dim, math.prod(cfg.shape)
    net = MLP(D, 2 * d + cfg.context, cfg.hidden, cfg.depth)
    posterior = iaf_posterior(net, d, cfg.context, cfg.flow_steps, cfg.made_hidden)
    return FlowVAE(posterior, base.decoder, d, cfg.beta)


# the factorised baseline is VAE_2D: same data, decoder (and its initialisation), latent
# size, batches, steps and learning rate; only q(z|x) differs
VAE_2D_IAF = Recipe("vae-2d-iaf", FlowVAEConfig(latent_dim=2, likelihood="bernoulli", flow_steps=4),
                    _flow_vae, digits_binarized, desc="VAE d=2, IAF posterior (K=4)",
                    smoke_steps=150)
