"""Every family of the course measured on the same data: the generative learning trilemma.

Each row is a recipe of ``gmcourse.recipes``: the model its own chapter trains (loaded from
the same checkpoint), or, for the two unconditional GANs that no chapter trains on digits,
a recipe trained here. Each model samples ``(n, 1, 8, 8)`` in [0, 1] and, where the family
has a likelihood, has ``bits_per_dim(x)``. This module trains (or loads) each one, draws as
many samples as the test split holds, and scores them:

    quality     FID with a local classifier (``gmcourse.metrics.classifier_scores``), precision
    diversity   recall: the share of real test images inside the samples' k-NN support
    likelihood  bits/dim of the test split, 17-level digits (x * 16 in 0..16); "-" if none
                (the VAE, flow and DDPM values are upper bounds: IWAE, dequantization, the ELBO)
    speed       samples per second of the call that drew the evaluation samples

Xiao, Kreis and Vahdat (2022) call the three-way trade-off between quality, diversity
(mode coverage) and fast sampling the *generative learning trilemma*.

A ``Collapsed`` wrapper simulates complete mode collapse: it draws ``k`` samples once and
repeats them, which is what a generator that maps every latent to one of ``k`` outputs
does. It is the reference a diversity score has to rank last.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import torch

from . import bench, diffusion_vlb, recipes
from .metrics import classifier_scores
from .recipes import Recipe


@dataclass
class Entry:
    """One row: ``recipes.trained(recipe)``, then ``model.<sampler>(n, **sampler_kwargs)``.

    chapter: the chapter that trains this very model (None: trained for this table only).
    """
    label: str
    recipe: Recipe
    chapter: str | None = None
    sampler: str = "sample"
    sampler_kwargs: dict = field(default_factory=dict)
    likelihood: bool | Callable = True  # or a function (model, x) -> bits/dim


FAMILIES = [
    Entry("GAN", recipes.GAN_DIGITS, likelihood=False),
    Entry("WGAN-GP", recipes.WGAN_GP_DIGITS, likelihood=False),
    Entry("conditional GAN", recipes.CGAN_DIGITS, "03", likelihood=False),
    Entry("VAE", recipes.VAE_DIGITS),
    Entry("VQ-VAE", recipes.VQVAE_DIGITS, "04"),
    Entry("flow", recipes.GLOW_DIGITS, "05"),
    Entry("PixelCNN", recipes.PIXELCNN_DIGITS, "06"),
    Entry("DDPM (1000 steps)", recipes.DDPM_DIGITS, "07", likelihood=diffusion_vlb.bits_per_dim),
    Entry("DDIM (50 steps)", recipes.DDPM_DIGITS, "07", sampler="ddim_sample",
          sampler_kwargs={"steps": 50}, likelihood=False),
    Entry("latent DDPM (1000 steps)", recipes.LATENT_DDPM_DIGITS, "11", likelihood=False),
    Entry("latent DDIM (50 steps)", recipes.LATENT_DDPM_DIGITS, "11", sampler="ddim_sample",
          sampler_kwargs={"steps": 50}, likelihood=False),
    Entry("score (annealed Langevin)", recipes.NCSN_DIGITS, "08", likelihood=False),
]


class Collapsed(torch.nn.Module):
    """``model`` collapsed onto ``k`` outputs: every call returns copies of the same ``k``."""

    def __init__(self, model, k: int = 3, sampler: str = "sample", seed: int = 0):
        super().__init__()
        torch.manual_seed(seed)
        with torch.no_grad():
            self.register_buffer("modes", getattr(model, sampler)(k))  # (k, 1, 8, 8)

    def sample(self, n: int) -> torch.Tensor:
        idx = torch.arange(n, device=self.modes.device) % len(self.modes)
        return self.modes[idx]  # (n, 1, 8, 8)


def build(entry: Entry, seed: int = 0, steps: int | None = None):
    """Train (or load) the model of ``entry``: the same checkpoint its chapter uses."""
    return recipes.trained(entry.recipe, seed, steps)


def evaluate(label: str, model, x_test: torch.Tensor, classifier, sampler: str = "sample",
             sampler_kwargs: dict | None = None, likelihood: bool = True, seed: int = 0) -> dict:
    """One row of the table for ``model``, scored against the test images ``x_test``."""
    n = len(x_test)
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    with torch.no_grad():
        x = getattr(model, sampler)(n, **(sampler_kwargs or {}))
    seconds = time.perf_counter() - t0
    x = x.detach().float().cpu().clamp(0, 1).reshape(x_test.shape)  # (n, 1, 8, 8)
    s = classifier_scores(x_test, x, classifier)
    bpd = None
    with torch.no_grad():
        if callable(likelihood):  # a family whose bound is a function of the model
            bpd = float(likelihood(model, x_test))
        elif likelihood and hasattr(model, "bits_per_dim"):
            bpd = float(model.bits_per_dim(x_test))
    return {"model": label, "fid": s["fid"], "precision": s["precision"],
            "recall": s["recall"], "bits_per_dim": bpd, "samples_per_s": n / seconds,
            "samples": x}


def trilemma(x_test: torch.Tensor, classifier, families=None, seed: int = 0,
             steps: int | None = None, n: int | None = None,
             collapsed_k: int = 3) -> list[dict]:
    """Rows for every family (and the collapsed GAN), in the order of ``families``.

    ``steps`` overrides every recipe's training steps (``None``: the chapters' own);
    ``n`` test images (default all) are scored against as many samples.
    """
    x_test = x_test[:n]
    rows = []
    for entry in families or FAMILIES:
        t0 = time.perf_counter()
        model = build(entry, seed, steps)
        train_s = time.perf_counter() - t0
        rows.append({**evaluate(entry.label, model, x_test, classifier, entry.sampler,
                                entry.sampler_kwargs, entry.likelihood, seed),
                     "chapter": entry.chapter, "load_or_train_s": train_s})
        if entry.label == "GAN" and collapsed_k:
            collapsed = evaluate(f"GAN collapsed to {collapsed_k} outputs",
                                 Collapsed(model, collapsed_k, seed=seed), x_test, classifier,
                                 likelihood=False, seed=seed)
            collapsed["samples_per_s"] = None  # copies of stored images: no speed to measure
            rows.append(collapsed)
    return rows


def format_table(rows: list[dict]) -> str:
    """The trilemma table as aligned text (``bench.format_table``): one row per model."""
    def cell(v, fmt):
        return "-" if v is None else format(v, fmt)
    return bench.format_table([
        {"model": r["model"], "FID": cell(r["fid"], ".1f"), "precision": cell(r["precision"], ".2f"),
         "recall": cell(r["recall"], ".2f"), "bits/dim": cell(r["bits_per_dim"], ".3f"),
         "samples/s": cell(r["samples_per_s"], ".4g"),
         "trained in": f"chapter {r['chapter']}" if r.get("chapter") else "this chapter"}
        for r in rows])
