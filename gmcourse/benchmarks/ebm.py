"""The energy-based model of chapter 08 (``recipes.EBM_RING``: contrastive divergence with
Langevin chains from a replay buffer), 3 seeds, each trained here from scratch: its
density normalised on a grid against the target, as KL(target || model) by quadrature,
beside the KL of the best single Gaussian (the target's mean and covariance). Target
(issue 20): the EBM's KL below the Gaussian's, on every seed."""
import statistics

import torch

from ..bench import show, timed
from .. import recipes
from ..ebm import gaussian_fit, grid_kl


def run(profile):
    smoke = profile == "smoke"
    target, box = recipes.ebm_target(), recipes.EBM_RING.config.box
    gauss = gaussian_fit(target.sample(100_000, torch.Generator().manual_seed(0)))
    kl_gauss = grid_kl(target.log_prob, gauss.log_prob, box)
    rows = []
    for seed in (0,) if smoke else (0, 1, 2):
        (model, _), seconds = timed(lambda: recipes.train(recipes.EBM_RING, seed, progress=False))
        kl = grid_kl(target.log_prob, lambda x: -model.E(x), box)
        rows.append(show({"metric": f"EBM, seed {seed}: KL(target || model), nats", "value": kl,
                          "kl_gaussian_fit": kl_gauss, "train_s": seconds}))
    kls = [r["value"] for r in rows]
    rows.append(show({"metric": "EBM: worst seed's KL against the Gaussian fit's",
                      "value": max(kls), "mean": statistics.mean(kls), "kl_gaussian_fit": kl_gauss,
                      "target": "< kl_gaussian_fit on every seed"}))
    return rows
