"""Chapter 05's claims about RealNVP and the digits Glow, at the chapter's own settings."""
import math

import torch

from gmcourse import data, recipes
from gmcourse.metrics import bits_per_dim, independent_pixel_nll


def test_affine_realnvp_blurs_the_checkerboard():
    """The chapter's affine flow stays more than 0.3 nats above the floor log 32."""
    board = data.toy("checkerboard")
    x = board.sample(20_000, generator=torch.Generator().manual_seed(123))
    flow = recipes.trained(recipes.AFFINE_CHECKERBOARD, profile="lecture")
    with torch.no_grad():
        assert -flow.log_prob(x).mean().item() > math.log(32) + 0.3


def test_digits_flow_beats_the_independent_pixel_baseline():
    x_train = data.load_images("digits", "train")
    x_test = data.load_images("digits", "test")
    torch.manual_seed(1)
    bpd = recipes.trained(recipes.GLOW_DIGITS, profile="lecture").bits_per_dim(x_test)
    assert bpd < bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64) - 0.3
