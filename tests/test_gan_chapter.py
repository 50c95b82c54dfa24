"""Chapter 02's claims about the best recipe (section 8), at the chapter's own (lecture)
settings: seed 0 on the grid of 25, 2,500 samples."""
from gmcourse import gan_experiments as ex, gan_recipes as rec
from gmcourse.train import linear_decay


def test_best_recipe_is_the_one_the_chapter_describes():
    b = rec.BEST
    assert (b.train.steps, rec.VANILLA.train.steps, b.r1, b.train.lr) == (7000, 3000, 0.03, 2e-3)
    assert b.train.schedule is linear_decay
    assert b.ema and b.drs and b.calibrate == 500 and b.loss == "ns" and b.train.betas[0] == 0.5


def test_best_recipe_covers_the_grid_with_80_percent_high_quality_samples():
    gan, target, _ = rec.train_toy_gan(rec.recipe(rec.BEST, target="grid25"), progress=False)
    raw = ex.coverage_of(gan, target)[0]
    drs = ex.coverage_of(gan, target, drs=True)[0]
    assert raw.modes == drs.modes == 25
    assert 0.8 <= raw.high_quality < drs.high_quality
