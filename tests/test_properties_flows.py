"""Flow properties that the Jacobian and inverse checks cannot see: what each stage's
density is, how a spline meets the identity at its bounds, the shape of the coupling
masks, and the cells of uniform dequantization."""
import pytest
import torch

from gmcourse.flows import ActNorm, Flow, realnvp_2d
from gmcourse.flows_image import DequantizedFlow, channel_mask, checkerboard_mask
from gmcourse.flows_spline import rq_spline


def _randomized(flow):
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn_like(p))
    for m in flow.modules():
        if isinstance(m, ActNorm):
            m.initialized.fill_(1)
    return flow.eval()


def test_stage_k_density_is_the_base_pushed_through_the_first_k_generative_steps():
    """log p_k(h_k) = log N(z) - sum_{j<k} log |det dh_{j+1}/dh_j| along h_0 = z, h_{j+1} =
    inverse of layer K-1-j, each step's log-det taken from that layer alone."""
    torch.manual_seed(0)
    flow = _randomized(realnvp_2d(layers=3, hidden=16).double())
    z = torch.randn(7, 2, dtype=torch.float64)
    log_p, h = Flow.base_log_prob(z), z
    K = len(flow.layers)
    for k in range(1, K + 1):
        h, ld = flow.layers[K - k].inverse(h)
        log_p = log_p - ld
        assert torch.allclose(flow.stage_log_prob(h, k), log_p, atol=1e-9), k


@pytest.mark.parametrize("bound", [1.5, 3.0])
def test_spline_meets_the_identity_with_slope_one_at_its_bounds(bound):
    """Raw boundary derivatives are fixed so that g'(+-bound) = 1: the density has no jump
    where the spline hands over to the identity."""
    g = torch.Generator().manual_seed(0)
    K, n = 6, 4
    w, h, d = (torch.randn(n, m, generator=g, dtype=torch.float64) for m in (K, K, K - 1))
    x = torch.tensor([-bound + 1e-9, bound - 1e-9], dtype=torch.float64).repeat(n // 2)
    _, log_grad = rq_spline(x, w, h, d, bound)
    assert log_grad.abs().max() < 1e-6


def test_checkerboard_mask_alternates_between_neighbours():
    for H, W in [(4, 4), (3, 6)]:
        m = checkerboard_mask(H, W)[0]
        assert (m[1:] != m[:-1]).all() and (m[:, 1:] != m[:, :-1]).all()
        assert torch.equal(checkerboard_mask(H, W, parity=1)[0], 1 - m)


@pytest.mark.parametrize("C", [2, 4, 6])
def test_channel_mask_keeps_exactly_half_of_the_channels(C):
    m = channel_mask(C)
    assert m.shape == (C, 1, 1) and m.sum() == C // 2
    assert torch.equal(channel_mask(C, parity=1), 1 - m)


def test_dequantized_level_k_fills_its_own_cell():
    """y = (k + u) / L lies in [k/L, (k+1)/L): the L cells tile [0, 1) once each."""
    L = 17
    flow = DequantizedFlow([], shape=(1, 1, 1), levels=L)
    x = (torch.arange(L).double() / (L - 1)).repeat(200).view(-1, 1, 1, 1)
    torch.manual_seed(0)
    y = flow.dequantize(x)
    k = torch.round(x * (L - 1))
    assert torch.equal(torch.floor(y * L), k)
