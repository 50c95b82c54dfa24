"""Flow matching's regression pairs: what the network is shown, checked by a spy."""
import torch
from torch import nn

from gmcourse import flow_matching as fm


class Spy(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.seen = []

    def forward(self, x, t):
        self.seen.append((x.detach().clone(), t.detach().clone()))
        return x * self.w


def test_linear_path_shows_the_network_points_on_the_segment_from_x0_to_x1():
    """x_t = (1 - t) x0 + t x1: the source at t = 0, the data at t = 1 (the network sees
    t times the time scale)."""
    spy = Spy()
    model = fm.FlowMatching(spy, time_scale=1000.0)
    g = torch.Generator().manual_seed(0)
    x0, x1 = torch.randn(256, 2, generator=g), 3 + torch.randn(256, 2, generator=g)
    torch.manual_seed(1)
    model.pair_loss(x0, x1)
    xt, t = spy.seen[0]
    t = (t / 1000.0)[:, None]
    assert torch.allclose(xt, (1 - t) * x0 + t * x1, atol=1e-5)
