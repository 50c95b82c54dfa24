"""Flow matching (chapter 10): one table of diffusion, flow matching, reflow and consistency.

Ring-8, per seed (3 seeds): chapter 07's DDPM (16,000 steps) sampled ancestrally (1000
steps) and with DDIM (eta 0, 10 and 50 steps); flow matching with the same network and
training budget, sampled with Euler (1, 4, 10, 50 steps), and its OT-coupled twin (Euler 4
and 10); the reflow of the OT-coupled flow (1 Euler step), that reflow distilled into its
one step (rectified flow's distillation: the reflow objective at t = 0 alone,
``recipes.toy_distilled``), and the consistency model of the independent flow, distilled
from its trajectories (1 and 2 steps; the second re-noises to ``recipes.CM_TIMES``). Each
sampler draws K x n points, scored by modes, high-quality fraction
(``metrics.mode_coverage``), the mean W1 over the K batches against fresh target batches
(``divergences.wasserstein_per_batch``) beside the floor W1(target, target), and samples
per second.
Criteria (issue 21): mean W1(FM, 10 Euler) <= 1.1 mean W1(DDPM ancestral) over all seeds,
reported for both couplings (the OT-coupled flow is the same network and budget; its paths
are straighter, so Euler's error is smaller); reflow distilled, 1 step, and consistency,
2 steps: 8/8 modes and >= 90% high quality on every seed (the reflow's own one Euler step
is reported beside them).
Digits: the conditional DDPM and flow matching on the same budget, scored as in chapter 09
(FID with the local classifier, precision, recall; ``metrics.classifier_scores``).
Checkerboard: test NLL of the flow-matching ODE (exact trace, ``recipes.checkerboard_config``)
and of chapter 05's spline flow widened to 128 units and 32 bins (``recipes.spline_config``),
each trained for under 120 s at one thread; criterion <= 3.50 nats (floor log 32 = 3.466).
Measured at one thread: the spline flow 3.497 nats after 5,500 steps (104 s), the ODE 3.539
after 45,000 steps (110 s, with one other job beside it); the settings listed in
``recipes.checkerboard_config`` did not bring the ODE below 3.54, so that row misses.
"""
import math
import statistics

import matplotlib
import torch

from ..bench import timed, mean_se
from ..classifier import digit_classifier
from ..data import load_images, ring8, toy
from ..divergences import wasserstein, wasserstein_per_batch
from ..metrics import classifier_scores, mode_coverage
from .. import recipes as rec
from ..figures import draw_flow_sampler, flow_sampler_state
from ..widgets import update_ms


def ring_samplers(ddpm, flow, flow_ot, reflow, distilled, cm):
    """name -> (function n -> samples, network calls per sample)."""
    s = {"DDPM ancestral": (lambda n: ddpm.sample(n), ddpm.T),
         "DDIM 10": (lambda n: ddpm.ddim_sample(n, 10), 10),
         "DDIM 50": (lambda n: ddpm.ddim_sample(n, 50), 50)}
    s |= {f"FM Euler {k}": (lambda n, k=k: flow.sample(n, k), k) for k in (1, 4, 10, 50)}
    s |= {f"FM OT Euler {k}": (lambda n, k=k: flow_ot.sample(n, k), k) for k in (4, 10)}
    s |= {"reflow Euler 1": (lambda n: reflow.sample(n, 1), 1),
          "reflow distilled 1": (lambda n: distilled.sample(n, 1), 1),
          "consistency 1": (lambda n: cm.sample(n, 1), 1),
          "consistency 2": (lambda n: cm.sample(n, 2, times=rec.CM_TIMES), 2)}
    return s


def _ring_rows(smoke: bool):
    seeds = [0] if smoke else [0, 1, 2]
    K, n = (2, 300) if smoke else (8, 2000)
    cfgs = rec.ring_configs(smoke)
    ring = ring8()
    w1, hq, modes, rates = {}, {}, {}, {}
    rows = []
    for seed in seeds:
        (ddpm, train_s) = timed(lambda: rec.ring_ddpm(seed, cfgs["ddpm_steps"]))
        flow, flow_ot = rec.toy_fm(cfgs["fm"], seed), rec.toy_fm(cfgs["fm_ot"], seed)
        reflow, cm = rec.toy_reflow(cfgs["reflow"], seed), rec.toy_consistency(cfgs["cm"], seed)
        distilled = rec.toy_distilled(cfgs["distill"], seed)
        g = torch.Generator().manual_seed(200 + seed)
        refs = [ring.sample(n, generator=g) for _ in range(K)]
        floor = [wasserstein(ring.sample(n, generator=g), r) for r in refs]
        w1.setdefault("data vs data (floor)", []).extend(floor)
        for name, (draw, calls) in ring_samplers(ddpm, flow, flow_ot, reflow, distilled, cm).items():
            torch.manual_seed(100 + seed)
            x, sec = timed(lambda: draw(K * n))
            batch_w1 = wasserstein_per_batch(x, refs).tolist()
            cov = mode_coverage(x, ring)
            w1.setdefault(name, []).extend(batch_w1)
            hq.setdefault(name, []).append(cov.high_quality)
            modes.setdefault(name, []).append(cov.modes)
            rates.setdefault(name, []).append(K * n / sec)
            rows.append({"metric": f"ring8 {name}: mean W1 over {K} batches of {n}", "seed": seed,
                         "value": statistics.mean(batch_w1), "floor": statistics.mean(floor),
                         "modes": cov.modes, "high_quality": cov.high_quality, "calls": calls,
                         "samples_per_s": K * n / sec})
            print(rows[-1], flush=True)
    m_anc = statistics.mean(w1["DDPM ancestral"])
    for name, v in w1.items():
        mean, se = mean_se(v)
        row = {"metric": f"ring8, all seeds: {name}, mean W1", "value": mean, "se": se}
        if name in hq:
            row |= {"min_modes": min(modes[name]), "min_high_quality": min(hq[name]),
                    "samples_per_s": statistics.mean(rates[name]), "ratio_to_ancestral": mean / m_anc}
        if name in ("FM Euler 10", "FM OT Euler 10"):
            row["target"] = "ratio <= 1.10"
        if name in ("reflow distilled 1", "consistency 2"):
            row["target"] = "8 modes, >= 0.90 high quality"
        rows.append(row)
    return rows


def _digits_rows(smoke: bool):
    x_test = load_images("digits", "test")[:100 if smoke else None]
    clf = digit_classifier()
    ddpm = rec.trained(rec.DDPM_DIGITS, steps=30 if smoke else None, profile="lecture")
    flow = rec.digits_fm(seed=0, steps=30 if smoke else None)
    samplers = {"DDPM ancestral": lambda n: ddpm.sample(n),
                "DDIM 10": lambda n: ddpm.ddim_sample(n, 10),
                "DDIM 50": lambda n: ddpm.ddim_sample(n, 50)}
    samplers |= {f"FM Euler {k}": (lambda n, k=k: flow.sample(n, k)) for k in (1, 4, 10, 20, 50)}
    rows = []
    for name, draw in samplers.items():
        torch.manual_seed(0)
        x, sec = timed(lambda: draw(len(x_test)))
        s = classifier_scores(x_test, x.float().clamp(0, 1), clf)
        rows.append({"metric": f"digits {name}: FID (local classifier)", "value": s["fid"],
                     "precision": s["precision"], "recall": s["recall"],
                     "samples_per_s": len(x_test) / sec})
        print(rows[-1], flush=True)
    return rows


def _checkerboard_rows(smoke: bool):
    board = toy("checkerboard")
    x = board.sample(2000 if smoke else 5000, generator=torch.Generator().manual_seed(123))
    rows = []
    cfg = rec.checkerboard_config(smoke)
    (flow, sec) = timed(lambda: rec.toy_fm(cfg, 0))
    torch.manual_seed(0)
    nll = -torch.cat([flow.log_prob(b, steps=rec.LOGP_STEPS) for b in x.split(1000)]).mean().item()
    rows.append({"metric": "checkerboard: flow matching ODE test NLL, nats", "value": nll,
                 "target": "<= 3.50", "train_steps": cfg.steps, "seconds": sec})
    print(rows[-1], flush=True)
    spline_recipe = rec.spline_config(smoke)
    (spline, _), sec = timed(lambda: rec.train(spline_recipe, steps=spline_recipe.config.train.steps,
                                                progress=False))
    with torch.no_grad():
        nll = -spline.log_prob(x).mean().item()
    rows.append({"metric": "checkerboard: spline flow test NLL, nats", "value": nll,
                 "target": "<= 3.50", "train_steps": spline_recipe.config.train.steps, "seconds": sec})
    rows.append({"metric": "checkerboard floor log 32, nats", "value": math.log(32)})
    return rows


def run(profile):
    smoke = profile == "smoke"
    rows = _ring_rows(smoke) + _checkerboard_rows(smoke) + _digits_rows(smoke)

    matplotlib.use("Agg")
    cfgs = rec.ring_configs(smoke)
    state = flow_sampler_state({"independent": rec.toy_fm(cfgs["fm"], 0),
                                "OT": rec.toy_fm(cfgs["fm_ot"], 0)})
    settings = [{"steps": s, "solver": so, "coupling": c, "state": state}
                for s, so, c in [(1, "Euler", "independent"), (4, "Heun", "OT"),
                                 (10, "midpoint", "independent"), (50, "Euler", "OT")]]
    times, _ = update_ms(draw_flow_sampler, settings, figsize=(10, 4.2))
    rows.append({"metric": "sampler widget update (draw + PNG): median ms",
                 "value": statistics.median(times), "max": max(times), "target": "<= 300"})
    return rows


if __name__ == "__main__":
    from ..bench import main
    main(["flow_matching"])
