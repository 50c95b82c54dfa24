"""DDPM (chapter 07): ring-8 mode coverage, DDIM-50 vs 1000-step ancestral, guided digits.

Per seed: train the chapter's ring-8 DDPM; draw K x n samples (8 x 2,000) with the
1000-step ancestral sampler and with DDIM (50 steps; eta = 0, 0.5, 1); report modes,
high-quality fraction and mode-weight error of the ancestral samples, and for each sampler
the mean W1 over the K batches, each against its own fresh batch of target samples, with
its standard error. One batch's W1 is mostly finite-sample noise (the floor W1(target,
target) is printed beside it and varies by 2x between batches), which is why the means
over K batches and 3 seeds are compared, not single draws.
Criterion (issue 7): mean W1(DDIM-50) <= 1.1 mean W1(ancestral), at >= 10x the speed.
Then the digits model: classifier-free guided samples (w = 2) classified as requested,
and the time of one guidance-widget update.
"""
import statistics

import matplotlib
import torch

from ..bench import timed, mean_se
from ..classifier import digit_classifier
from ..data import ring8
from .. import recipes
from ..divergences import wasserstein, wasserstein_per_batch
from ..metrics import mode_coverage
from ..widgets import update_ms
from ..figures import draw_guidance


def _ring_rows(smoke: bool):
    seeds = [0] if smoke else [0, 1, 2]
    K, n = (2, 300) if smoke else (8, 2000)
    steps = 200 if smoke else recipes.DDPM_RING.config.train.steps
    ring = ring8()
    anc = "ancestral 1000 steps"
    samplers = {anc: lambda m: m.sample(K * n)}
    samplers |= {f"DDIM-50 eta={eta:g}": (lambda m, eta=eta: m.ddim_sample(K * n, 50, eta=eta))
                 for eta in (0.0, 0.5, 1.0)}
    w1 = {name: [] for name in ["data vs data (floor)", *samplers]}  # pooled over seeds
    seconds = {name: [] for name in samplers}
    rows, anc_rows = [], []
    for seed in seeds:
        model, hist = recipes.train(recipes.DDPM_RING, seed, steps, progress=False)
        g = torch.Generator().manual_seed(200 + seed)
        refs = [ring.sample(n, generator=g) for _ in range(K)]  # one fresh batch per batch
        floor = [wasserstein(ring.sample(n, generator=g), r) for r in refs]
        w1["data vs data (floor)"] += floor
        for name, draw in samplers.items():
            torch.manual_seed(100 + seed)
            x, sec = timed(lambda: draw(model))
            seconds[name].append(sec)
            batch_w1 = wasserstein_per_batch(x, refs).tolist()
            w1[name] += batch_w1  # pooled over seeds below
            mean, se = mean_se(batch_w1)
            cov = mode_coverage(x, ring)
            row = {"metric": f"ring8 {name}: mean W1 over {K} batches of {n}", "seed": seed,
                   "value": mean, "se": se, "high_quality": cov.high_quality,
                   "modes": cov.modes, "weight_error": cov.weight_error(ring), "seconds": sec}
            if name == anc:
                row |= {"train_seconds": hist.seconds, "floor": statistics.mean(floor)}
                anc_rows.append(row)
            rows.append(row)
            print(row, flush=True)
    rows += [
        {"metric": "ring8 ancestral: modes (min over seeds)", "value":
         min(r["modes"] for r in anc_rows), "target": ">= 8"},
        {"metric": "ring8 ancestral: high-quality fraction (min over seeds)", "value":
         min(r["high_quality"] for r in anc_rows), "target": ">= 0.90"},
        {"metric": "ring8 ancestral: max mode-weight error (max over seeds)", "value":
         max(r["weight_error"] for r in anc_rows), "target": "<= 0.05"}]
    m_anc = statistics.mean(w1[anc])
    for name, v in w1.items():
        mean, se = mean_se(v)
        row = {"metric": f"ring8 W1, all seeds: {name}", "value": mean, "se": se,
               "batches": len(v)}
        if name.startswith("DDIM"):
            row |= {"ratio_to_ancestral": mean / m_anc, "target": "<= 1.10",
                    "speed_up": sum(seconds[anc]) / sum(seconds[name])}
        rows.append(row)
    return rows


def run(profile):
    smoke = profile == "smoke"
    rows = _ring_rows(smoke)

    # guided digits: the chapter's model (cached), w = 2, classified by a real-digit classifier
    model = recipes.trained(recipes.DDPM_DIGITS, steps=30 if smoke else None, profile="lecture")
    clf = digit_classifier()
    torch.manual_seed(0)
    for name, per_class, fn in [
            ("ancestral", 2 if smoke else 10, lambda y: model.sample(len(y), y=y, w=2.0)),
            ("DDIM-50", 2 if smoke else 50, lambda y: model.ddim_sample(len(y), 50, y=y, w=2.0))]:
        y = torch.arange(10).repeat(per_class)
        x, sec = timed(lambda: fn(y))
        rows.append({"metric": f"digits guided w=2 ({name}, n={len(y)}): requested class", "value":
                     (clf.predict(x) == y).float().mean().item(), "target": ">= 0.90",
                     "seconds": sec})
        print(rows[-1], flush=True)

    # one update of the chapter's guidance widget
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
