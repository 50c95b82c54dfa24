"""Chapter 05's claims about RealNVP and the digits Glow, at the chapter's own settings."""
import math

import torch

from gmcourse import data
from gmcourse.flows import Flow2DConfig, fit_2d, realnvp_2d
from gmcourse.flows_image import digits_flow
from gmcourse.metrics import bits_per_dim, independent_pixel_nll


def test_affine_realnvp_blurs_the_checkerboard():
    """The chapter's affine flow stays more than 0.3 nats above the floor log 32."""
    board = data.toy("checkerboard")
    x = board.sample(20_000, generator=torch.Generator().manual_seed(123))
    cfg = Flow2DConfig(layers=8, hidden=128, lr=2e-3)
    torch.manual_seed(0)
    flow = realnvp_2d(cfg)
    fit_2d(flow, board, cfg, progress=False)
    with torch.no_grad():
        assert -flow.log_prob(x).mean().item() > math.log(32) + 0.3


def test_digits_flow_beats_the_independent_pixel_baseline():
    x_train = data.load_images("digits", "train")
    x_test = data.load_images("digits", "test")
    torch.manual_seed(1)
    bpd = digits_flow(seed=0).bits_per_dim(x_test)
    assert bpd < bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64) - 0.3
