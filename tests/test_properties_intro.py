"""Chapter 00's generator and its PCA count against exact answers."""
import pytest
import torch

from gmcourse.intro import AffineGenerator, dims_for_variance


def test_affine_samples_have_covariance_L_L_transpose():
    torch.manual_seed(0)
    g = AffineGenerator(2)
    with torch.no_grad():
        g.mu.normal_(), g.L_raw.normal_()
        x = g.sample(200_000)
    Sigma = g.L.detach() @ g.L.detach().T
    assert torch.allclose(x.mean(0), g.mu.detach(), atol=0.02)
    assert torch.allclose(torch.cov(x.T), Sigma, atol=0.02 * Sigma.abs().max().item())


@pytest.mark.parametrize("fraction,dims", [(0.3, 1), (0.6, 2), (0.79, 2), (0.85, 3), (0.99, 3)])
def test_dims_for_variance_counts_components_up_to_the_fraction(fraction, dims):
    """Orthogonal, centred columns with variance shares 0.5, 0.3, 0.2."""
    h = torch.tensor([[1.0, 1.0, 1.0], [1.0, -1.0, -1.0], [-1.0, 1.0, -1.0], [-1.0, -1.0, 1.0]])
    x = h * torch.tensor([0.5, 0.3, 0.2]).sqrt()
    assert dims_for_variance(x, fraction) == dims
