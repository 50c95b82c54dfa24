"""Chapters 02-03's claims at the chapters' own (lecture) settings: the plain GAN's losses,
the loss comparison, the best recipe (seed 0 on the grid of 25, 2,500 samples), the
paper-default WGANs against the tuned one."""
import math

import pytest

from gmcourse import gan_experiments as ex, recipes as rec
from gmcourse.train import linear_decay


def test_best_recipe_is_the_one_the_chapter_describes():
    b = rec.BEST
    assert (b.train.steps, rec.VANILLA.train.steps, b.r1, b.train.lr) == (7000, 3000, 0.03, 2e-3)
    assert b.train.schedule is linear_decay
    assert b.ema and b.drs and b.calibrate == 500 and b.loss == "ns" and b.train.betas[0] == 0.5


def test_best_recipe_covers_the_grid_with_80_percent_high_quality_samples():
    gan, target, _ = rec.train_toy_gan(rec.but(rec.BEST, target="grid25"), progress=False)
    raw = ex.coverage_of(gan, target)[0]
    drs = ex.coverage_of(gan, target, drs=True)[0]
    assert raw.modes == drs.modes == 25
    assert 0.8 <= raw.high_quality < drs.high_quality


@pytest.mark.parametrize("target", ["ring8", "grid25"])
def test_plain_gan_discriminator_is_not_at_chance(target):
    """Chapter 02, section 4: D's loss below 2 log 2, G's above log 2 (last 500 steps)."""
    _, _, hist = rec.train_toy_gan(rec.but(rec.VANILLA, target=target), progress=False)
    assert hist.last("d_loss", 500) < 2 * math.log(2)
    assert hist.last("g_loss", 500) > math.log(2)


def test_paper_default_wgans_fail_and_the_tuned_one_covers_the_ring():
    """Chapter 03, section 2: 1,500 generator steps each, seed 0."""
    steps = rec.TUNED_STEPS["ring8"]
    for m in ("clip", "gp", "sn"):
        assert rec.train_wgan(rec.paper_wgan(m, steps=steps), progress=False)[
            "coverage"].high_quality < 0.15
    cov = rec.train_wgan(rec.tuned_wgan("ring8"), progress=False)["coverage"]
    assert cov.modes == 8 and cov.high_quality > 0.75


def test_loss_comparison_claims():
    """Chapter 02, section 5: 3 seeds, 1,500 steps on the ring, each loss's own optimiser."""
    table = ex.loss_comparison(rec.LOSS_RECIPES, (0, 1, 2), 1500, progress=False)

    def modes(name):
        return [0 if r["diverged"] else r["coverage"].modes for r in table[name]]

    def hq(name):
        return sum(0 if r["diverged"] else r["coverage"].high_quality for r in table[name]) / 3

    assert max(modes("non-saturating")) == 8 and min(modes("non-saturating")) <= 4
    assert hq("LSGAN") == max(hq(name) for name in table)
    mean = {name: sum(modes(name)) / 3 for name in table}
    for f in ("f-GAN KL", "f-GAN reverse KL", "f-GAN Pearson"):
        assert mean[f] < min(mean[n] for n in ("non-saturating", "LSGAN", "hinge"))
