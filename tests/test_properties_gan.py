"""GAN objectives and samplers at non-special values: the weight of the R1 penalty in D's
loss, the direction in which each player's loss moves D's outputs, and the shift gamma of
discriminator rejection sampling."""
import pytest
import torch
from torch import nn

from gmcourse.gan import (FGAN, GAN, R1, Hinge, LeastSquares, Minimax, NonSaturating,
                          Wasserstein, rejection_sample)


def _linear_gan(r1: float) -> GAN:
    torch.manual_seed(0)  # the same G and D whatever r1 is
    return GAN(nn.Linear(2, 2), nn.Linear(2, 1), NonSaturating(), latent_dim=2,
               penalty=R1(r1) if r1 else None)


@pytest.mark.parametrize("gamma", [0.5, 3.0])
def test_r1_penalty_enters_d_loss_with_weight_gamma_over_two(gamma):
    """d(x) = w.x + b has grad_x d = w at every x, so R1 is |w|^2 and D's loss with weight
    gamma exceeds the plain loss on the same batch and fakes by gamma/2 |w|^2 (Mescheder
    et al. 2018, Eq. 9); its gradient in w is gamma w."""
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(1))
    with_r1, plain = _linear_gan(gamma), _linear_gan(0.0)
    torch.manual_seed(2)
    loss = with_r1.d_loss(x)
    torch.manual_seed(2)
    base = plain.d_loss(x)
    w = with_r1.D.weight
    assert (loss - base).item() == pytest.approx(gamma / 2 * w.pow(2).sum().item(), rel=1e-5)
    (g_r1,) = torch.autograd.grad(loss, w)
    (g_plain,) = torch.autograd.grad(base, plain.D.weight)
    assert torch.allclose(g_r1 - g_plain, gamma * w.detach(), atol=1e-6)


OBJECTIVES = {"minimax": Minimax(), "non-saturating": NonSaturating(),
              "least squares": LeastSquares(), "hinge": Hinge(), "wasserstein": Wasserstein(),
              "f-GAN KL": FGAN("kl"), "f-GAN JS": FGAN("js")}


@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_each_player_gains_when_d_rates_its_side_higher(name):
    """D's loss falls as D rates real data higher and fakes lower; G's loss falls as D
    rates the fakes higher. Outputs inside every loss's active region (hinge margin, LSGAN
    targets 0 and 1), none at 0 or 1."""
    loss = OBJECTIVES[name]
    d_real = torch.tensor([-0.6, 0.2, 0.7], dtype=torch.float64, requires_grad=True)
    d_fake = torch.tensor([0.1, 0.4, 0.8], dtype=torch.float64, requires_grad=True)
    g_real, g_fake = torch.autograd.grad(loss.d_loss(d_real, d_fake), (d_real, d_fake))
    assert (g_real < 0).all() and (g_fake > 0).all()
    (g_gen,) = torch.autograd.grad(loss.g_loss(d_fake), d_fake)
    assert (g_gen < 0).all()


def test_least_squares_generator_targets_the_real_label():
    """LSGAN with (a, b, c) = (0, 1, 1): G's loss 1/2 E (D(G(z)) - 1)^2 is 0 at D = 1."""
    ls = LeastSquares()
    assert ls.g_loss(torch.ones(5)).item() == 0
    d = torch.tensor([-1.5, 0.3, 2.0])
    assert ls.g_loss(d).item() == pytest.approx(0.5 * (2.5 ** 2 + 0.7 ** 2 + 1.0) / 3)


class _LogRatio(nn.Module):
    """The exact log p / p_g for p = N(1, 0.5^2), p_g = N(0, 1): what a perfect D outputs."""

    def forward(self, x):
        p, p_g = torch.distributions.Normal(1.0, 0.5), torch.distributions.Normal(0.0, 1.0)
        return (p.log_prob(x) - p_g.log_prob(x)).squeeze(-1)


def test_rejection_sampling_accepts_more_as_gamma_falls():
    """Azadi et al.'s shift: gamma < 0 accepts more proposals, gamma > 0 fewer, and a very
    negative gamma accepts almost every proposal."""
    G = nn.Linear(1, 1)
    with torch.no_grad():
        G.weight.fill_(1.0), G.bias.zero_()
    gan = GAN(G, _LogRatio(), latent_dim=1)
    rates = {}
    for gamma in (-20.0, -2.0, 0.0, 2.0):
        torch.manual_seed(0)
        rates[gamma] = rejection_sample(gan, 10, gamma=gamma, batch=20_000, max_rounds=1)[1]
    assert rates[-20.0] > 0.95
    assert rates[-20.0] > rates[-2.0] > rates[0.0] > rates[2.0] > 0
