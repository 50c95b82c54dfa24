"""DDPM (chapter 07): ring-8 mode coverage, DDIM-50 vs 1000-step ancestral, guided digits.

Per seed: train the chapter's ring-8 DDPM; draw ``n`` samples with the ancestral sampler
and with DDIM (50 steps, eta = 0, 0.5, 1); report modes, high-quality fraction and
mode-weight error, and W1 to ``n`` (3000) fresh target samples beside the floor
W1(target, target) that finite samples give (it varies by about 2x between seeds). Criterion: W1(DDIM-50) <= 1.1 W1(ancestral) at >= 10x speed.
Then the digits model: classifier-free guided samples (w = 2) classified as requested,
and the time of one guidance-widget update.
"""
import time

import matplotlib
import torch

from ..classifier import digit_classifier
from ..data import ring8
from ..diffusion import ToyConfig, digits_ddpm, toy_ddpm
from ..divergences import wasserstein
from ..metrics import mode_coverage


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run(profile):
    smoke = profile == "smoke"
    seeds = [0] if smoke else [0, 1, 2]
    n = 300 if smoke else 3000
    cfg = ToyConfig(steps=200 if smoke else ToyConfig.steps)
    ring = ring8()
    rows = []
    for seed in seeds:
        model, hist = toy_ddpm(ring, cfg, seed=seed, progress=False)
        torch.manual_seed(100 + seed)
        x_anc, t_anc = _timed(lambda: model.sample(n))
        ref = ring.sample(n, generator=torch.Generator().manual_seed(200 + seed))
        ref2 = ring.sample(n, generator=torch.Generator().manual_seed(300 + seed))
        cov = mode_coverage(x_anc, ring)
        w_anc, floor = wasserstein(x_anc, ref), wasserstein(ref2, ref)
        rows += [
            {"metric": "ring8 ancestral: modes", "seed": seed, "value": cov.modes,
             "target": ">= 8", "seconds": hist.seconds},
            {"metric": "ring8 ancestral: high-quality fraction", "seed": seed,
             "value": cov.high_quality, "target": ">= 0.90"},
            {"metric": "ring8 ancestral: max mode-weight error", "seed": seed,
             "value": cov.weight_error(ring), "target": "<= 0.05"},
            {"metric": f"ring8 W1 floor (target vs target, n={n})", "seed": seed, "value": floor},
            {"metric": "ring8 W1 ancestral 1000 steps", "seed": seed, "value": w_anc,
             "seconds": t_anc},
        ]
        for eta in (0.0, 0.5, 1.0):  # the criterion names no eta: report the family
            x_ddim, t_ddim = _timed(lambda: model.ddim_sample(n, 50, eta=eta))
            w_ddim = wasserstein(x_ddim, ref)
            rows += [
                {"metric": f"ring8 W1 DDIM-50 eta={eta:g}", "seed": seed, "value": w_ddim,
                 "seconds": t_ddim},
                {"metric": f"ring8 W1 ratio DDIM-50 eta={eta:g} / ancestral", "seed": seed,
                 "value": w_ddim / w_anc, "target": "<= 1.10"},
                {"metric": f"ring8 DDIM-50 eta={eta:g}: high-quality fraction", "seed": seed,
                 "value": mode_coverage(x_ddim, ring).high_quality},
                {"metric": f"ring8 DDIM-50 eta={eta:g} speed-up", "seed": seed,
                 "value": t_anc / t_ddim, "target": ">= 10"},
            ]
        print(rows[-17:], flush=True)

    # guided digits: the chapter's model (cached), w = 2, classified by a real-digit classifier
    model = digits_ddpm(seed=0, steps=30 if smoke else None)
    clf = digit_classifier()
    torch.manual_seed(0)
    for name, per_class, fn in [
            ("ancestral", 2 if smoke else 10, lambda y: model.sample(len(y), y=y, w=2.0)),
            ("DDIM-50", 2 if smoke else 50, lambda y: model.ddim_sample(len(y), 50, y=y, w=2.0))]:
        y = torch.arange(10).repeat(per_class)
        x, sec = _timed(lambda: fn(y))
        rows.append({"metric": f"digits guided w=2 ({name}, n={len(y)}): requested class", "value":
                     (clf.predict(x) == y).float().mean().item(), "target": ">= 0.90",
                     "seconds": sec})
        print(rows[-1], flush=True)

    # one update of the chapter's guidance widget
    from ..widgets import draw_guidance, update_ms
    matplotlib.use("Agg")
    samples = {0.0: torch.rand(40, 1, 8, 8)}
    labels = torch.arange(10).repeat(4)
    times, _ = update_ms(lambda fig: draw_guidance(fig, samples, labels, 0.0, clf),
                         [{}] * 5, figsize=(8, 3.6))  # the callback and the rendering
    rows.append({"metric": "guidance widget draw: median ms", "value":
                 sorted(times)[2], "target": "< 300"})
    return rows


if __name__ == "__main__":
    from ..bench import main
    main(["ddpm"])
