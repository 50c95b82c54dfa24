"""Chapter 03's tuned WGAN-GP on three seeds at the chapter's (lecture) settings: the
acceptance of its recipe. A file of its own, the longest of the claim tests, so that the
test processes share the rest of the suite out while it runs."""
import pytest

from gmcourse import recipes as rec


@pytest.mark.parametrize("target", ["ring8", "grid25"])
def test_tuned_wgan_on_three_seeds(target):
    """Chapter 03: 8/8 and >= 24/25 modes, >= 75% high quality, every seed."""
    for seed in (0, 1, 2):
        cov = rec.train_wgan(rec.tuned_wgan(target, seed), progress=False)["coverage"]
        assert cov.modes >= cov.total - (target == "grid25")
        assert cov.high_quality >= 0.75
