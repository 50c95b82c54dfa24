"""The GPU track: every image family at its full-profile size on 28x28 MNIST, each trained
for a fixed time budget and scored on the same held-out images.

    python -m gmcourse.bench full                   a GPU: 50 s per family, ~10 min in all
    python -m gmcourse.bench full --budget-s 20     another budget (or GMCOURSE_BUDGET_S)
    python -m gmcourse.bench full --families VAE,DDPM
    python -m gmcourse.bench full --dataset fashion_mnist   (28x28 grey images only)
    python -m gmcourse.bench full --probe-only      steps/s at full size, projected cost
    GMCOURSE_PROFILE=smoke python -m gmcourse.bench full   (or --smoke) the CPU rehearsal

Each family (``gmcourse.recipes.full_profile``) is built at full size; a short probe
measures its training steps per second, and the run then trains for as many steps as the
rest of the budget allows (at most the recipe's own), so that its learning-rate schedule
completes. Rows: steps done, test likelihood where the family has one, FID / precision /
recall in the features of a classifier trained on the same training images
(``gmcourse.classifier.digit_classifier``, "FID with a local classifier": comparable
between rows and with the real-vs-real floor row, not with Inception FIDs), samples per
second, peak GPU memory, the projected cost of the recipe's full step count, and the
published figure for the same quantity with its source, or why there is none.

On CUDA training runs under bfloat16 autocast where the GPU supports it (GANs always:
``train.Game.amp``); Glow (its log-determinants), the VAE and the IWAE (small MLPs whose
losses sum 784 pixel terms) train in float32; likelihoods and samples are computed in float32. The
table says which each row used. The smoke rehearsal keeps every network at full size and runs
the same code with a batch of 8, one or two optimiser steps, few samples and few sampler
steps, under bfloat16 autocast on the CPU where the GPU would use it: its figures test the
code path, not the models.

Adding a family (latent diffusion, flow matching): a recipe in ``recipes.full_profile``
and a ``Family`` in ``FAMILIES`` with the same label, saying how to sample it, its
likelihood (if any) and its published reference.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, fields
from typing import Callable

import torch

from .. import recipes
from ..classifier import digit_classifier
from ..config import get_device
from ..metrics import classifier_scores
from ..vae import evaluate as vae_evaluate


@dataclass
class Settings:
    """How much the benchmark does; ``settings(profile, **options)`` fills it."""
    budget_s: float = 50.0        # training seconds per family, probe included (9 families)
    probe_s: float = 5.0          # of which the probe of steps/s
    batch_size: int | None = None  # None: each recipe's own
    n_eval: int = 1000            # samples drawn and held-out images scored against
    ddim_steps: int = 50
    langevin_steps: int | None = None  # NCSN steps per noise level (None: the recipe's)
    iwae_k: int = 1000
    likelihood_n: int | None = None  # held-out images for likelihoods (None: n_eval)
    classifier_steps: int = 1500
    pixelcnn_rows: int | None = None  # sample only the top rows (the rest black)
    probe_only: bool = False
    amp: bool = True
    cpu_amp: bool = False  # bf16 autocast on the CPU too: rehearses the GPU's dtype path
    families: tuple | None = None
    dataset: str = "mnist"


SMOKE = dict(budget_s=0.5, probe_s=0.1, batch_size=8, n_eval=16, ddim_steps=3,
             langevin_steps=1, iwae_k=2, classifier_steps=20, pixelcnn_rows=2, cpu_amp=True)


def settings(profile: str, **options) -> Settings:
    """The smoke profile (or ``smoke=True``) rehearses; otherwise the full run.
    ``options`` (strings from the command line are converted) override either;
    ``GMCOURSE_BUDGET_S`` sets the budget when no option does."""
    smoke = profile == "smoke" or _truth(options.pop("smoke", False))
    s = Settings(**SMOKE) if smoke else Settings()
    if os.environ.get("GMCOURSE_BUDGET_S"):
        s.budget_s = float(os.environ["GMCOURSE_BUDGET_S"])
    kinds = {f.name: f.type for f in fields(Settings)}
    for key, value in options.items():
        if key not in kinds:
            raise SystemExit(f"full: no option --{key.replace('_', '-')}; options: "
                             + ", ".join("--" + k.replace("_", "-") for k in kinds))
        setattr(s, key, _convert(key, value, kinds[key]))
    return s


def _truth(v) -> bool:
    return v is True or str(v).lower() in ("1", "true", "yes", "on")


def _convert(key, value, kind: str):
    if not isinstance(value, str):
        return value
    if "bool" in kind:
        return _truth(value)
    if key == "families":
        return tuple(v.strip() for v in value.split(","))
    if "int" in kind:
        return int(value)
    if "float" in kind:
        return float(value)
    return value


# --- the families -------------------------------------------------------------------------

def _digit_labels(n, device):
    return torch.arange(n, device=device) % 10


def _sample_gan(model, n, s, device):
    return model.sample(n, _digit_labels(n, device) if model.n_classes else None)


def _sample_ddpm(model, n, s, device):
    return model.ddim_sample(n, steps=s.ddim_steps, y=_digit_labels(n, device))


def _sample_ncsn(model, n, s, device):
    return model.sample(n, steps_each=s.langevin_steps)


def _sample_pixelcnn(model, n, s, device):
    if not s.pixelcnn_rows:
        return model.sample(n)
    C, H, W = model.shape  # the rehearsal: the top rows only, H W network passes cost minutes
    top = model.sample(n, shape=(C, s.pixelcnn_rows, W))
    return torch.cat([top, top.new_zeros(n, C, H - s.pixelcnn_rows, W)], 2)


def _sample(model, n, s, device):
    return model.sample(n)


def _vae_nll(model, x, s):
    gen = torch.Generator().manual_seed(0)  # a CPU generator: binarize on the CPU
    xb = torch.bernoulli(x.cpu(), generator=gen).to(x.device)  # one fixed binarization
    r = vae_evaluate(model, xb, k=s.iwae_k, chunk=max(1, 4096 // s.iwae_k))
    return {"test -ELBO (nats)": r["-ELBO"],
            f"test NLL, IWAE-{s.iwae_k} (nats)": r[f"IWAE-{s.iwae_k} NLL"]}


def _bits(model, x, s):
    return {"test bits/dim (256 levels)": float(model.bits_per_dim(x))}


def _vq(model, x, s):
    with torch.no_grad():
        mse = torch.nn.functional.mse_loss(model.reconstruct(x), x).item()
    return {"test reconstruction MSE": mse, "code perplexity": model.perplexity(x)}


@dataclass
class Reference:
    metric: str
    value: float | None
    source: str


@dataclass
class Family:
    """One row: the recipe ``recipes.full_profile(dataset)[label]``, how to sample it
    (``sample(model, n, settings, device)``), its likelihood metrics (``likelihood(model,
    x_heldout, settings) -> {name: value}``), whether it is class-conditional, the
    published figure, whether it trains under autocast, and whether its trainer turns
    autocast on by itself (``train.Game.amp``: the GANs)."""
    label: str
    sample: Callable = _sample
    likelihood: Callable | None = None
    conditional: bool = False
    reference: Reference | None = None
    amp: bool = True
    trainer_amp: bool = False


FAMILIES = [
    Family("conditional DCGAN", _sample_gan, conditional=True, trainer_amp=True,
           reference=Reference("FID", None, "none published for MNIST: Radford et al. (2016) "
                               "report no FID; compare with the real-vs-real floor row "
                               "(Inception FIDs are another feature space)")),
    Family("WGAN-GP", _sample_gan, trainer_amp=True, reference=Reference(
        "FID", None, "none published for MNIST: Gulrajani et al. (2017) show MNIST samples "
        "only; compare with the real-vs-real floor row")),
    Family("VAE", likelihood=_vae_nll, amp=False, reference=Reference(
        "test NLL (nats)", 86.76, "Burda et al. (2016) IWAE paper, Table 1: VAE, one stochastic "
        "layer, k=1, dynamically binarized MNIST, NLL by IWAE-5000 (IWAE-trained k=50: 84.78); "
        "target here: -ELBO <= 95")),
    Family("IWAE", likelihood=_vae_nll, amp=False, reference=Reference(
        "test NLL (nats)", 84.78, "Burda et al. (2016) IWAE paper, Table 1: IWAE k=50, one "
        "stochastic layer, dynamically binarized MNIST, NLL by IWAE-5000")),
    Family("VQ-VAE", likelihood=_vq, reference=Reference(
        "reconstruction MSE", None, "none published for MNIST: van den Oord et al. (2017), "
        "Sec. 4.1, report CIFAR-10 only (4.67 bits/dim), and a histogram prior here")),
    Family("Glow", likelihood=_bits, amp=False, reference=Reference(
        "test bits/dim", 1.05, "Glow on MNIST, reported by Grathwohl et al. (2019) FFJORD, "
        "Table 2 (RealNVP 1.06); target here: <= 1.3")),
    Family("gated PixelCNN", _sample_pixelcnn, likelihood=_bits, reference=Reference(
        "test bits/dim", 0.81, "a small gated PixelCNN on 8-bit MNIST, UvA deep learning "
        "tutorial 12 (Lippe, autoregressive image modelling), test set; target here: <= 1.0")),
    Family("DDPM", _sample_ddpm, conditional=True, reference=Reference(
        "FID", None, "none published for MNIST: Ho et al. (2020), Table 1, CIFAR-10 Inception "
        "FID 3.17; DDIM-50 4.67 (Song et al. 2021, Table 1): another feature space")),
    Family("NCSN", _sample_ncsn, reference=Reference(
        "FID", None, "none published for MNIST: Song and Ermon (2019), Table 1, CIFAR-10 "
        "Inception FID 25.32: another feature space")),
]


# --- one family -----------------------------------------------------------------------------

def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def amp_context(device, wanted: bool, cpu: bool = False):
    """(make a context, words): bfloat16 autocast on a CUDA device that supports it (and on
    the CPU if ``cpu``: the rehearsal of the GPU's mixed-precision code path), else fp32."""
    if wanted and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return lambda: torch.autocast("cuda", dtype=torch.bfloat16), "bf16 autocast"
    if wanted and cpu and device.type == "cpu":
        return (lambda: torch.autocast("cpu", dtype=torch.bfloat16),
                "bf16 autocast (CPU rehearsal)")
    return contextlib.nullcontext, "fp32"


def probe(recipe, device, s: Settings) -> tuple[float, float]:
    """(steps/s, seconds spent): train a copy for ``probe_s`` (at least one step), timing
    the steps after the first (which pays for warm-up)."""
    times = []
    r = recipe.but(steps=10 ** 7, budget_s=s.probe_s)
    t0 = time.perf_counter()
    recipes.train(r, device=device, progress=False, profile="full",
                  callback=lambda i, m: (_sync(device), times.append(time.perf_counter())))
    spent = time.perf_counter() - t0
    if len(times) >= 2:
        return (len(times) - 1) / max(times[-1] - times[0], 1e-9), spent
    return 1 / max(spent, 1e-9), spent


def run_family(fam: Family, recipe, device, s: Settings, x_eval, clf) -> dict:
    """Probe, train for the rest of the budget, sample, score: one row."""
    planned = recipe.config.train.steps
    if s.batch_size:
        recipe = recipe.but(batch_size=s.batch_size)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    amp, amp_words = amp_context(device, s.amp and fam.amp, s.cpu_amp)
    if fam.trainer_amp and device.type == "cuda":
        amp_words = "bf16 autocast (train.Game.amp)"
    with amp():
        rate, spent = probe(recipe, device, s)
    row = {"metric": fam.label, "batch": recipe.config.train.batch_size,
           "steps_per_s": rate, "planned_steps": planned,
           "projected_full_s": planned / rate, "precision_mode": amp_words}
    if s.probe_only:
        return row
    left = max(s.budget_s - spent, 0.0)
    steps = max(1, min(planned, int(0.95 * rate * left)))
    with amp():
        model, history = recipes.train(recipe.but(steps=steps, budget_s=max(left, 1e-3)),
                                       device=device, progress=False, profile="full")
    n = len(x_eval)
    torch.manual_seed(0)
    _sync(device)
    t0 = time.perf_counter()
    with torch.no_grad():
        x = fam.sample(model, n, s, device)
    _sync(device)
    seconds = time.perf_counter() - t0
    x = x.detach().float().cpu().clamp(0, 1).reshape(x_eval.shape)
    scores = classifier_scores(x_eval, x, clf)
    row.update(steps=history.steps, train_s=history.seconds + spent,
               fid=scores["fid"], precision=scores["precision"], recall=scores["recall"],
               samples_per_s=n / seconds)
    if fam.conditional:
        row["class_accuracy"] = clf.accuracy(x, _digit_labels(n, "cpu"))
    if fam.likelihood is not None:
        xl = x_eval[:s.likelihood_n or n].to(device)
        with torch.no_grad():
            row.update(fam.likelihood(model, xl, s))
    row["peak_gpu_mb"] = (torch.cuda.max_memory_allocated(device) / 2 ** 20
                          if device.type == "cuda" else None)
    if fam.reference is not None:
        row.update(reference_metric=fam.reference.metric, reference=fam.reference.value,
                   reference_source=fam.reference.source)
    row["value"] = _headline(row)
    return row


HEADLINES = ("test NLL", "test bits/dim", "test reconstruction")


def _headline(row) -> float:
    """The row's figure for the table's value column: a likelihood if any, else FID."""
    for key in row:
        if key.startswith(HEADLINES):
            return row[key]
    return row["fid"]


# --- the whole table ----------------------------------------------------------------------

def run(profile, **options):
    s = settings(profile, **options)
    device = get_device()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    name = s.dataset
    split, limit = recipes.training_part(name)
    note = recipes.data_note(name)
    x_all, y_all = recipes.held_out(name, labels=True)
    x_eval = x_all[:s.n_eval]
    print(f"device {device}; {note}; budget {s.budget_s:g} s per family"
          + ("; smoke rehearsal (batch 8, few samples: figures test the code, not the models)"
             if s.batch_size == SMOKE["batch_size"] and s.n_eval == SMOKE["n_eval"] else ""))
    rows = [{"metric": "data", "value": note, "device": str(device)}]
    clf = None
    if not s.probe_only:
        t0 = time.perf_counter()
        clf = digit_classifier(name, steps=s.classifier_steps, split=split, limit=limit)
        x_train = recipes.train_part(name)[:len(x_eval)]
        floor = classifier_scores(x_eval, x_train, clf)
        rows.append({"metric": "FID floor: training vs held-out images", "value": floor["fid"],
                     "fid": floor["fid"], "precision": floor["precision"],
                     "recall": floor["recall"],
                     "class_accuracy": clf.accuracy(x_all, y_all),
                     "train_s": time.perf_counter() - t0})
    table = recipes.full_profile(name)
    for fam in FAMILIES:
        if s.families and fam.label not in s.families:
            continue
        if fam.label not in table:
            print(f"{fam.label}: no recipe in recipes.full_profile; skipped")
            continue
        t0 = time.perf_counter()
        row = run_family(fam, table[fam.label], device, s, x_eval, clf)
        row["wall_s"] = time.perf_counter() - t0
        rows.append(row)
        print(f"  {fam.label}: {_short(row)}", flush=True)
    return rows


def _short(row) -> str:
    keys = ("steps", "steps_per_s", "projected_full_s", "value", "fid", "samples_per_s", "wall_s")
    return ", ".join(f"{k} {row[k]:.4g}" for k in keys if isinstance(row.get(k), (int, float)))


def _f(v, fmt="{:.3g}") -> str:
    return "-" if v is None else fmt.format(v) if isinstance(v, (int, float)) else str(v)


def format_table(rows: list[dict]) -> str:
    """The table as aligned text: one line per family, then each reference's source."""
    head = ["family", "batch", "steps", "steps/s", "full cost h", "wall s", "likelihood",
            "value", "FID", "prec", "recall", "samples/s", "GPU MB", "precision", "reference"]
    lines, sources = [], []
    for r in rows:
        if r["metric"] == "data":
            lines.append(None)
            sources.insert(0, f"data: {r['value']} (device {r.get('device')})")
            continue
        like = next((k for k in r if k.startswith(HEADLINES)), None)
        ref = r.get("reference")
        lines.append([r["metric"], _f(r.get("batch")), _f(r.get("steps"), "{:d}"),
                      _f(r.get("steps_per_s")), _f(r.get("projected_full_s") and
                                                    r["projected_full_s"] / 3600),
                      _f(r.get("wall_s") or r.get("train_s"), "{:.0f}"),
                      like or "-", _f(r.get(like)) if like else "-", _f(r.get("fid")),
                      _f(r.get("precision"), "{:.2f}"), _f(r.get("recall"), "{:.2f}"),
                      _f(r.get("samples_per_s")), _f(r.get("peak_gpu_mb"), "{:.0f}"),
                      r.get("precision_mode", "-"),
                      ("-" if ref is None else f"{ref:g}") + (f" ({r['reference_metric']})"
                                                              if "reference_metric" in r else "")])
        if "reference_source" in r:
            sources.append(f"{r['metric']}: {r['reference_source']}")
    lines = [x for x in lines if x is not None]
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    fmt = lambda vals: "  ".join(v.ljust(w) for v, w in zip(vals, widths))  # noqa: E731
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] + [fmt(x) for x in lines]
                     + [""] + sources)
