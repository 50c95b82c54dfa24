"""Chapter 08's new quantitative sentences, at the chapter's own settings."""
import math

import torch

from gmcourse import recipes, score as S
from gmcourse.data import load_images
from gmcourse.metrics import total_variation


def test_total_variation_against_a_loop():
    x = torch.rand(3, 1, 4, 5, generator=torch.Generator().manual_seed(0))
    ref = torch.zeros(3)
    for n in range(3):
        for i in range(4):
            for j in range(5):
                if j + 1 < 5:
                    ref[n] += abs(x[n, 0, i, j + 1] - x[n, 0, i, j])
                if i + 1 < 4:
                    ref[n] += abs(x[n, 0, i + 1, j] - x[n, 0, i, j])
    assert torch.allclose(total_variation(x), ref, atol=1e-5)


def test_density_between_the_two_modes_is_about_e_minus_25_of_the_peak():
    p = S.two_modes()
    gap = p.log_prob(torch.tensor([[0.0, 0.0], [5.0, 5.0]], dtype=torch.float64))
    assert abs((gap[0] - gap[1]).item() + 25) < 1


def test_annealed_samples_are_too_wide_and_tweedies_are_too_narrow():
    """Figure 3's settings: annealing stops at sigma_L = 1, so the large mode's samples
    have std sqrt(1 + sigma_L^2) = 1.41; Tweedie's step gives 1 / sqrt(1 + sigma_L^2)."""
    cfg = S.Fig3Config()
    two = S.two_modes()
    runs = S.fig3(cfg, seed=0)
    runs["tweedie"] = runs["annealed"] + cfg.sigma_min ** 2 * S.MixtureScore(two)(
        runs["annealed"], cfg.sigma_min)
    std = {k: v[two.component(v) == 1].std(0).mean().item() for k, v in runs.items()}
    wide = math.sqrt(1 + cfg.sigma_min ** 2)
    assert abs(std["exact"] - 1) < 0.05 and abs(std["plain"] - 1) < 0.05
    assert abs(std["annealed"] - wide) < 0.05
    assert abs(std["tweedie"] - 1 / wide) < 0.03


def test_two_of_a_hundred_digit_chains_diverge_to_salt_and_pepper():
    model = recipes.trained(recipes.NCSN_DIGITS, profile="lecture")  # the chapter's checkpoint
    x = model.sample(100, generator=torch.Generator().manual_seed(1))
    tv_max = total_variation(load_images("digits", "train")).max()
    rough = total_variation(x) > tv_max
    assert int(rough.sum()) == 2
    diverged = x[rough]
    assert ((diverged == 0) | (diverged == 1)).float().mean() > 0.95  # clamped: black or white
