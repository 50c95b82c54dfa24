"""Chapter 09's claims about the metrics, at the chapter's settings."""
import math

import torch

from gmcourse.evaluation import fid_vs_sample_size, matched_moments, matched_moments_scores, noise_mixture_nll
from gmcourse.metrics import gaussian_stats


def test_fid_is_biased_upwards_for_small_samples():
    f = torch.randn(3000, 16, generator=torch.Generator().manual_seed(0))
    rows = fid_vs_sample_size(f[:1500], f[1500:], sizes=(50, 200, 800), repeats=3)
    fids = [r["fid"] for r in rows]
    assert fids[0] > 2 * fids[1] > 4 * fids[2] > 0  # same distribution, yet FID_50 >> FID_800


def test_fid_misses_what_its_gaussian_cannot_see():
    gauss, clusters = matched_moments()
    for x in (gauss, clusters):
        mu, S = gaussian_stats(x)
        assert mu.abs().max() < 0.06 and (S - torch.eye(2, dtype=S.dtype)).abs().max() < 0.06
    s = matched_moments_scores()
    assert s["fid_clusters"] < 0.02 and s["fid_gauss"] < 0.02
    assert s["recall_gauss"] > 0.95 and s["recall_clusters"] < 0.6


def test_noise_mixture_loses_at_most_log_100_nats():
    good = torch.tensor([20.0, 30.0, 40.0])
    noise = torch.tensor([400.0, 400.0, 400.0])
    mix = noise_mixture_nll(good, noise, w=0.01)
    assert torch.all(mix <= good + math.log(100) + 1e-9) and torch.all(mix >= good)
    assert torch.allclose(mix, good + math.log(100), atol=1e-6)
