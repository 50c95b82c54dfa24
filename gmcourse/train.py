"""One training config, one generic loop, and the adversarial loop that shares it.

    TrainConfig(steps, batch_size, lr, betas, schedule, clip_grad, seed)
    fit(model, data, cfg)            calls ``model.loss(batch)`` each step (Adam)
    fit_adversarial(gan, data, cfg, Game(...))   the two-player game, alternating steps
    run_steps(step, steps)           the loop itself: progress bar, history, NaN check,
                                     Ctrl-C (KeyboardInterrupt) keeps what was trained so far,
                                     and an optional time budget (``TrainConfig.budget_s``)

``data`` is a toy distribution (anything with ``sample(n)``), a tensor, or a tuple of
tensors (e.g. images and labels); batches are drawn with replacement-free shuffling.
Family configs nest a ``TrainConfig``; ``gmcourse.recipes`` holds every trained model.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from tqdm.auto import tqdm


# --- learning-rate schedules: schedule(i, steps) -> multiplier of the base rate -----------

def constant(i: int, steps: int) -> float:
    return 1.0


def linear_decay(i: int, steps: int) -> float:
    """1 - i / steps: falls linearly to 0 at the last step."""
    return 1.0 - i / steps


def cosine(i: int, steps: int) -> float:
    """(1 + cos(pi i / steps)) / 2 (Loshchilov and Hutter 2017, without restarts)."""
    return 0.5 * (1.0 + math.cos(math.pi * i / steps))


@dataclass
class TrainConfig:
    """How a model is trained; family configs nest one as ``train``.

    seed: the seed of the batch order (its own ``torch.Generator``); None draws batches
    from the global generator, which ``gmcourse.recipes`` seeds before building the model.
    budget_s: stop after this many seconds (at least one step), even before ``steps``;
    ``History.steps`` says how many ran. The schedule still runs over ``steps``.
    """
    steps: int = 1000
    batch_size: int = 128
    lr: float = 1e-3
    betas: tuple = (0.9, 0.999)
    schedule: Callable[[int, int], float] = constant
    clip_grad: float | None = None
    seed: int | None = None
    budget_s: float | None = None


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; the message suggests what to change."""


@dataclass
class History:
    """Per-step losses (one list per named loss) and how training ended: ``steps`` done
    of ``planned``, ``out_of_time`` when the time budget stopped it."""
    losses: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    planned: int = 0
    out_of_time: bool = False

    def __getitem__(self, key):
        return self.losses[key]

    def append(self, values: dict[str, float]):
        for k, v in values.items():
            self.losses.setdefault(k, []).append(v)
        self.steps += 1

    def last(self, key: str = "loss", k: int = 50) -> float:
        """Mean of the last ``k`` recorded values: a less noisy final loss."""
        v = self.losses[key][-k:]
        return sum(v) / len(v)


def batches(data, batch_size: int, device=None,
            generator: torch.Generator | None = None) -> Iterator:
    """Endless minibatches from a distribution, a tensor or a tuple of tensors."""
    if hasattr(data, "sample"):
        while True:
            x = data.sample(batch_size, generator=generator)
            yield x.to(device) if device is not None else x
    tensors = data if isinstance(data, (tuple, list)) else (data,)
    n = len(tensors[0])
    tensors = [t.to(device) if device is not None else t for t in tensors]
    while True:
        perm = torch.randperm(n, generator=generator).to(tensors[0].device)
        for i in range(0, n - min(batch_size, n) + 1, batch_size):
            idx = perm[i:i + batch_size]
            b = [t[idx] for t in tensors]
            yield b[0] if len(b) == 1 else tuple(b)


def _check_finite(values: dict[str, float], step: int, hint: str):
    bad = {k: v for k, v in values.items() if not math.isfinite(v)}
    if bad:
        raise TrainingDiverged(
            f"loss became {bad} at step {step}; training stopped. {hint}")


def _progress_bar(steps: int, desc: str, progress: bool):
    """A tqdm bar; in a notebook also the display handle that ``_finish`` replaces.

    A notebook bar is a widget whose stored text is its first frame (``0%| | 0/N``), which
    is what a static page (GitHub, ``make html``) shows. So the widget is displayed by
    hand and, once training ends, replaced by the finished bar's text.
    """
    kw = dict(desc=desc, disable=not progress, mininterval=0.5)
    if progress:
        try:
            from IPython import get_ipython
            from IPython.display import display
            from tqdm.notebook import tqdm as notebook_tqdm
            if type(get_ipython()).__name__ == "ZMQInteractiveShell":
                bar = notebook_tqdm(range(steps), display=False, **kw)
                return bar, display(bar.container, display_id=True)
        except ImportError:  # no IPython or ipywidgets: the text bar below
            pass
    return tqdm(range(steps), **kw), None


def _finish(bar, handle):
    if handle is not None:
        from IPython.display import Pretty
        handle.update(Pretty(str(bar)))


def run_steps(step: Callable[[int], dict[str, float]], steps: int, *, desc: str = "training",
              progress: bool = True, hint: str = "Try a smaller learning rate or gradient "
              "clipping (clip_grad=1.0).", budget_s: float | None = None) -> History:
    """Call ``step(i)`` ``steps`` times; record its returned losses.

    Stops with ``TrainingDiverged`` on a NaN/inf loss; on KeyboardInterrupt it returns
    the history so far (``interrupted=True``) and the model keeps its trained weights.
    ``budget_s``: stop once that many seconds have passed (``out_of_time=True``).
    """
    history = History(planned=steps)
    t0 = time.perf_counter()
    bar, handle = _progress_bar(steps, desc, progress)
    try:
        for i in bar:
            values = step(i)
            _check_finite(values, i, hint)
            history.append(values)
            if i % max(1, steps // 100) == 0 or i == steps - 1:
                bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
            if budget_s is not None and time.perf_counter() - t0 >= budget_s:
                history.out_of_time = True
                break
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted after {history.steps} steps; the model keeps what it learned.")
    finally:
        bar.close()
        _finish(bar, handle)
        history.seconds = time.perf_counter() - t0
    return history


def _scheduler(opt, cfg: TrainConfig):
    if cfg.schedule is constant:
        return None
    return torch.optim.lr_scheduler.LambdaLR(opt, lambda i: cfg.schedule(i, cfg.steps))


def fit(model: torch.nn.Module, data, cfg: TrainConfig | None = None, *,
        progress: bool = True, desc: str | None = None, callback=None) -> History:
    """Minimise ``model.loss(batch)`` for ``cfg.steps`` Adam steps.

    The batch goes to the device of the model's parameters. ``callback(i, model)``, if
    given, runs after each step (e.g. to update a live plot). Returns a ``History``.
    """
    cfg = cfg or TrainConfig()
    device = next(model.parameters()).device
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=cfg.betas)
    sched = _scheduler(opt, cfg)
    generator = None if cfg.seed is None else torch.Generator().manual_seed(cfg.seed)
    it = batches(data, cfg.batch_size, device, generator)

    def step(i):
        batch = next(it)
        loss = model.loss(*batch) if isinstance(batch, tuple) else model.loss(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_grad)
        opt.step()
        if sched is not None:
            sched.step()
        if callback is not None:
            callback(i, model)
        return {"loss": loss.item()}

    model.train()
    try:
        return run_steps(step, cfg.steps, desc=desc or type(model).__name__, progress=progress,
                         hint=f"Try a smaller learning rate (now {cfg.lr:g})"
                              " or gradient clipping (clip_grad=1.0).", budget_s=cfg.budget_s)
    finally:
        model.eval()


# --- GAN: the adversarial loop (chapters 02-03) ----------------------------------------

def adam(params, lr: float, betas) -> torch.optim.Optimizer:
    return torch.optim.Adam(params, lr=lr, betas=betas)


def rmsprop(params, lr: float, betas=None) -> torch.optim.Optimizer:
    """RMSprop, as WGAN with weight clipping uses (Arjovsky et al. 2017: momentum hurts)."""
    return torch.optim.RMSprop(params, lr=lr)


@dataclass
class Game:
    """What only a two-player game needs beside the ``TrainConfig``.

    n_critic: discriminator steps per generator step; lr_d, lr_g: the players' learning
    rates (None: ``cfg.lr``); optimizer(params, lr, betas) makes each player's optimiser;
    train_generator=False trains D alone against a fixed G; amp: bfloat16 autocast on CUDA.
    ``cfg.schedule`` scales both learning rates.
    """
    n_critic: int = 1
    lr_d: float | None = None
    lr_g: float | None = None
    optimizer: Callable = adam
    train_generator: bool = True
    amp: bool = True


def _split(batch):
    return batch if isinstance(batch, tuple) else (batch, None)


def adversarial_step(gan, opt_d, opt_g, real_batches, n_critic: int = 1,
                     train_generator: bool = True) -> dict[str, float]:
    """One round of the game: ``n_critic`` discriminator steps, then one generator step.

    ``gan`` provides ``d_loss(x, y)``, ``g_loss(n, y)`` and the hooks ``after_d_step``
    (WGAN's weight clipping) and ``after_g_step`` (the generator's moving average).
    """
    # (1) Update D: maximise its objective, e.g. log D(x) + log(1 - D(G(z))), G fixed.
    for _ in range(n_critic):
        x, y = _split(next(real_batches))
        loss_d = gan.d_loss(x, y)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        gan.after_d_step()
    if not train_generator:
        return {"d_loss": loss_d.item()}
    # (2) Update G: minimise its objective against the new D, e.g. -log D(G(z)); D frozen
    # so that no gradient is spent on D's weights.
    gan.D.requires_grad_(False)
    loss_g = gan.g_loss(len(x), y)
    opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    opt_g.step()
    gan.D.requires_grad_(True)
    gan.after_g_step()
    return {"d_loss": loss_d.item(), "g_loss": loss_g.item()}


def fit_adversarial(gan, data, cfg: TrainConfig | None = None, game: Game | None = None, *,
                    progress: bool = True, desc: str = "GAN", callback=None) -> History:
    """Train a ``gmcourse.gan.GAN`` for ``cfg.steps`` generator steps with two optimisers.

    ``callback(i, gan)`` runs after each step. See ``Game`` for the two players' settings.
    """
    cfg, game = cfg or TrainConfig(), game or Game()
    device = next(gan.parameters()).device
    opt_d = game.optimizer(gan.D.parameters(), game.lr_d or cfg.lr, cfg.betas)
    opt_g = game.optimizer(gan.G.parameters(), game.lr_g or cfg.lr, cfg.betas)
    scheds = [s for s in (_scheduler(o, cfg) for o in ((opt_d, opt_g) if game.train_generator
                                                           else (opt_d,))) if s is not None]
    generator = None if cfg.seed is None else torch.Generator().manual_seed(cfg.seed)
    it = batches(data, cfg.batch_size, device, generator)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16,
                              enabled=game.amp and device.type == "cuda")

    def step(i):
        with autocast:
            values = adversarial_step(gan, opt_d, opt_g, it, game.n_critic,
                                      game.train_generator)
        for s in scheds:
            s.step()
        if callback is not None:
            callback(i, gan)
        return values

    gan.train()
    try:
        return run_steps(step, cfg.steps, desc=desc, progress=progress,
                         hint="Try smaller learning rates, more critic steps (n_critic) "
                              "or a gradient penalty.", budget_s=cfg.budget_s)
    finally:
        gan.eval()
