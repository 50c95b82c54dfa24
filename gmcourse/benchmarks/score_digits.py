"""NCSN on 8x8 digits (``recipes.NCSN_DIGITS``): training time, sampling time, and sample
quality with the local classifier (FID, precision, recall) beside real held-out digits."""
import time

import torch

from ..classifier import digit_classifier
from ..data import load_images
from ..metrics import classifier_scores
from .. import recipes


def run(profile):
    steps = 30 if profile == "smoke" else None
    clf = digit_classifier()
    test = load_images("digits", "test")
    real = load_images("digits", "train")[:len(test)]
    rows = [{"metric": "real train digits vs test: FID(local)", "n": len(test),
             **{k: round(v, 3) for k, v in classifier_scores(test, real, clf).items()}}]
    t0, c0 = time.perf_counter(), time.process_time()
    model, _ = recipes.train(recipes.NCSN_DIGITS, steps=steps, profile="lecture",
                             progress=False)  # a fresh training run, timed
    rows.append({"metric": "digits NCSN: training seconds", "value": time.perf_counter() - t0,
                 "cpu_seconds": time.process_time() - c0,
                 "target": "<= ~60 on an idle 2-core CPU"})
    t0 = time.perf_counter()
    x = model.sample(len(test), generator=torch.Generator().manual_seed(0))
    rows.append({"metric": f"digits NCSN: seconds to sample {len(test)}",
                 "value": time.perf_counter() - t0})
    rows.append({"metric": "digits NCSN samples vs test: FID(local)", "n": len(test),
                 **{k: round(v, 3) for k, v in classifier_scores(test, x, clf).items()}})
    for r in rows:
        print(r, flush=True)
    return rows
