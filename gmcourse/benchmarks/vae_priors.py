"""Prior holes (chapter 04): the gap KL(p(z) || q(z)) between the prior and the aggregate
posterior of the 2D-latent VAE on binarized digits, the share of prior samples in holes,
and the test ELBO, for the standard N(0, I) prior and the learned mixture prior; 3 seeds,
each model trained from scratch, mean and spread printed.
"""
import statistics

import torch

from ..bench import show
from .. import recipes
from ..data import load_images
from ..vae_priors import prior_gap


def run(profile):
    smoke = profile == "smoke"
    seeds = (0,) if smoke else (0, 1, 2)
    x_train = load_images("digits", "train", binarize=True)
    x_test = load_images("digits", "test", binarize=True)
    rows = []
    for name, recipe in [("N(0, I) prior", recipes.VAE_2D),
                         ("mixture prior", recipes.VAE_2D_MIXTURE)]:
        values = {"KL(p || q), nats": [], "share of prior samples in holes": [],
                  "test ELBO, nats": [], "test IWAE-100, nats": []}
        for seed in seeds:
            model, history = recipes.train(recipe, seed=seed, steps=150 if smoke else None,
                                           progress=False)
            gap = prior_gap(model, x_train, seed=seed)
            torch.manual_seed(seed)
            with torch.no_grad():
                elbo = model.elbo(x_test).mean().item()
            values["KL(p || q), nats"].append(gap["kl"])
            values["share of prior samples in holes"].append(gap["hole_share"])
            values["test ELBO, nats"].append(elbo)
            values["test IWAE-100, nats"].append(model.iwae(x_test, 100).mean().item())
            show({"metric": f"{name}, seed {seed}: KL(p || q)", "value": gap["kl"],
                   "holes": gap["hole_share"], "ELBO": elbo, "seconds": history.seconds})
        for metric, v in values.items():
            rows.append(show({"metric": f"{name}: {metric}", "value": statistics.mean(v),
                               "spread (std)": statistics.stdev(v) if len(v) > 1 else 0.0,
                               "seeds": len(v)}))
    return rows
