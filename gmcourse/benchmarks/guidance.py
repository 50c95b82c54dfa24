"""Classifier guidance against classifier-free guidance on chapter 07's digits DDPM, at
matched strength (s = 1 + w: the power of p(y | x) that each samples, see
``gmcourse.guidance``): accuracy as the requested digit (a classifier of real digits),
recall and FID against the test digits (chapter 09's metrics), DDIM with 50 steps, the same
starting noise for every row. Chapter 11 shows the same sweep."""
from __future__ import annotations

import math

import torch

from .. import guidance, recipes
from ..classifier import digit_classifier
from ..data import load_images
from ..metrics import classifier_scores

W = (-1.0, 0.0, 0.5, 1.0, 2.0, 4.0)  # classifier-free scales; classifier guidance: s = 1 + w


def sweep(model, noisy_classifier, clf, x_test, ws=W, n: int = 300, steps: int = 50,
          seed: int = 0) -> tuple[list[dict], dict]:
    """Rows {method, strength, accuracy, accuracy_se, recall, fid} and the samples
    {(method, strength): (n, 1, 8, 8)}; labels are 0..9 in turn."""
    y = torch.arange(n) % 10
    rows, samples = [], {}
    for w in ws:
        for method, s in (("classifier-free", w), ("classifier", 1 + w)):
            torch.manual_seed(seed)  # the same x_T for every row
            sampler = model if method == "classifier-free" else guidance.classifier_guided(
                model, noisy_classifier, s)
            x = (sampler.ddim_sample(n, steps, y=y, w=w) if method == "classifier-free"
                 else sampler.ddim_sample(n, steps, y=y))
            hit = (clf.predict(x) == y).float()
            scores = classifier_scores(x_test, x, clf)
            rows.append({"method": method, "strength": s, "power": 1 + w,
                         "accuracy": hit.mean().item(),
                         "accuracy_se": hit.std().item() / math.sqrt(n),
                         "recall": scores["recall"], "fid": scores["fid"]})
            samples[method, 1 + w] = x
    return rows, samples


def matched(rows: list[dict], target: float = 0.95) -> tuple[dict, dict]:
    """The weakest classifier-free row with accuracy >= ``target``, and the classifier row
    of the same power."""
    cfg = min((r for r in rows if r["method"] == "classifier-free" and r["accuracy"] >= target),
              key=lambda r: r["power"])
    cg = next(r for r in rows if r["method"] == "classifier" and r["power"] == cfg["power"])
    return cfg, cg


def run(profile):
    smoke = profile == "smoke"
    model = recipes.trained(recipes.DDPM_DIGITS, steps=30 if smoke else None, profile="lecture")
    noisy = recipes.trained(recipes.NOISY_CLASSIFIER_DIGITS, steps=30 if smoke else None,
                            profile="lecture")
    clf = digit_classifier()
    x_test = load_images("digits", "test")
    rows, _ = sweep(model, noisy, clf, x_test, W[:2] if smoke else W, n=40 if smoke else 300,
                    steps=5 if smoke else 50)
    out = [{"metric": f"{r['method']} guidance, strength {r['strength']:g}: requested digit",
            "value": r["accuracy"], "se": r["accuracy_se"], "recall": r["recall"],
            "fid": r["fid"], "power": r["power"]} for r in rows]
    if not smoke:
        cfg, cg = matched(rows)
        out.append({"metric": "classifier guidance at the weakest classifier-free strength "
                              f"with >= 95% (w = {cfg['strength']:g}, s = {cg['strength']:g})",
                    "value": cg["accuracy"], "recall": cg["recall"],
                    "classifier_free": cfg["accuracy"], "classifier_free_recall": cfg["recall"]})
    for r in out:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    return out
