"""Metrics for generated samples.

2D part: mode coverage on Gaussian-mixture targets, as in the VEEGAN and PacGAN
evaluations. A sample is *high quality* when it lies within 3 standard deviations of
its nearest mode; a mode is *captured* when at least one high-quality sample lands on
it; the reverse KL compares the histogram of high-quality samples over modes with the
target's weights. PacGAN reports these over 2,500 samples. Note that in 2D even exact
samples are high quality only 1 - exp(-9/2) = 98.9% of the time.
"""
from __future__ import annotations

from dataclasses import dataclass

import math
import time

import torch

from .classifier import digit_classifier
from .data import GaussianMixture
from .dists import bits_per_dim  # noqa: F401  (re-exported: the likelihood unit of the baselines)
from .divergences import mmd2, wasserstein
from .gan import truncated_latents


@dataclass
class ModeCoverage:
    modes: int            # modes captured
    total: int            # modes in the target
    high_quality: float   # fraction of samples within 3 std of a mode
    reverse_kl: float     # KL(sample mode histogram || target weights), nats
    weights: torch.Tensor  # (K,) fraction of high-quality samples per mode

    def weight_error(self, target: GaussianMixture) -> float:
        """Largest absolute error of a mode's weight, max_k |w_hat_k - w_k|."""
        return (self.weights - target.weights.float()).abs().max().item()

    def __str__(self):
        if self.modes == 0:  # no high-quality sample: no histogram to compare
            return f"0/{self.total} modes, no high-quality samples"
        return (f"{self.modes}/{self.total} modes, {100 * self.high_quality:.1f}% "
                f"high quality, reverse KL {self.reverse_kl:.3f}")


def mode_coverage(x: torch.Tensor, target: GaussianMixture, n_std: float = 3.0,
                  min_count: int = 1) -> ModeCoverage:
    """Coverage statistics of samples ``x`` (n, 2) for a mixture ``target``."""
    x = x.detach().double().cpu()
    d = torch.cdist(x, target.means)  # (n, K)
    dist, k = d.min(-1)
    good = dist <= n_std * target.stds[k]
    counts = torch.bincount(k[good], minlength=len(target.means)).double()
    weights = counts / counts.sum().clamp_min(1)
    p = weights.clamp_min(1e-12)
    rkl = (weights * (p.log() - target.weights.log())).sum().item()
    return ModeCoverage(modes=int((counts >= min_count).sum()), total=len(target.means),
                        high_quality=good.double().mean().item(), reverse_kl=rkl,
                        weights=weights.float())


def mode_spread(x: torch.Tensor, target: GaussianMixture) -> float:
    """How spread samples are around their nearest mode, relative to the data: the median
    of |x - mu_k|^2 / (2 sigma_k^2) over samples, divided by ln 2, its median for exact
    samples (for a 2D Gaussian it is Exp(1)-distributed). 1: as spread as the data; below
    1: modes tighter than the data, which the high-quality share rewards."""
    x = x.detach().double().cpu()
    dist, k = torch.cdist(x, target.means.double()).min(-1)
    return ((dist ** 2 / (2 * target.stds.double()[k] ** 2)).median() / math.log(2)).item()


# ----------------------------------------------------------------------------------
# Likelihood conventions
# ----------------------------------------------------------------------------------



def independent_pixel_nll(train: torch.Tensor, test: torch.Tensor, levels: int = 2,
                          alpha: float = 1.0) -> float:
    """Test NLL (nats per image) of the best model that treats pixels as independent.

    Each pixel gets its own categorical over ``levels`` values (2: binary images;
    256: 8-bit images in [0, 1]), estimated from ``train`` with add-``alpha`` smoothing.
    The baseline every image model of the course must beat.
    """
    def codes(x):
        return torch.round(x.reshape(len(x), -1) * (levels - 1)).long()  # (N, D)

    c_train, c_test = codes(train), codes(test)
    D = c_train.shape[1]
    counts = torch.zeros(D, levels).scatter_add_(
        1, c_train.T, torch.ones_like(c_train.T, dtype=torch.float))  # (D, levels)
    log_p = (counts + alpha).log() - (counts.sum(1, keepdim=True) + alpha * levels).log()
    return -log_p.gather(1, c_test.T).sum(0).mean().item()


# ----------------------------------------------------------------------------------
# Sample quality of images: features of a local classifier (nothing is downloaded)
# ----------------------------------------------------------------------------------
# Symbols: f(x) features of a classifier trained on real digits; (mu_r, S_r) and
# (mu_g, S_g) the feature means and covariances of real and generated images;
# p(y|x) the classifier's class probabilities; p(y) = E_x p(y|x) their marginal.

def frechet_distance(mu1, S1, mu2, S2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^{1/2}), the Frechet distance of two Gaussians.

    Tr (S1 S2)^{1/2} = Tr (S1^{1/2} S2 S1^{1/2})^{1/2}: the inner matrix is symmetric
    positive semi-definite, so both roots come from eigendecompositions (no complex
    round-off as with a general matrix square root).
    """
    mu1, S1, mu2, S2 = (torch.as_tensor(a, dtype=torch.float64) for a in (mu1, S1, mu2, S2))

    def psd_sqrt(S):
        w, V = torch.linalg.eigh((S + S.T) / 2)
        return (V * w.clamp_min(0).sqrt()) @ V.T

    r1 = psd_sqrt(S1)
    tr_covmean = torch.linalg.eigvalsh(r1 @ S2 @ r1).clamp_min(0).sqrt().sum()
    return ((mu1 - mu2).pow(2).sum() + S1.trace() + S2.trace() - 2 * tr_covmean).item()


def gaussian_stats(features: torch.Tensor):
    """Mean (d,) and covariance (d, d) of features (n, d), in float64."""
    f = features.detach().double().cpu()
    return f.mean(0), torch.atleast_2d(torch.cov(f.T))


def fid(real_features: torch.Tensor, fake_features: torch.Tensor) -> float:
    """Frechet distance between Gaussians fitted to two feature sets (n, d), (m, d)."""
    return frechet_distance(*gaussian_stats(real_features), *gaussian_stats(fake_features))


def inception_score(probs: torch.Tensor) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for class probabilities (n, classes).

    1 when every sample gets the same prediction; the number of classes for
    confident predictions spread evenly over the classes.
    """
    p = probs.double().clamp_min(1e-12)
    p_y = p.mean(0, keepdim=True)
    return (p * (p.log() - p_y.log())).sum(1).mean().exp().item()


def _knn_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    d = torch.cdist(x, x)
    return d.kthvalue(k + 1, dim=1).values  # k+1: the point itself is at distance 0


def precision_recall(real: torch.Tensor, fake: torch.Tensor, k: int = 3) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019) on features (n, d), (m, d).

    The support of each set is the union of balls around its points reaching their k-th
    nearest neighbour. Precision: fraction of fake points inside the real support
    (fidelity). Recall: fraction of real points inside the fake support (diversity).
    """
    real, fake = real.detach().double().cpu(), fake.detach().double().cpu()
    r_real, r_fake = _knn_radius(real, k), _knn_radius(fake, k)
    d = torch.cdist(fake, real)  # (m, n)
    precision = (d <= r_real[None]).any(1).double().mean().item()
    recall = (d.T <= r_fake[None]).any(1).double().mean().item()
    return precision, recall


def samples_per_second(sample, n: int = 64, repeats: int = 1) -> float:
    """Throughput of ``sample(n)``: generated examples per second (best of ``repeats``)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        with torch.no_grad():
            sample(n)
        best = min(best, time.perf_counter() - t0)
    return n / best


def classifier_scores(x_real: torch.Tensor, x_fake: torch.Tensor, classifier=None) -> dict:
    """FID, IS, precision and recall of images, in the feature space of a local classifier.

    The classifier is ``gmcourse.classifier.digit_classifier()`` (trained on real digits)
    unless given: this is "FID with a local classifier", not the Inception-v3 FID of the
    literature, so its values compare only with each other.
    """
    if classifier is None:
        classifier = digit_classifier()  # trains once: outside no_grad
    with torch.no_grad():
        f_real, f_fake = classifier.features(x_real), classifier.features(x_fake)
        probs = torch.softmax(classifier.head(f_fake), -1)
    precision, recall = precision_recall(f_real, f_fake)
    return {"fid": fid(f_real, f_fake), "is": inception_score(probs),
            "precision": precision, "recall": recall}


def conditional_scores(model, x_real: torch.Tensor, classifier=None, n: int = 1000) -> dict:
    """A class-conditional generator scored as chapter 03 and ``bench gan`` score it: the
    share of n samples (labels 0..9 in turn, torch seed 0) the classifier reads as the class
    asked for, then ``classifier_scores`` of len(x_real) samples (torch seed 1)."""
    classifier = classifier or digit_classifier()
    y = torch.arange(n) % model.n_classes
    torch.manual_seed(0)
    acc = classifier.accuracy(model.sample(n, y), y)
    torch.manual_seed(1)
    x = model.sample(len(x_real), torch.arange(len(x_real)) % model.n_classes)
    return {"classified as requested": acc, **classifier_scores(x_real, x, classifier)}


def truncation_curve(gan, x_real: torch.Tensor, thresholds, draws: int = 3,
                     classifier=None) -> list[dict]:
    """Precision and recall (``classifier_scores``) of a GAN's images at each truncation
    threshold (``gan.truncated_latents``), each the mean over ``draws`` draws of len(x_real)
    samples (latent seeds 0 .. draws - 1); a conditional GAN gets the labels in turn."""
    classifier = classifier or digit_classifier()
    n, rows = len(x_real), []
    y = None if gan.n_classes is None else torch.arange(n) % gan.n_classes
    for thr in thresholds:
        s = [classifier_scores(x_real, gan.sample(n, y, truncated_latents(
            n, gan.latent_dim, thr, torch.Generator().manual_seed(seed))).float().clamp(0, 1),
            classifier) for seed in range(draws)]
        rows.append({"threshold": thr, **{k: sum(d[k] for d in s) / draws
                                          for k in ("precision", "recall", "fid")}})
    return rows


# --- GAN (chapters 02-03): distances of 2D samples to their target -------------------

def sample_divergences(x: torch.Tensor, target, n: int = 1000, bandwidth: float = 0.2,
                       seed: int = 0) -> dict:
    """W1 (exact optimal transport) and MMD^2 between n samples of ``x`` and of ``target``.

    The sample-based distances of chapter 01 (``gmcourse.divergences``): unlike mode
    coverage they also see wrong weights and spread; MMD^2 uses a Gaussian kernel of
    width ``bandwidth``, about the grid's mode spacing / 10.
    """
    y = target.sample(n, generator=torch.Generator().manual_seed(seed))
    x = x[:n].detach().float().cpu()
    return {"w1": wasserstein(x, y), "mmd2": mmd2(x, y, bandwidth=bandwidth)}


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Sum of absolute differences between horizontally and vertically adjacent pixels of
    images (N, C, H, W): (N,). Salt-and-pepper noise scores far above any real digit."""
    return ((x[..., :, 1:] - x[..., :, :-1]).abs().flatten(1).sum(1)
            + (x[..., 1:, :] - x[..., :-1, :]).abs().flatten(1).sum(1))
