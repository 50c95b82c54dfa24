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

import torch

from .data import GaussianMixture


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


# ----------------------------------------------------------------------------------
# Likelihood conventions
# ----------------------------------------------------------------------------------

def bits_per_dim(nll_nats: float | torch.Tensor, num_dims: int):
    """Negative log-likelihood per example in nats -> bits per dimension."""
    return nll_nats / (num_dims * torch.log(torch.tensor(2.0)).item())


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
