"""Chapter 05's claims, at the chapter's own (lecture) settings."""
import math

import torch

from gmcourse import data
from gmcourse.flows import Flow2DConfig, fit_2d, realnvp_2d
from gmcourse.flows_image import digits_flow
from gmcourse.flows_spline import spline_flow_2d
from gmcourse.metrics import bits_per_dim, independent_pixel_nll


def trained_nll(name, build, cfg):
    dist = data.toy(name)
    x = dist.sample(20_000, generator=torch.Generator().manual_seed(123))
    torch.manual_seed(0)
    flow = build(cfg)
    fit_2d(flow, dist, cfg, progress=False)
    with torch.no_grad():
        return -flow.log_prob(x).mean().item(), -dist.log_prob(x.double()).mean().item()


def test_spline_flow_reaches_the_checkerboard_target_and_beats_affine():
    nll_spline, entropy = trained_nll("checkerboard", spline_flow_2d, Flow2DConfig())
    assert abs(entropy - math.log(32)) < 1e-6
    assert entropy < nll_spline <= 3.60
    affine = Flow2DConfig(layers=8, hidden=128, lr=2e-3)
    nll_affine, _ = trained_nll("checkerboard", realnvp_2d, affine)
    assert nll_affine > nll_spline + 0.1  # the affine flow's edges stay blurred


def test_spline_flow_comes_within_0_15_nats_of_ring8_entropy():
    assert data.ring8().stds[0] == 0.01
    nll, entropy = trained_nll("ring8", spline_flow_2d, Flow2DConfig())
    assert 0 < nll - entropy <= 0.15


def test_digits_flow_beats_the_independent_pixel_baseline():
    x_train = data.load_images("digits", "train")
    x_test = data.load_images("digits", "test")
    torch.manual_seed(1)
    bpd = digits_flow(seed=0).bits_per_dim(x_test)
    assert bpd < bits_per_dim(independent_pixel_nll(x_train, x_test, levels=17), 64) - 0.2
