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


def test_scores_on_reference_sets_at_chapter_settings():
    from gmcourse.classifier import digit_classifier
    from gmcourse.data import load_images
    from gmcourse.evaluation import reference_sample_sets
    from gmcourse.metrics import classifier_scores
    x_train, y_train = load_images("digits", "train", labels=True)
    x_test = load_images("digits", "test")
    clf = digit_classifier()
    s = {k: classifier_scores(x_test, x, clf)
         for k, x in reference_sample_sets(x_train, y_train, len(x_test)).items()}
    real, mem = s["real digits (train split)"], s["memorised: train copies + noise"]
    col, ind = s["collapsed: only 0, 1, 2"], s["independent-pixel samples"]
    # copies score like real data
    assert abs(mem["fid"] - real["fid"]) < 0.5 * real["fid"] and mem["recall"] > 0.8
    # collapse: good precision, poor recall, IS near 3 classes
    assert col["precision"] > 0.85 and col["recall"] < 0.5 and col["is"] < 3.5 < real["is"]
    assert col["fid"] > 5 * real["fid"] and ind["fid"] > 5 * real["fid"]
    assert ind["precision"] < 0.7
