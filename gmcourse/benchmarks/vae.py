"""VAE: test ELBO and IWAE-100 on digits beside the independent-pixel baseline; VQ-VAE
codebook use; the latent-traversal widget's draw time.

    binarized digits, Bernoulli decoder (chapter 04's beta = 1 model)   nats per image
    17-level digits, discretized-logistic decoder (chapter 09's model)  bits per pixel
"""
import statistics

import matplotlib
import torch

from ..bench import timed
from ..config import pick
from ..data import load_images
from ..metrics import bits_per_dim, independent_pixel_nll
from .. import recipes
from ..vae import evaluate
from ..widgets import update_ms
from ..figures import draw_latent_traversal


def run(profile):
    def train(recipe):
        (model, _), sec = timed(lambda: recipes.train(
            recipe, steps=pick(smoke=100, lecture=None, profile=profile), profile=profile,
            progress=False))
        return model, sec, model_steps(recipe)

    def model_steps(recipe):
        return pick(smoke=100, lecture=recipe.config.train.steps, profile=profile)
    rows = []
    torch.manual_seed(0)

    # binarized digits: the lecture's likelihood convention for VAEs (as on binarized MNIST)
    xb, xb_test = (load_images("digits", s, binarize=True) for s in ("train", "test"))
    model, sec, n_steps = train(recipes.VAE_BETA)
    torch.manual_seed(0)
    res = evaluate(model, xb_test, k=100)
    base = independent_pixel_nll(xb, xb_test, levels=2)
    data = "binarized digits, nats/image"
    rows += [{"metric": "VAE d=16 test -ELBO", "data": data, "value": res["-ELBO"],
              "seconds": sec, "steps": n_steps},
             {"metric": "VAE d=16 test -IWAE-100 (NLL)", "data": data,
              "value": res["IWAE-100 NLL"]},
             {"metric": "independent-pixel baseline NLL", "data": data, "value": base},
             {"metric": "VAE beats baseline by (nats)", "data": data,
              "value": base - res["IWAE-100 NLL"]}]
    print(*(f"{r['metric']}: {r['value']:.2f}" for r in rows), sep="\n", flush=True)

    # 17-level grey digits: chapter 09's convention
    x, x_test = (load_images("digits", s) for s in ("train", "test"))
    model, sec, n_steps = train(recipes.VAE_DIGITS)
    torch.manual_seed(0)
    res = evaluate(model, x_test, k=100)
    base = bits_per_dim(independent_pixel_nll(x, x_test, levels=17), 64)
    data = "17-level digits, bits/pixel"
    rows += [{"metric": "VAE d=16 logistic decoder -ELBO", "data": data,
              "value": bits_per_dim(res["-ELBO"], 64), "seconds": sec, "steps": n_steps},
             {"metric": "VAE d=16 logistic decoder -IWAE-100", "data": data,
              "value": res["bits/dim"]},
             {"metric": "independent-pixel baseline", "data": data, "value": base}]
    print(*(f"{r['metric']}: {r['value']:.3f}" for r in rows[-3:]), sep="\n", flush=True)

    # VQ-VAE on grey digits
    vq, sec, n_steps = train(recipes.VQVAE_DIGITS)
    K = recipes.VQVAE_DIGITS.config.K
    mse = ((vq.reconstruct(x_test) - x_test) ** 2).mean().item()
    rows += [{"metric": "VQ-VAE test reconstruction MSE", "data": "grey digits", "value": mse,
              "seconds": sec, "steps": n_steps},
             {"metric": f"VQ-VAE perplexity (of K={K})", "data": "grey digits",
              "value": vq.perplexity(x_test)}]
    print(*(f"{r['metric']}: {r['value']:.4g}" for r in rows[-2:]), sep="\n", flush=True)

    # the latent-traversal widget: one draw on a trained 2D-latent VAE (short training:
    # the draw time does not depend on how well it is trained)
    matplotlib.use("Agg")
    vae2, _ = recipes.train(recipes.VAE_2D, steps=pick(smoke=20, lecture=200, profile=profile),
                            progress=False)
    y_test = load_images("digits", "test", labels=True)[1]
    with torch.no_grad():
        codes = vae2.encoder(xb_test).mu
    times, _ = update_ms(draw_latent_traversal,
                         [{"z1": 0.3 * i - 1, "z2": 0.5, "model": vae2, "codes": codes,
                           "labels": y_test} for i in range(7)], figsize=(9, 4))
    rows.append({"metric": "latent-traversal widget draw, median ms (target < 300)",
                 "value": statistics.median(times)})
    print(f"{rows[-1]['metric']}: {rows[-1]['value']:.0f}", flush=True)
    return rows
