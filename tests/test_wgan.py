import pytest
import torch
from torch import nn

from gmcourse.divergences import wasserstein
from gmcourse.gan import GAN
from gmcourse.nn import MLP
from gmcourse.train import Game, TrainConfig, fit_adversarial, linear_decay
from gmcourse.wgan import (GradientPenalty, Wasserstein, WeightClipping, critic_estimate,
                           lipschitz_estimate, spectral_norm, wgan)


def test_wasserstein_objective_signs():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([0.0, -2.0])
    assert Wasserstein().d_loss(real, fake).item() == pytest.approx(-1.0 - 2.0)
    assert Wasserstein().g_loss(fake).item() == pytest.approx(1.0)


def test_gradient_penalty_of_a_linear_critic():
    """f(x) = w.x + b has gradient w everywhere: the penalty is lam (|w| - 1)^2."""
    torch.manual_seed(0)
    f = nn.Linear(2, 1)
    gan = GAN(nn.Linear(2, 2), f, latent_dim=2)
    gp = GradientPenalty(10.0)(gan, torch.randn(8, 2), torch.randn(8, 2))
    assert gp.item() == pytest.approx(10 * (f.weight.norm().item() - 1) ** 2, rel=1e-5)


def test_gradient_penalty_is_zero_for_a_unit_slope_critic():
    f = nn.Linear(2, 1)
    with torch.no_grad():
        f.weight.copy_(torch.tensor([[0.6, 0.8]]))
    gan = GAN(nn.Linear(2, 2), f, latent_dim=2)
    assert GradientPenalty()(gan, torch.randn(8, 2), torch.randn(8, 2)).item() < 1e-10


def test_weight_clipping_clamps_every_weight():
    torch.manual_seed(0)
    net = MLP(2, 1, hidden=16)
    WeightClipping(0.01)(net)
    assert max(p.abs().max().item() for p in net.parameters()) <= 0.01


def test_spectral_norm_makes_each_layer_1_lipschitz():
    torch.manual_seed(0)
    net = spectral_norm(MLP(2, 1, hidden=32, depth=2, act=nn.ReLU))
    x = torch.randn(256, 2)
    for _ in range(50):  # power iterations run in training mode
        net(x)
    net.eval()
    layers = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert len(layers) == 3
    for m in layers:
        assert torch.linalg.matrix_norm(m.weight, ord=2).item() == pytest.approx(1.0, abs=0.02)
    assert lipschitz_estimate(net, x, torch.randn(256, 2)) <= 1.02


def test_lipschitz_estimate_of_a_linear_map():
    f = nn.Linear(3, 1)
    assert lipschitz_estimate(f, torch.randn(5, 3), torch.randn(5, 3)) == pytest.approx(
        f.weight.norm().item(), rel=1e-5)


def test_gp_critic_estimates_w1_between_fixed_distributions():
    """p = N(0, 0.5^2 I), p_g = N((2, 0), 0.5^2 I): W1 = 2 (a shift); POT agrees."""
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    with torch.no_grad():
        G.weight.copy_(0.5 * torch.eye(2)), G.bias.copy_(torch.tensor([2.0, 0.0]))
    G.requires_grad_(False)
    gan = wgan(G, MLP(2, 1, hidden=64, depth=2, act=nn.ReLU), "gp", latent_dim=2)
    data = 0.5 * torch.randn(4096, 2)
    fit_adversarial(gan, data, TrainConfig(steps=300, batch_size=256, lr=2e-3, betas=(0.0, 0.9),
                                           schedule=linear_decay),
                    Game(train_generator=False), progress=False)
    x_real = 0.5 * torch.randn(2000, 2)
    exact = wasserstein(x_real[:1000], gan.sample(1000))
    assert exact == pytest.approx(2.0, abs=0.1)
    # the penalty is soft: the critic's slope can exceed 1 a little, so its estimate too
    assert critic_estimate(gan, x_real) == pytest.approx(exact, rel=0.15)
    untrained = wgan(G, MLP(2, 1, hidden=64, depth=2, act=nn.ReLU), "gp", latent_dim=2)
    assert abs(critic_estimate(untrained, x_real)) < 0.5 * exact
