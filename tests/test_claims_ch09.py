"""Chapter 09's quantitative sentences outside the trilemma table, at the chapter's settings."""
import itertools
import math

import torch
from scipy.stats import norm

from gmcourse import data
from gmcourse.evaluation import memoriser_log_prob, noise_mixture_nll
from gmcourse.metrics import bits_per_dim, independent_pixel_nll


def test_memoriser_is_a_normalised_distribution_over_the_17_levels():
    """Summed over all 17^2 two-pixel images its probabilities add up to one, and each
    matches scipy's normal CDF for a one-image training set."""
    x_train = torch.randint(0, 17, (4, 1, 1, 2), generator=torch.Generator().manual_seed(0)) / 16
    grid = torch.tensor(list(itertools.product(range(17), repeat=2))).view(-1, 1, 1, 2) / 16
    total = memoriser_log_prob(x_train, grid, h=0.05).double().exp().sum()
    assert abs(total.item() - 1) < 1e-4
    one = x_train[:1]
    x = (one * 16 + torch.tensor([1.0, -1.0])).clamp(0, 16) / 16  # one level away, per pixel
    ref = 1.0
    for xi, ci in zip(x.flatten().tolist(), one.flatten().tolist()):
        lo = -math.inf if xi < 1e-6 else (xi - 1 / 32 - ci) / 0.05
        hi = math.inf if xi > 1 - 1e-6 else (xi + 1 / 32 - ci) / 0.05
        ref *= norm.cdf(hi) - norm.cdf(lo)
    assert abs(memoriser_log_prob(one, x, h=0.05).item() - math.log(ref)) < 1e-3


def test_memoriser_is_best_on_its_training_digits_and_ten_times_worse_than_independent_pixels_on_test():
    x_train, x_test = data.load_images("digits", "train"), data.load_images("digits", "test")
    train = bits_per_dim(-memoriser_log_prob(x_train, x_train).mean().item(), 64)
    test = bits_per_dim(-memoriser_log_prob(x_train, x_test).mean().item(), 64)
    indep = bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64)
    assert round(indep, 2) == 2.42 and round(train, 2) == 0.29 and round(test, 1) == 25.9
    assert test > 10 * indep


def test_independent_pixel_baselines_and_the_noise_mixture():
    xb_train = data.load_images("digits", "train", binarize=True)
    xb_test = data.load_images("digits", "test", binarize=True)
    nll_bin = independent_pixel_nll(xb_train, xb_test, levels=2)
    assert round(bits_per_dim(nll_bin, 64), 3) == 0.568
    p1 = xb_train.mean(0).clamp(1 / 1502, 1 - 1 / 1502)
    nll_p = -(xb_test * p1.log() + (1 - xb_test) * (1 - p1).log()).flatten(1).sum(1)
    nll_q = noise_mixture_nll(nll_p, torch.full_like(nll_p, 64 * math.log(2)), w=0.01)
    gap = (nll_q - nll_p).mean().item()
    assert gap <= math.log(100) and round(100 * gap / nll_p.mean().item()) == 18
    assert round(100 * math.log(100) / (3.0 * 3072 * math.log(2)), 2) == 0.07
