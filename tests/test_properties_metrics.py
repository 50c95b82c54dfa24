"""Improved precision and recall on points whose neighbours are known by hand."""
import pytest
import torch

from gmcourse.metrics import precision_recall


def test_precision_recall_radii_reach_the_kth_other_point():
    """Real points 0, 1, ..., 9 on a line: with k = 1 each real ball has radius 1. Fakes at
    0.5, 4.5, 6: all inside the real support (precision 1). Their own radii are 4, 1.5, 1.5,
    whose balls cover the real points 0..7 (recall 0.8)."""
    real = torch.arange(10.0, dtype=torch.float64)[:, None]
    fake = torch.tensor([[0.5], [4.5], [6.0]], dtype=torch.float64)
    precision, recall = precision_recall(real, fake, k=1)
    assert precision == 1.0 and recall == pytest.approx(0.8)
