"""The toy targets' geometry, as the papers define it."""
import math

import torch

from gmcourse.data import ring8


def test_ring8_modes_are_eight_equally_spaced_points_on_the_circle():
    means = ring8(radius=1.5).means
    assert torch.allclose(means.norm(dim=1), torch.full((8,), 1.5, dtype=torch.float64))
    angles = torch.atan2(means[:, 1], means[:, 0]).remainder(2 * math.pi).sort().values
    gaps = torch.diff(torch.cat([angles, angles[:1] + 2 * math.pi]))
    assert torch.allclose(gaps, torch.full((8,), 2 * math.pi / 8, dtype=torch.float64))
