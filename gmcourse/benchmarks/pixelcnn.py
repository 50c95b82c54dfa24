"""PixelCNN: digits bits/dim beside the independent-pixel baseline, training time, sampling
time against image size with a fitted exponent, and the chapter's widget update time.

Rows print as they are measured. Models train from scratch (no checkpoint), 1 seed.
"""
import statistics
import time

import matplotlib
import torch

from ..bench import show
from ..data import load_images
from ..metrics import bits_per_dim, independent_pixel_nll
from .. import recipes
from ..pixelcnn import (BinaryPixels, GatedPixelCNNNet, PixelCNNNet, input_gradients, pixelcnn,
                        power_law_exponent, sampling_seconds)
from ..widgets import update_ms
from ..figures import draw_receptive_field


def run(profile):
    smoke = profile == "smoke"
    steps = 30 if smoke else 1000
    rows = []
    for levels, label in [(2, "binarized digits"), (17, "17-level digits")]:
        x_train = load_images("digits", "train", binarize=levels == 2)
        x_test = load_images("digits", "test", binarize=levels == 2)
        base = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=levels), 64)
        rows.append(show({"metric": f"{label}: independent pixels, test bits/dim",
                           "value": base}))
        for gated in ([False, True] if levels == 2 else [True]):
            t0 = time.perf_counter()
            model, _ = recipes.train(recipes.pixelcnn_recipe(levels, gated), steps=steps,
                                     progress=False)
            seconds = time.perf_counter() - t0
            name = "gated PixelCNN" if gated else "PixelCNN"
            rows.append(show({"metric": f"{label}: {name}, test bits/dim",
                               "value": model.bits_per_dim(x_test), "steps": steps,
                               "seconds": seconds}))

    # sampling is sequential: H W passes of a network whose cost grows with H W
    model = pixelcnn(BinaryPixels()).eval()
    sides = (4, 6, 8) if smoke else (4, 8, 12, 16, 20)
    timings = []
    for s in sides:
        r = sampling_seconds(model, sides=(s,), n=8)[0]
        timings.append(r)
        rows.append(show({"metric": f"sampling 8 images of {s}x{s}: seconds",
                           "value": r["seconds"], "seconds": r["seconds"]}))
    pixels = [r["pixels"] for r in timings]
    secs = [r["seconds"] for r in timings]
    rows.append(show({"metric": "sampling time ~ pixels^a: fitted a (all sizes)",
                       "value": power_law_exponent(pixels, secs)}))
    rows.append(show({"metric": "sampling time ~ pixels^a: fitted a (two largest sizes)",
                       "value": power_law_exponent(pixels[-2:], secs[-2:])}))

    # the chapter's widget: one update must take < 300 ms
    matplotlib.use("Agg")
    torch.manual_seed(0)
    grads = {"PixelCNN": input_gradients(PixelCNNNet(1, 1, 16, 4, 3, 3), 1, 12, 12),
             "gated": input_gradients(GatedPixelCNNNet(1, 1, 16, 4, 3, 3), 1, 12, 12)}
    times, _ = update_ms(draw_receptive_field,
                         [{"grads": grads, "row": r, "col": c}
                          for r, c in [(5, 5), (6, 3), (9, 9), (2, 7), (11, 0)]], figsize=(9, 4))
    rows.append(show({"metric": "receptive-field widget update: median ms",
                       "value": statistics.median(times)}))
    return rows
