"""Latent against pixel diffusion on the digits, 3 seeds, each trained here from scratch:
FID (local classifier), precision and recall of 1,000 samples against the 297 test digits
for the ancestral sampler (1,000 steps) and DDIM (50), samples per second, and training
seconds (the latent model's without and with its autoencoder, which is trained once).
Why 1,000 samples: with 297, the FID of one model moves between 80 and 140 from one
sampling seed to the next (measured on the latent model), more than the gap between the
samplers or the models that the ratio is meant to show. Then, when MNIST is on
disk (``GMCOURSE_DATA`` or data/), the latent model on 28x28 MNIST: its training and
sampling seconds and how confidently a classifier of real MNIST digits reads its samples."""
from __future__ import annotations

import statistics
import torch

from .. import checkpoint, recipes
from ..bench import timed
from ..classifier import digit_classifier
from ..data import available, load_images
from ..metrics import classifier_scores


def _row(label, seed, x, x_test, clf, sample_s, train_s, **extra) -> dict:
    s = classifier_scores(x_test, x, clf)
    return {"metric": f"{label}, seed {seed}: FID", "value": s["fid"], "precision": s["precision"],
            "recall": s["recall"], "samples_per_s": len(x) / sample_s, "train_s": train_s, **extra}


N_SAMPLES = 1000  # samples per model and sampler (lecture profile)


def digits_rows(seeds=(0, 1, 2), smoke: bool = False) -> list[dict]:
    clf = digit_classifier()
    x_test = load_images("digits", "test")
    n = 32 if smoke else N_SAMPLES
    x_test = x_test[:n] if smoke else x_test
    steps = 5 if smoke else None
    rows = []
    ae = recipes.autoencoder_of(recipes.LATENT_DDPM_DIGITS)
    (_, ae_hist) = recipes.train(ae, steps=steps, progress=False)  # stage 1: its cost, once
    for seed in seeds:
        for label, recipe in (("pixel DDPM", recipes.DDPM_DIGITS),
                              ("latent DDPM", recipes.LATENT_DDPM_DIGITS)):
            (model, hist), train_s = timed(lambda: recipes.train(recipe, seed, steps, progress=False))
            for sampler, draw in (("ancestral", lambda: model.sample(n)),
                                  ("DDIM 50", lambda: model.ddim_sample(n, 5 if smoke else 50))):
                torch.manual_seed(seed)
                x, sec = timed(draw)
                extra = {"autoencoder_train_s": ae_hist.seconds} if label == "latent DDPM" else {}
                rows.append(_row(f"{label}, {sampler}", seed, x, x_test, clf, sec, train_s, **extra))
    return rows


def summary(rows: list[dict]) -> list[dict]:
    """Means over seeds, and the latent/pixel ratios the acceptance asks about."""
    out = []
    for sampler in ("ancestral", "DDIM 50"):
        def mean(label, key):
            return statistics.mean(r[key] for r in rows if r["metric"].startswith(f"{label}, {sampler},"))
        fid_p, fid_l = mean("pixel DDPM", "value"), mean("latent DDPM", "value")
        out.append({"metric": f"latent / pixel DDPM FID, {sampler} (mean of seeds)",
                    "value": fid_l / fid_p, "target": "<= 1.2", "fid_latent": fid_l, "fid_pixel": fid_p,
                    "recall_latent": mean("latent DDPM", "recall"),
                    "recall_pixel": mean("pixel DDPM", "recall"),
                    "speed_ratio": mean("latent DDPM", "samples_per_s") / mean("pixel DDPM", "samples_per_s"),
                    "train_ratio": mean("latent DDPM", "train_s") / mean("pixel DDPM", "train_s")})
    return out


def mnist_rows(smoke: bool = False, fresh: bool = True) -> list[dict]:
    """The latent model on 28x28 MNIST: stage 1, stage 2, sampling. ``fresh``: both stages
    trained here from scratch and timed; else (chapter 11) the cached models and the
    seconds their training took when they were trained (stored with them)."""
    stage1 = recipes.autoencoder_of(recipes.LATENT_DDPM_MNIST)
    if fresh:
        steps = 5 if smoke else None
        with checkpoint.fresh():  # neither stage may come from a checkpoint
            # stage 1 at the profile's steps, the ones stage 2's build asks for
            _, ae_s = timed(lambda: recipes.trained(stage1))
            (model, _), train_s = timed(lambda: recipes.train(recipes.LATENT_DDPM_MNIST,
                                                              steps=steps, progress=False))
    else:
        _, ae_hist = recipes.trained(stage1, history=True)
        model, hist = recipes.trained(recipes.LATENT_DDPM_MNIST, history=True)
        ae_s, train_s = ae_hist.seconds, hist.seconds
    torch.manual_seed(0)
    n = 16 if smoke else 100
    x, sample_s = timed(lambda: model.ddim_sample(n, 5 if smoke else 50))
    split, limit = recipes.training_part("mnist")
    clf = digit_classifier("mnist", steps=50 if smoke else 600, split=split, limit=limit)
    with torch.no_grad():
        conf = torch.softmax(clf(x), -1).max(-1).values
        held = recipes.held_out("mnist")[:n]
        conf_real = torch.softmax(clf(held), -1).max(-1).values
    return [{"metric": "latent DDPM on 28x28 MNIST: classifier confidence of its samples",
             "value": conf.mean().item(), "real_digits": conf_real.mean().item(),
             "autoencoder_train_s": ae_s, "train_s": train_s, "sample_s": sample_s, "n": n,
             "total_s": ae_s + train_s + sample_s, "target": "total <= 180 s"}]


def run(profile):
    smoke = profile == "smoke"
    rows = digits_rows((0,) if smoke else (0, 1, 2), smoke)
    rows += summary(rows)
    if available("mnist", "test"):
        rows += mnist_rows(smoke)
    else:
        print("MNIST is not on disk (GMCOURSE_DATA or data/): its rows are left out")
    for r in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    return rows
