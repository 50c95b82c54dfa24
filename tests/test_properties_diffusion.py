"""DDPM's training times and RePaint's conditioning, checked by a spy network that records
what the process feeds it."""
import math

import torch
from torch import nn

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
