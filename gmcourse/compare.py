"""Every family of the course measured on the same data: the generative learning trilemma.

Each image family's module provides ``digits_<family>(seed, steps)``: a model trained on
scikit-learn's 8x8 digits (train split), with ``sample(n) -> (n, 1, 8, 8)`` in [0, 1] and,
where the family has a likelihood, ``bits_per_dim(x)``. This module trains (or loads from
a checkpoint) each one, draws as many samples as the test split holds, and scores them:

    quality     FID with a local classifier (``gmcourse.metrics.classifier_scores``), precision
    diversity   recall: the share of real test images inside the samples' k-NN support
    likelihood  bits/dim of the test split, 17-level digits (x * 16 in 0..16); "-" if none
    speed       samples per second of the call that drew the evaluation samples

Xiao, Kreis and Vahdat (2022) call the three-way trade-off between quality, diversity
(mode coverage) and fast sampling the *generative learning trilemma*.

A ``Collapsed`` wrapper simulates complete mode collapse: it draws ``k`` samples once and
repeats them, which is what a generator that maps every latent to one of ``k`` outputs
does. It is the reference a diversity score has to rank last.
"""
from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field

import torch

from .metrics import classifier_scores


@dataclass
class Entry:
    """One row: ``module.builder(seed=, steps=, **kwargs)`` then ``model.<sampler>(n, ...)``.

    ``steps``: the training steps that cost about 40 s of one CPU core, so that every
    family gets the same compute budget (``None``: the family's own default is that cheap).
    """
    label: str
    module: str
    builder: str
    kwargs: dict = field(default_factory=dict)
    steps: int | None = None
    sampler: str = "sample"
    sampler_kwargs: dict = field(default_factory=dict)
    likelihood: bool = True


# steps measured with GMCOURSE_THREADS=1 (CPU ms per training step): GAN 34, WGAN-GP 171
# (five critic steps and a gradient penalty each), VAE 13, VQ-VAE 34, flow 56, PixelCNN 74,
# DDPM 55, NCSN 6.5 (VAE and NCSN: their own defaults, 2000 and 3000 steps, fit the budget)
FAMILIES = [
    Entry("GAN", "gan_recipes", "digits_gan", {"variant": "gan"}, steps=1200, likelihood=False),
    Entry("WGAN-GP", "gan_recipes", "digits_gan", {"variant": "wgan-gp"}, steps=250, likelihood=False),
    Entry("VAE", "vae", "digits_vae"),
    Entry("VQ-VAE", "vqvae", "digits_vqvae", steps=1200),
    Entry("flow", "flows_image", "digits_flow", steps=700),
    Entry("PixelCNN", "pixelcnn", "digits_pixelcnn", steps=550),
    Entry("DDPM (1000 steps)", "diffusion", "digits_ddpm", steps=750, likelihood=False),
    Entry("DDIM (50 steps)", "diffusion", "digits_ddpm", steps=750, sampler="ddim_sample",
          sampler_kwargs={"steps": 50}, likelihood=False),
    Entry("score (annealed Langevin)", "score", "digits_ncsn", likelihood=False),
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


def build(entry: Entry, seed: int = 0, steps: int | None = None, cache: dict | None = None):
    """Train (or load) the model of ``entry``; ``cache`` shares one model between rows."""
    steps = entry.steps if steps is None else steps
    key = (entry.module, entry.builder, tuple(sorted(entry.kwargs.items())), seed, steps)
    if cache is not None and key in cache:
        return cache[key]
    module = importlib.import_module(f"gmcourse.{entry.module}")
    model = getattr(module, entry.builder)(seed=seed, steps=steps, **entry.kwargs)
    if cache is not None:
        cache[key] = model
    return model


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
    if likelihood and hasattr(model, "bits_per_dim"):
        with torch.no_grad():
            bpd = float(model.bits_per_dim(x_test))
    return {"model": label, "fid": s["fid"], "precision": s["precision"],
            "recall": s["recall"], "bits_per_dim": bpd, "samples_per_s": n / seconds,
            "samples": x}


def trilemma(x_test: torch.Tensor, classifier, families=None, seed: int = 0,
             steps: int | None = None, n: int | None = None, collapsed_k: int = 3,
             progress=print) -> list[dict]:
    """Rows for every family (and the collapsed GAN), in the order of ``families``.

    ``steps`` is passed to every builder (``None``: each entry's equal-budget steps);
    ``n`` test images (default all) are scored against as many samples.
    A family whose module or builder is missing gets a row saying so instead of numbers.
    """
    x_test = x_test[:n]
    cache, rows = {}, []
    for entry in families or FAMILIES:
        t0 = time.perf_counter()
        try:
            model = build(entry, seed, steps, cache)
        except (ImportError, AttributeError) as e:
            rows.append({"model": entry.label, "missing": str(e)})
            continue
        rows.append(evaluate(entry.label, model, x_test, classifier, entry.sampler,
                             entry.sampler_kwargs, entry.likelihood, seed))
        if entry.label == "GAN" and collapsed_k:
            collapsed = evaluate(f"GAN collapsed to {collapsed_k} outputs",
                                 Collapsed(model, collapsed_k, seed=seed), x_test, classifier,
                                 likelihood=False, seed=seed)
            collapsed["samples_per_s"] = None  # copies of stored images: no speed to measure
            rows.append(collapsed)
        if progress:
            progress(f"{entry.label}: {time.perf_counter() - t0:.0f} s")
    return rows


def format_table(rows: list[dict]) -> str:
    """The trilemma table as aligned text: one row per model."""
    head = f"{'model':28s} {'FID':>7s} {'precision':>9s} {'recall':>7s} {'bits/dim':>8s} {'samples/s':>10s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "missing" in r:
            lines.append(f"{r['model']:28s} (not available: {r['missing']})")
            continue
        bpd = "-" if r["bits_per_dim"] is None else f"{r['bits_per_dim']:.3f}"
        speed = "-" if r["samples_per_s"] is None else f"{r['samples_per_s']:.4g}"
        lines.append(f"{r['model']:28s} {r['fid']:7.1f} {r['precision']:9.2f} {r['recall']:7.2f} "
                     f"{bpd:>8s} {speed:>10s}")
    return "\n".join(lines)

