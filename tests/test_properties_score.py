"""Langevin, Tweedie and NCSN's scalings at noise levels other than 1."""
import pytest
import torch

from gmcourse.score import NCSN, annealed_langevin, geometric_sigmas


def test_denoising_step_is_the_posterior_mean_at_sigma_one_half():
    """x = x_0 + sigma z with x_0 ~ N(0, I): the score of x is -x / (1 + sigma^2) and
    E[x_0 | x] = x / (1 + sigma^2), which Tweedie's x + sigma^2 s(x) must return."""
    sigma = 0.5
    x = torch.randn(10, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = annealed_langevin(lambda y, s: -y / (1 + s ** 2), x, [sigma], eps=0.1,
                            steps_each=0, denoise=True)
    assert torch.allclose(out, x / (1 + sigma ** 2), atol=1e-12)


def test_annealed_step_sizes_scale_with_sigma_squared():
    """With a zero score Langevin is a random walk: after m steps of size alpha the variance
    grows by m alpha. Level i uses alpha_i = eps sigma_i^2 / sigma_L^2."""
    sigmas, eps, m, n = [2.0, 0.5], 1e-3, 50, 40_000
    path = []
    annealed_langevin(lambda y, s: torch.zeros_like(y), torch.zeros(n, 2, dtype=torch.float64),
                      sigmas, eps, m, torch.Generator().manual_seed(0), path)
    alpha = [eps * s ** 2 / sigmas[-1] ** 2 for s in sigmas]
    assert path[m - 1].var().item() == pytest.approx(m * alpha[0], rel=0.03)
    assert path[-1].var().item() == pytest.approx(m * (alpha[0] + alpha[1]), rel=0.03)


class _Recorder(torch.nn.Module):
    def forward(self, x, log_sigma):
        self.seen = x.detach()
        return torch.zeros_like(x)


@pytest.mark.parametrize("sigma", [0.05, 0.5, 5.0])
def test_network_inputs_have_unit_scale_at_every_noise_level(sigma):
    """c_in = 1 / sqrt(sigma^2 + sigma_data^2) (Karras et al. 2022) with sigma_data = 0.4:
    data of that spread, noised by sigma, reaches the network with unit variance."""
    net = _Recorder()
    model = NCSN(net, geometric_sigmas(5.0, 0.05, 4), sigma_data=0.4)
    g = torch.Generator().manual_seed(0)
    x = 0.4 * torch.randn(50_000, 2, generator=g) + sigma * torch.randn(50_000, 2, generator=g)
    model.score(x, sigma)
    assert net.seen.std().item() == pytest.approx(1.0, rel=0.02)


def test_sampling_starts_from_the_widest_noise_level():
    """Annealed Langevin starts at x ~ N(0, sigma_1^2 I), sigma_1 the largest level."""
    model = NCSN(_Recorder(), geometric_sigmas(5.0, 0.1, 3), steps_each=0)
    x = model.sample(20_000, generator=torch.Generator().manual_seed(0), denoise=False)
    assert x.std().item() == pytest.approx(5.0, rel=0.02)
