"""Trained models of chapter 10 (flow matching): configs, builders and cached training.

To be folded into ``gmcourse/recipes.py``: each ``*Config`` is a family config, each
``build_*`` a builder, each ``toy_*`` / ``digits_*`` function the cached "give me the
trained model" call (``gmcourse.checkpoint.cached``, data/checkpoints/<name>.pt).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch

from . import flow_matching as fm
from .checkpoint import cached
from .config import seed_everything
from .data import load_images, toy
from .nn import FourierTimeMLP, UNet
from .train import fit

PATHS = {"linear": fm.LinearPath, "vp": fm.VPPath}
COUPLINGS = {"independent": fm.independent, "ot": fm.ot_coupling}


def _fit(model, data, steps, batch_size, lr, seed, progress, desc):
    """Adam with a cosine-decayed learning rate, batches seeded by ``seed``."""
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    return fit(model, data, steps=steps, batch_size=batch_size, optimizer=opt, progress=progress,
               desc=desc, generator=torch.Generator().manual_seed(seed),
               callback=lambda i, m: sched.step())


def _name(prefix, cfg, seed):
    import hashlib
    import json
    h = hashlib.sha1(json.dumps(dataclasses.asdict(cfg), sort_keys=True).encode()).hexdigest()[:8]
    return f"{prefix}-seed{seed}-{h}"


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
    return cached(_name(f"fm-{cfg.dataset}", cfg, seed), {**dataclasses.asdict(cfg), "seed": seed},
                  build, lambda m: _fit(m, toy(cfg.dataset), cfg.steps, cfg.batch_size, cfg.lr,
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

    def build():
        seed_everything(seed)
        model = fm.Reflow(FourierTimeMLP(2, cfg.teacher.hidden, cfg.teacher.depth,
                                         scale=cfg.teacher.fourier_scale), PATHS[cfg.teacher.path]())
        model.velocity.load_state_dict(teacher.velocity.state_dict())
        return model

    def train(model):
        torch.manual_seed(1000 + seed)
        pairs = fm.reflow_pairs(teacher, cfg.n_pairs, cfg.ode_steps, fm.SOLVERS[cfg.solver])
        _fit(model, pairs, cfg.steps, cfg.batch_size, cfg.lr, seed, progress, "reflow")
    return cached(_name(f"reflow-{cfg.teacher.dataset}", cfg, seed),
                  {**dataclasses.asdict(cfg), "seed": seed}, build, train)


@dataclass
class ConsistencyConfig:
    """A consistency model distilled from the trajectories of a trained flow. The teacher
    is the independent-coupling flow: its marginals are the path's, so re-noising along the
    path (the second sampling step) lands where the teacher's trajectories pass."""
    teacher: ToyFMConfig = field(default_factory=ToyFMConfig)
    N: int = 18
    n_traj: int = 20_000
    substeps: int = 6  # midpoint steps between grid times
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
        return fm.ConsistencyModel(net, teacher, cfg.N)

    def train(model):
        torch.manual_seed(2000 + seed)
        traj = fm.consistency_trajectories(teacher, cfg.n_traj, cfg.N, cfg.substeps)
        _fit(model, traj, cfg.steps, cfg.batch_size, cfg.lr, seed, progress, "consistency")
    return cached(_name(f"cm-{cfg.teacher.dataset}", cfg, seed),
                  {**dataclasses.asdict(cfg), "seed": seed}, build, train)


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
    return cached(_name("fm-digits", cfg, seed), {**dataclasses.asdict(cfg), "seed": seed}, build,
                  lambda m: _fit(m, (x, y), cfg.steps, cfg.batch_size, cfg.lr, seed, progress,
                                 "FM digits")).cpu()


# --- chapter 07's ring-8 DDPM, cached, for the comparison table ------------------------------


def ring_ddpm(seed: int = 0, steps: int | None = None, progress: bool = False):
    """Chapter 07's ring-8 DDPM (``diffusion.ToyConfig``), trained once and cached."""
    from .diffusion import DDPM, SCHEDULES, ToyConfig, toy_ddpm
    cfg = ToyConfig(**({} if steps is None else {"steps": steps}))

    def build():
        net = FourierTimeMLP(2, cfg.hidden, cfg.depth, scale=cfg.fourier_scale)
        return DDPM(net, SCHEDULES[cfg.schedule](cfg.T), shape=(2,))

    def train(model):
        trained, _ = toy_ddpm(toy("ring8"), cfg, seed=seed, progress=progress)
        model.load_state_dict(trained.state_dict())
    return cached(_name("ddpm-ring8", cfg, seed), {**dataclasses.asdict(cfg), "seed": seed},
                  build, train)


# --- the settings of the chapter and of the benchmark ---------------------------------------

CM_TIMES = (0.0, 0.9)  # two consistency steps: the second re-noises to t = 0.9, modes well apart
LOGP_STEPS = 50  # Heun steps of the ODE log-density


def ring_configs(smoke: bool = False) -> dict:
    """The benchmark's ring-8 models: chapter 07's DDPM budget (16,000 steps) for both."""
    steps = 200 if smoke else 16_000
    flow = ToyFMConfig(steps=steps)
    flow_ot = dataclasses.replace(flow, coupling="ot")  # straighter: reflow's teacher
    return {"ddpm_steps": steps, "fm": flow, "fm_ot": flow_ot,
            "reflow": ReflowConfig(teacher=flow_ot, steps=100 if smoke else 8000,
                                   n_pairs=2000 if smoke else 50_000),
            "cm": ConsistencyConfig(teacher=flow, steps=100 if smoke else 8000,
                                    n_traj=2000 if smoke else 20_000)}


def checkerboard_config(smoke: bool = False) -> ToyFMConfig:
    """Flow matching on the checkerboard for the likelihood comparison (about 120 s)."""
    return ToyFMConfig(dataset="checkerboard", steps=200 if smoke else 24_000)


def spline_config(smoke: bool = False):
    """Chapter 05's spline flow trained for about 120 s."""
    from .flows import Flow2DConfig
    return Flow2DConfig(steps=100 if smoke else 16_000)


def chapter_configs(profile: str | None = None) -> dict:
    """Chapter 10's models, at fewer training steps than the benchmark's (the chapter says so)."""
    from .config import pick
    from .flows import Flow2DConfig

    def p(smoke, lecture):
        return pick(smoke=smoke, lecture=lecture, profile=profile)
    flow = ToyFMConfig(steps=p(200, 6000))
    flow_ot = dataclasses.replace(flow, coupling="ot")
    return {"fm": flow, "fm_ot": flow_ot, "ddpm_steps": p(200, 6000),
            "reflow": ReflowConfig(teacher=flow_ot, steps=p(100, 3000), n_pairs=p(2000, 20_000)),
            "cm": ConsistencyConfig(teacher=flow, steps=p(100, 3000), n_traj=p(2000, 20_000)),
            "vp": dataclasses.replace(flow, path="vp"),
            "moons": ToyFMConfig(dataset="ring8", source="two_moons", coupling="ot",
                                 steps=p(200, 3000)),
            "checkerboard": ToyFMConfig(dataset="checkerboard", fourier_scale=1.0,
                                        steps=p(200, 4000)),
            "spline": Flow2DConfig(steps=p(100, 2000)),
            "digits_steps": p(30, None)}
