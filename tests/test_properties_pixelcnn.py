"""The gated PixelCNN's gate and the chapter's power-law fit, against their definitions
at limits and on exact power laws."""
import pytest
import torch

from gmcourse.pixelcnn import gate, power_law_exponent


def test_gate_passes_tanh_f_when_open_and_nothing_when_closed():
    """y = tanh(f) sigmoid(g): g -> +inf lets tanh(f) through, g -> -inf closes the gate,
    g = 0 lets half through."""
    f = torch.randn(3, 4, 2, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)

    def out(g):
        return gate(torch.cat([f, torch.full_like(f, g)], 1))  # a = [f, g] on channels
    assert torch.allclose(out(40.0), torch.tanh(f), atol=1e-12)
    assert out(-40.0).abs().max() < 1e-12
    assert torch.allclose(out(0.0), torch.tanh(f) / 2)
    assert out(-3.0).abs().max() < out(3.0).abs().max()


@pytest.mark.parametrize("a,b", [(2.0, 3.0), (1.5, 0.2)])
def test_power_law_exponent_recovers_an_exact_power_law(a, b):
    x = [4, 8, 12, 16]
    assert power_law_exponent(x, [b * v ** a for v in x]) == pytest.approx(a, rel=1e-9)
