"""GANs on the ring of 8 and the grid of 25 (3 seeds), the conditional DCGAN on digits,
and the chapters' widget update time.

Chapter 03's tuned Wasserstein GAN (``recipes.TUNED_WGAN``: WGAN-GP, penalty weight 1,
2 critic steps, Adam lr 1e-3 with beta1 0 and a cosine decay; a 128-unit generator against
a 64-unit critic): 3,000 generator steps on the ring, 8,000 on the grid. Target (issue 16):
8/8 and >= 24/25 modes with >= 75% high-quality samples on every seed, each run <= 90 s at
GMCOURSE_THREADS=1. ``seconds`` is the slowest seed's training time. ``--only wgan`` runs
these rows alone (about 5 minutes at one thread). ``--only conditioning``: the conditional
DCGAN with the label at G's input only or in every layer (conditional batch norm), 3 seeds
(measured at one thread: 97.9-98.3% classified as requested and FID 69-87 at the input;
98.0-98.9% and FID 76-80 in every layer). ``--only ablation``: the best recipe on the grid
of 25 with one ingredient removed at a time (chapter 02's ablation table), 3 seeds each.
``--only drs``: DRS's gamma on the best recipe's runs, -1 to 3 (chapter 02's curve): at
gamma = 3 the grid's mean reaches 95.0% (every seed >= 93.4%) and the ring's 98.3%, keeping
1.4% of the grid's proposals on seed 0.

Targets (issue 4): best recipe 8/8 modes on the ring and >= 24/25 on the grid, each with
>= 80% high-quality samples, each run <= 90 s on a 2-core CPU; the conditional DCGAN's
samples classified as the requested class >= 90% of the time, in <= 3 minutes.
Published (PacGAN, Table 3): PacGAN4 ring 7.8/8 at 95.9%, grid 24.8/25 at 93.6%;
VEEGAN ring 8/8 at 52.9%, grid 24.6/25 at 40%.

"vanilla GAN" is ``recipes.VANILLA`` (non-saturating loss, Adam 1e-3, 3,000 steps),
reported as measured. "best recipe" is ``recipes.BEST``, one recipe for both
targets: R1 penalty (gamma 0.03), a moving average of G, lr 2e-3 decayed to 0 over 7,000
steps, then discriminator rejection sampling after 500 calibration steps of D. Its rows
count the samples DRS accepts; ``seconds`` is the slowest seed's training (calibration
included). Each run takes about a minute at GMCOURSE_THREADS=1.
"""
import statistics
import time


from ..gan_experiments import coverage_run
from ..recipes import BEST, VANILLA, but
from ..gan_experiments import ablation, drs_gamma_curve, summarise
from ..recipes import TUNED_STEPS, train_wgan, tuned_wgan
from ..classifier import digit_classifier
from ..data import load_images
from ..metrics import conditional_scores
from .. import recipes
from ..figures import draw_dirac_gan
from ..widgets import update_ms


def _coverage_rows(profile):
    seeds = [0] if profile == "smoke" else [0, 1, 2]
    rows = []
    for target in ("ring8", "grid25"):
        for name, base in (("vanilla GAN", VANILLA), ("best recipe", BEST)):
            runs = []
            for seed in seeds:
                cfg = but(base, target=target, seed=seed,
                             steps=300 if profile == "smoke" else base.train.steps)
                r = coverage_run(cfg)
                runs.append(r)
                print(f"{target} {name} seed {seed}: {r['modes']}/{r['total']} modes, "
                      f"{100 * r['high_quality']:.1f}% high quality, {r['seconds']:.1f} s",
                      flush=True)
            rows.append({"metric": f"{target}: {name}",
                         "modes": statistics.mean(r["modes"] for r in runs),
                         "min_modes": min(r["modes"] for r in runs),
                         "value": statistics.mean(r["high_quality"] for r in runs),
                         "min_hq": min(r["high_quality"] for r in runs),
                         "reverse_kl": statistics.mean(r["reverse_kl"] for r in runs),
                         "accept": statistics.mean(r["accept_rate"] for r in runs),
                         "seconds": max(r["seconds"] for r in runs), "seeds": len(runs)})
    return rows


def _wgan_rows(profile):
    seeds = [0] if profile == "smoke" else [0, 1, 2]
    rows = []
    for target, steps in TUNED_STEPS.items():
        runs = []
        for seed in seeds:
            run = tuned_wgan(target, seed, steps=60 if profile == "smoke" else steps)
            r = train_wgan(run, progress=False)
            cov = r["coverage"]
            runs.append({"modes": cov.modes, "high_quality": cov.high_quality,
                         "seconds": r["seconds"]})
            print(f"{target} tuned WGAN-GP seed {seed}: {cov}, {r['seconds']:.1f} s", flush=True)
        rows.append({"metric": f"{target}: tuned WGAN-GP ({run.train.steps} steps)",
                     **summarise(runs), "value": summarise(runs)["high_quality"]})
    return rows


def _cgan_row(profile):
    import torch
    steps = 100 if profile == "smoke" else recipes.CGAN_DIGITS.config.train.steps
    t0 = time.perf_counter()
    gan, _ = recipes.train(recipes.CGAN_DIGITS, steps=steps, progress=False)
    seconds = time.perf_counter() - t0
    labels = torch.arange(1000) % 10
    acc = digit_classifier().accuracy(gan.sample(1000, labels), labels)
    return {"metric": "conditional DCGAN on digits: classified as requested", "value": acc,
            "seconds": seconds, "steps": steps}


def _conditioning_rows(profile):
    """Where G sees the label: beside z at the input (``CGAN_DIGITS``) or also in every batch
    norm (``CGAN_CBN_DIGITS``), 3 seeds each at chapter 03's 2,500 steps: the share of
    samples classified as requested (1000 samples), and FID, precision and recall against
    the test digits (local classifier). Seed 0 of each ships with the course."""
    clf, x_test = digit_classifier(), load_images("digits", "test")
    seeds, steps = ([0], 30) if profile == "smoke" else ([0, 1, 2], None)
    rows = []
    for label, recipe in (("input", recipes.CGAN_DIGITS), ("every layer", recipes.CGAN_CBN_DIGITS)):
        for seed in seeds:
            s = conditional_scores(recipes.trained(recipe, seed=seed, steps=steps), x_test, clf)
            rows.append({"metric": f"conditional DCGAN, label {label}: classified as requested",
                         "value": s["classified as requested"], "seed": seed, "fid": s["fid"],
                         "precision": s["precision"], "recall": s["recall"]})
            print(rows[-1], flush=True)
    return rows


def _ablation_rows(profile):
    """Chapter 02's ablation of the best recipe on the grid of 25 (``gan_experiments.
    ABLATIONS``, 3 seeds): modes and high quality per row, after DRS except "no DRS"."""
    smoke = profile == "smoke"
    out = ablation(seeds=(0,) if smoke else (0, 1, 2), steps=100 if smoke else None,
                   calibrate=20 if smoke else None)
    rows = []
    for name, r in out.items():
        rows.append({"metric": f"grid25 ablation: {name}, mean high quality",
                     "value": statistics.mean(r["high_quality"]), "min_hq": min(r["high_quality"]),
                     "min_modes": min(r["modes"]), "modes": statistics.mean(r["modes"])})
        print(rows[-1], flush=True)
    return rows


def _drs_rows(profile):
    """DRS's gamma on the best recipe's runs (3 seeds, both targets): modes and high quality
    per gamma, the share of proposals kept and ``metrics.mode_spread``."""
    smoke = profile == "smoke"
    rows = []
    for target in ("grid25", "ring8"):
        curve = drs_gamma_curve(target, seeds=(0,) if smoke else (0, 1, 2),
                                steps=100 if smoke else None, calibrate=20 if smoke else None)
        for gamma, r in curve.items():
            rows.append({"metric": f"{target}: best recipe, DRS gamma {gamma:g}, mean high quality",
                         "value": statistics.mean(r["high_quality"]), "min_hq": min(r["high_quality"]),
                         "min_modes": min(r["modes"]), "min_accept": min(r["accept_rate"]),
                         "spread": statistics.mean(r["spread"])})
            print(rows[-1], flush=True)
    return rows


def _widget_row():
    times, _ = update_ms(draw_dirac_gan, [{"method": m, "h": 0.3, "gamma": 0.1}
                                          for m in ("simultaneous", "alternating", "rk4")])
    return {"metric": "Dirac-GAN widget update: median ms", "value": statistics.median(times)}


PARTS = {"widget": lambda p: [_widget_row()], "wgan": _wgan_rows, "coverage": _coverage_rows,
         "cgan": lambda p: [_cgan_row(p)], "conditioning": _conditioning_rows,
         "ablation": _ablation_rows, "drs": _drs_rows}


def run(profile, only: str | None = None):
    """Every part, or ``--only wgan`` (or widget, coverage, cgan, conditioning, ablation, drs;
    comma-separated)."""
    parts = list(PARTS) if only is None else only.split(",")
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise SystemExit(f"gan: unknown part {unknown}; choose from {', '.join(PARTS)}")
    return [row for p in parts for row in PARTS[p](profile)]
