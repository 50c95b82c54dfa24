"""One generic training loop, and the step runner that the adversarial loop shares.

    fit(model, data, steps=...)   calls ``model.loss(batch)`` each step, Adam by default
    run_steps(step, steps)        the loop itself: progress bar, history, NaN check,
                                  Ctrl-C (KeyboardInterrupt) keeps what was trained so far

``data`` is a toy distribution (anything with ``sample(n)``), a tensor, or a tuple of
tensors (e.g. images and labels); batches are drawn with replacement-free shuffling.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
from tqdm.auto import tqdm


class TrainingDiverged(FloatingPointError):
    """A loss became NaN or infinite; the message suggests what to change."""


@dataclass
class History:
    """Per-step losses (one list per named loss) and how training ended."""
    losses: dict[str, list[float]] = field(default_factory=dict)
    steps: int = 0
    seconds: float = 0.0
    interrupted: bool = False

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


def run_steps(step: Callable[[int], dict[str, float]], steps: int, *, desc: str = "training",
              progress: bool = True, hint: str = "Try a smaller learning rate or gradient "
              "clipping (clip_grad=1.0).", log_every: int = 1) -> History:
    """Call ``step(i)`` ``steps`` times; record its returned losses.

    Stops with ``TrainingDiverged`` on a NaN/inf loss; on KeyboardInterrupt it returns
    the history so far (``interrupted=True``) and the model keeps its trained weights.
    """
    history = History()
    t0 = time.perf_counter()
    bar = tqdm(range(steps), desc=desc, disable=not progress, mininterval=0.5)
    try:
        for i in bar:
            values = step(i)
            _check_finite(values, i, hint)
            history.append(values)
            if i % max(1, steps // 100) == 0:
                bar.set_postfix({k: f"{v:.4g}" for k, v in values.items()}, refresh=False)
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted after {history.steps} steps; the model keeps what it learned.")
    finally:
        bar.close()
        history.seconds = time.perf_counter() - t0
    return history


def fit(model: torch.nn.Module, data, *, steps: int = 1000, batch_size: int = 128,
        lr: float = 1e-3, optimizer: torch.optim.Optimizer | None = None,
        clip_grad: float | None = None, progress: bool = True, desc: str | None = None,
        generator: torch.Generator | None = None, callback=None) -> History:
    """Minimise ``model.loss(batch)`` for ``steps`` optimiser steps.

    The batch goes to the device of the model's parameters. ``callback(i, model)``, if
    given, runs after each step (e.g. to update a live plot). Returns a ``History``.
    """
    device = next(model.parameters()).device
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    it = batches(data, batch_size, device, generator)

    def step(i):
        batch = next(it)
        loss = model.loss(*batch) if isinstance(batch, tuple) else model.loss(batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_grad)
        opt.step()
        if callback is not None:
            callback(i, model)
        return {"loss": loss.item()}

    model.train()
    try:
        return run_steps(step, steps, desc=desc or type(model).__name__, progress=progress,
                         hint=f"Try a smaller learning rate (now {opt.param_groups[0]['lr']:g})"
                              " or gradient clipping (clip_grad=1.0).")
    finally:
        model.eval()


# --- GAN: the adversarial loop (chapters 02-03) ----------------------------------------


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


def fit_adversarial(gan, data, *, steps: int = 2000, batch_size: int = 128,
                    lr_d: float = 2e-4, lr_g: float = 2e-4, betas=(0.5, 0.999),
                    n_critic: int = 1, optimizer: str = "adam", lr_decay: bool = False,
                    train_generator: bool = True, amp: bool = True, progress: bool = True,
                    desc: str = "GAN", generator: torch.Generator | None = None,
                    callback=None) -> History:
    """Train a ``gmcourse.gan.GAN`` for ``steps`` generator steps with two optimisers.

    Adam with ``betas`` (DCGAN: (0.5, 0.999); WGAN-GP: (0, 0.9)) or RMSprop (WGAN with
    weight clipping). lr_decay: both learning rates fall linearly to 0. On CUDA the
    forward passes run in bfloat16 autocast (``amp``). ``train_generator=False`` trains
    only D against the fixed generator. ``callback(i, gan)`` runs after each step.
    """
    device = next(gan.parameters()).device
    def make(params, lr):
        if optimizer == "rmsprop":
            return torch.optim.RMSprop(params, lr=lr)
        return torch.optim.Adam(params, lr=lr, betas=betas)
    opt_d, opt_g = make(gan.D.parameters(), lr_d), make(gan.G.parameters(), lr_g)
    scheds = [torch.optim.lr_scheduler.LambdaLR(o, lambda i: 1 - i / steps)
              for o in ((opt_d, opt_g) if train_generator else (opt_d,))] if lr_decay else []
    it = batches(data, batch_size, device, generator)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16,
                              enabled=amp and device.type == "cuda")

    def step(i):
        with autocast:
            values = adversarial_step(gan, opt_d, opt_g, it, n_critic, train_generator)
        for s in scheds:
            s.step()
        if callback is not None:
            callback(i, gan)
        return values

    gan.train()
    try:
        return run_steps(step, steps, desc=desc, progress=progress,
                         hint="Try smaller learning rates, more critic steps (n_critic) "
                              "or a gradient penalty.")
    finally:
        gan.eval()
