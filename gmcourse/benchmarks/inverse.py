"""Inverse problems and editing with chapter 07's digits DDPM (one trained model for all):
super-resolution, denoising, deblurring and inpainting against classical baselines, scored by
agreement of a real-digit classifier with the original digit's label and by PSNR (mean and
standard error over the test digits), and DDIM inversion's reconstruction error."""
from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F

from .. import diffusion_edit as E
from .. import recipes
from ..classifier import digit_classifier
from ..data import load_images


def _scores(x_hat, x, labels, clf) -> dict:
    agree = (clf.predict(x_hat.clamp(0, 1)) == labels).float()
    mse = ((x_hat.clamp(0, 1) - x) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    psnr = 10 * torch.log10(1 / mse)
    n = len(x)
    return {"agreement": agree.mean().item(), "agreement_se": agree.std().item() / math.sqrt(n),
            "psnr_db": psnr.mean().item(), "psnr_se": psnr.std().item() / math.sqrt(n)}


def tasks(x: torch.Tensor, sigma: float = 0.3, seed: int = 0) -> dict:
    """Each task: (operator A or None, measurement y, classical baseline's estimate)."""
    g = torch.Generator().manual_seed(seed)
    n, (C, H, W) = len(x), x.shape[1:]
    flat = x.flatten(1)
    down = E.downsample_operator(H, W, 2)
    y_sr = flat @ down.T
    low = y_sr.view(n, C, H // 2, W // 2)
    blur = E.blur_operator(H, W, 1.0)
    mask = torch.ones(H, W)
    mask[H // 2:] = 0  # the lower half is missing
    keep = E.mask_operator(mask)
    noisy = x + sigma * torch.randn(x.shape, generator=g)
    mean_image = load_images("digits", "train").mean(0, keepdim=True)
    return {
        "super-resolution 4x4 -> 8x8": (down, y_sr, F.interpolate(low, scale_factor=2, mode="bicubic",
                                                                  align_corners=False)),
        f"denoising, sigma = {sigma:g}": (None, noisy, (noisy.flatten(1) @ E.blur_operator(H, W, 0.8).T).view_as(x)),
        "deblurring, Gaussian blur std 1": (blur, flat @ blur.T,
                                            ((flat @ blur.T) @ E.pinv(blur, 5e-2).T).view_as(x)),
        "inpainting, lower half": (keep, flat @ keep.T, mask * x + (1 - mask) * mean_image),
    }


def run(profile):
    smoke = profile == "smoke"
    model = recipes.trained(recipes.DDPM_DIGITS, steps=30 if smoke else None, profile="lecture")
    clf = digit_classifier()
    x, labels = load_images("digits", "test", labels=True)
    if smoke:
        x, labels = x[:16], labels[:16]
    steps, sigma = (5 if smoke else 50), 0.3
    rows = []
    torch.manual_seed(0)
    for name, (A, y, baseline) in tasks(x, sigma).items():
        t0 = time.perf_counter()
        with torch.no_grad():
            x_hat = E.denoise(model, y, sigma, steps) if A is None else E.restore(model, y, A, steps)
        sec = time.perf_counter() - t0
        for method, est in (("diffusion", x_hat), ("classical", baseline)):
            s = _scores(est, x, labels, clf)
            rows.append({"metric": f"{name}: {method}, classifier agreement", "value": s["agreement"],
                         "se": s["agreement_se"], "psnr_db": s["psnr_db"], "psnr_se": s["psnr_se"],
                         "n": len(x), **({"seconds": sec} if method == "diffusion" else {})})
    original = _scores(x, x, labels, clf)["agreement"]
    rows.append({"metric": "the original test digits: classifier agreement", "value": original,
                 "n": len(x)})
    t0 = time.perf_counter()
    rec = E.decode(model, E.invert(model, x, steps, y=labels), steps, y=labels)
    rows.append({"metric": f"DDIM inversion + decoding at {steps} steps: MSE in [0, 1] units",
                 "value": ((rec - x) ** 2).mean().item(), "target": "< 0.01", "n": len(x),
                 "seconds": time.perf_counter() - t0})
    for r in rows:
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}, flush=True)
    return rows
