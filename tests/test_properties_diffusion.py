"""DDPM's training times and RePaint's conditioning, checked by a spy network that records
what the process feeds it; the variational bound's discrete decoder and sampled steps."""
import math

import pytest
import torch
from torch import nn

from gmcourse import diffusion_vlb as vlb
from gmcourse.diffusion import DDPM, linear_beta


class Spy(nn.Module):
    """eps_theta = 0, remembering every (x_t, t) it is called with."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, xt, t):
        self.calls.append((xt.detach().clone(), t.detach().clone()))
        return torch.zeros_like(xt)


def test_training_draws_every_timestep_from_1_to_T():
    spy, T = Spy(), 10
    model = DDPM(spy, linear_beta(T))
    torch.manual_seed(0)
    model.loss(torch.randn(20_000, 2))
    t = spy.calls[0][1]
    counts = torch.bincount(t, minlength=T + 1)
    assert counts[0] == 0 and (counts[1:] > 0.08 * len(t)).all()  # about 1/T each, both ends


def test_inpainting_feeds_the_known_pixels_as_a_draw_of_q_xt_given_x0():
    """RePaint's step: the known coordinate entering step t has the law of q(x_t | x_0) =
    N(sqrt(alpha_bar_t) x_0, 1 - alpha_bar_t), with alpha_bar from the schedule itself."""
    spy, T, n = Spy(), 50, 20_000
    beta = linear_beta(T)
    model = DDPM(spy, beta)
    x0 = torch.tensor([1.5, -0.5]).expand(n, 2)
    torch.manual_seed(0)
    model.inpaint(x0, torch.tensor([1.0, 0.0]))
    alpha_bar = torch.cumprod(1 - beta, 0)  # alpha_bar[t - 1] is alpha_bar_t
    by_t = {int(t[0]): x for x, t in spy.calls}
    for t in (2, 10, 30):
        known = by_t[t][:, 0].double()
        ab = alpha_bar[t - 1].item()
        assert abs(known.mean().item() - math.sqrt(ab) * 1.5) < 4 * math.sqrt((1 - ab) / n), t
        assert abs(known.var().item() / (1 - ab) - 1) < 0.05, t


class _PredictsX0(nn.Module):
    """eps_theta(x_t, t) whose implied x0_hat = (x_t - sqrt(1 - ab) eps) / sqrt(ab) is c."""

    def __init__(self, c):
        super().__init__()
        self.c, self.ddpm = c, None

    def forward(self, xt, t):
        ab = self.ddpm.alpha_bar[t].view(-1, *[1] * (xt.dim() - 1))
        return (xt - ab.sqrt() * self.c) / (1 - ab).sqrt()


def test_discrete_decoder_masses_of_the_levels_sum_to_one():
    """L_dec = -log P(bin of x0) under N(x0_hat, beta_1): with x0_hat fixed at 0.1,
    exp(-L_dec) over the 17 levels of [-1, 1] sums to 1, the edge bins open (Ho et al. Eq. 13)."""
    net = _PredictsX0(0.1)
    model = DDPM(net, linear_beta(10))  # beta_1 = 0.01: the decoder spreads over levels
    net.ddpm = model
    levels = torch.linspace(-1, 1, 17).view(17, 1)
    torch.manual_seed(0)
    mass = (-vlb.bound_terms(model, levels, 1, levels=17)).exp()
    assert mass.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert mass.max() < 0.5  # spread over several bins, so the bins' widths matter


@pytest.mark.parametrize("t0", [1, 4])
def test_sampled_steps_stand_for_every_middle_term(t0, monkeypatch):
    """With every middle term L_{t-1}, t0 < t <= T, equal to 1 and the end terms 0, the
    bound is T - t0 exactly, however many steps are kept exactly and how the rest are drawn."""
    T = 100
    model = DDPM(nn.Identity(), linear_beta(T))

    def one_per_middle_step(model, x0, t, y=None, levels=None, variance="beta", t0=1):
        return torch.ones(len(x0)) if t0 < t <= T else torch.zeros(len(x0))
    monkeypatch.setattr(vlb, "bound_terms", one_per_middle_step)
    bound = vlb.nll_bound(model, torch.zeros(4, 2), t0=t0, t_samples=7, head=10,
                          generator=torch.Generator().manual_seed(0))
    assert torch.allclose(bound, torch.full((4,), T - float(t0), dtype=torch.float64))
