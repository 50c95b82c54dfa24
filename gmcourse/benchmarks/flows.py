"""Flows (chapter 05): test NLL on the checkerboard and ring-8, digits bits/dim, widget speed.

Targets (lecture profile, idle 2-core CPU): checkerboard test NLL <= 3.60 nats (floor
log 32 = 3.466); ring-8 (std 0.01) within 0.15 nats of its exact entropy; the digits flow
below the independent-pixel baseline. ``cpu_s`` is process CPU time, less inflated than
``seconds`` on a busy machine.
"""
import math
import statistics
import time

import matplotlib
import torch

from .. import recipes
from ..config import pick
from ..data import load_images, toy
from ..metrics import bits_per_dim, independent_pixel_nll
from ..widgets import update_ms
from ..figures import draw_flow_stages, flow_stages


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def run(profile):
    steps = pick(smoke=100, lecture=2000, profile=profile)
    rows = []
    models = {"affine RealNVP 8x128": recipes.AFFINE_CHECKERBOARD,
              "spline flow 4x64": recipes.SPLINE_CHECKERBOARD}
    for name, target in [("checkerboard", 3.60), ("ring8", 0.15)]:
        dist = toy(name)
        x = dist.sample(20_000, generator=torch.Generator().manual_seed(123))
        entropy = -dist.log_prob(x.double()).mean().item()
        for model, recipe in models.items():
            recipe = recipe.but(data=recipes.flow_2d(name).data)
            (flow, _), sec, cpu = _timed(lambda: recipes.train(recipe, steps=steps, progress=False))
            with torch.no_grad():
                nll = -flow.log_prob(x).mean().item()
            metric = "test NLL, nats" if name == "checkerboard" else "NLL - entropy, nats"
            value = nll if name == "checkerboard" else nll - entropy
            rows.append({"metric": f"{name}: {model}, {metric}", "value": value,
                         "target": f"<= {target}", "entropy": entropy, "steps": steps,
                         "seconds": sec, "cpu_s": cpu})
            print(rows[-1], flush=True)
        if name == "checkerboard":
            stage_flow = flow  # the spline flow, for the widget timing below

    glow_steps = pick(smoke=30, lecture=recipes.GLOW_DIGITS.config.train.steps, profile=profile)
    x_train, x_test = load_images("digits", "train"), load_images("digits", "test")
    (model, _), sec, cpu = _timed(lambda: recipes.train(recipes.GLOW_DIGITS, steps=glow_steps,
                                                        progress=False))
    torch.manual_seed(1)
    rows.append({"metric": "digits: Glow test bits/dim (upper bound)",
                 "value": model.bits_per_dim(x_test), "steps": glow_steps,
                 "seconds": sec, "cpu_s": cpu})
    rows.append({"metric": "digits: independent-pixel baseline bits/dim",
                 "value": bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64)})
    print(rows[-2:], flush=True)

    matplotlib.use("Agg")

    stages, sec, _ = _timed(lambda: flow_stages(stage_flow))
    times, _ = update_ms(draw_flow_stages, [{"k": k, "stages": stages} for k in range(len(stages))],
                         figsize=(9, 4.2))
    rows.append({"metric": "layer-stepping widget: draw, median ms", "value":
                 statistics.median(times), "target": "< 300", "precompute_s": sec})
    rows.append({"metric": "checkerboard floor log 32, nats", "value": math.log(32)})
    return rows
