"""The gated PixelCNN's gate at its limits, its sampler where pixels depend strongly on
the row above, and the chapter's power-law fit on exact power laws."""
import itertools

import pytest
import torch

from gmcourse.pixelcnn import BinaryPixels, gate, pixelcnn, power_law_exponent


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


def test_samples_follow_the_chain_rule_when_pixels_depend_strongly_on_the_row_above():
    """Frequencies of 2x2 binary samples against exp(log_prob) for a gated net whose
    weights (std 1) make pixel (1, 0) depend strongly on (0, 1): a sampler that draws
    (1, 0) before (0, 1) is off by a total variation of about 0.17 here."""
    torch.manual_seed(1)
    model = pixelcnn(BinaryPixels(), hidden=8, layers=2, first_kernel=3, shape=(1, 2, 2))
    for p in model.parameters():
        p.data.normal_(0, 1.0)
    x = torch.tensor(list(itertools.product([0.0, 1.0], repeat=4))).reshape(-1, 1, 2, 2)
    with torch.no_grad():
        p = model.log_prob(x).exp()
    torch.manual_seed(0)
    s = model.sample(20_000)
    codes = (s.flatten(1) * torch.tensor([8, 4, 2, 1])).sum(1).long()
    freq = torch.bincount(codes, minlength=16).float() / len(s)
    assert 0.5 * (freq - p).abs().sum() < 0.02
