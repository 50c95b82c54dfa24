"""Distribution means against independent references, over a batch of several examples."""
import torch

from gmcourse.dists import Categorical


def test_categorical_mean_is_the_expected_grey_level_of_each_example():
    L = 5
    k = torch.tensor([0, 3, 4])
    point_masses = Categorical(50.0 * torch.nn.functional.one_hot(k, L).double())
    assert torch.allclose(point_masses.mean, k.double() / (L - 1), atol=1e-12)
    logits = torch.randn(3, L, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    torch.manual_seed(0)
    draws = Categorical(logits).sample((100_000,))  # (n, 3)
    assert torch.allclose(Categorical(logits).mean, draws.mean(0), atol=0.01)
