"""Causal transformer (chapter 06): 17-level digits bits/dim against the gated PixelCNN at
a matched parameter count and training budget, sampling with and without the key/value
cache at 64 pixels, and the character model on the Zen of Python.

Both image models train from scratch (no checkpoint), 1 seed, one after the other in this
process; ``cpu_seconds`` is the process's CPU time for the training (less sensitive than
the wall time to other programs on a shared machine), ``seconds`` the wall time.
"""
import math
import time
from collections import Counter


from ..bench import show
from .. import recipes
from ..data import load_images
from ..transformer import parameter_count, sampling_seconds


def _train(recipe, steps):
    t0, c0 = time.perf_counter(), time.process_time()
    model, _ = recipes.train(recipe, steps=steps, progress=False)
    return model, time.perf_counter() - t0, time.process_time() - c0


def run(profile):
    smoke = profile == "smoke"
    x_test = load_images("digits", "test")
    rows = []
    # the transformer costs about twice the PixelCNN's time per step on a CPU: a third row
    # trains it for half the steps (its cosine schedule over those), about the same time
    half = recipes.TRANSFORMER_DIGITS.config.train.steps // 2
    models = {}
    for name, recipe, steps in [("gated PixelCNN", recipes.PIXELCNN_DIGITS, None),
                                ("causal transformer", recipes.TRANSFORMER_DIGITS, None),
                                ("causal transformer, half the steps",
                                 recipes.TRANSFORMER_DIGITS, half)]:
        steps = 30 if smoke else steps or recipe.config.train.steps
        model, seconds, cpu = _train(recipe, steps)
        models[name] = model
        rows.append(show({"metric": f"17-level digits: {name}, test bits/dim",
                           "value": model.bits_per_dim(x_test), "parameters": parameter_count(model),
                           "steps": steps, "seconds": seconds, "cpu_seconds": cpu}))
    model = models["causal transformer"]

    # sampling 64 digits of 64 pixels, on the same uniforms, with and without the cache
    r = sampling_seconds(model, n=64, repeats=1 if smoke else 3)
    rows.append(show({"metric": "sampling 64 digits, cached: seconds", "value": r["cached"],
                       "seconds": r["cached"]}))
    rows.append(show({"metric": "sampling 64 digits, uncached: seconds",
                       "value": r["uncached"], "seconds": r["uncached"]}))
    rows.append(show({"metric": "key/value cache speed-up at 64 pixels", "value": r["speedup"],
                       "identical samples": r["identical"]}))

    # the same chain rule on text
    text = recipes.zen_of_python()
    counts = Counter(text)
    unigram = -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())
    steps = 20 if smoke else recipes.TRANSFORMER_ZEN.config.train.steps
    zen, seconds, cpu = _train(recipes.TRANSFORMER_ZEN, steps)
    windows = recipes.TRANSFORMER_ZEN.data()
    rows.append(show({"metric": "Zen of Python: character frequencies, bits/char",
                       "value": unigram}))
    rows.append(show({"metric": "Zen of Python: character transformer, bits/char (train)",
                       "value": zen.bits_per_dim(windows), "parameters": parameter_count(zen),
                       "steps": steps, "seconds": seconds, "cpu_seconds": cpu}))
    return rows
