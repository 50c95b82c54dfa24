import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats
from torch import nn

from gmcourse.gan import (EMA, F_DIVERGENCES, FGAN, GAN, Hinge, LeastSquares, Minimax,
                          NonSaturating, optimal_discriminator, r1_penalty, rejection_sample)
from gmcourse.nn import MLP
from gmcourse.train import TrainConfig, adversarial_step, batches, fit_adversarial


def _logits(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 3 * torch.randn(n, generator=g, dtype=torch.float64), \
        3 * torch.randn(n, generator=g, dtype=torch.float64)


def test_losses_match_their_formulas():
    d_real, d_fake = _logits()
    D_real, D_fake = torch.sigmoid(d_real), torch.sigmoid(d_fake)
    v = torch.log(D_real).mean() + torch.log(1 - D_fake).mean()  # V(D, G), Eq. (1)
    assert Minimax().d_loss(d_real, d_fake).item() == pytest.approx(-v.item(), rel=1e-9)
    assert Minimax().g_loss(d_fake).item() == pytest.approx(torch.log(1 - D_fake).mean().item(), rel=1e-9)
    assert NonSaturating().g_loss(d_fake).item() == pytest.approx(-torch.log(D_fake).mean().item(), rel=1e-9)
    assert LeastSquares().d_loss(d_real, d_fake).item() == pytest.approx(
        0.5 * ((d_real - 1) ** 2).mean().item() + 0.5 * (d_fake ** 2).mean().item())
    assert Hinge().d_loss(d_real, d_fake).item() == pytest.approx(
        np.maximum(0, 1 - d_real.numpy()).mean() + np.maximum(0, 1 + d_fake.numpy()).mean())


def test_saturating_generator_gradient_vanishes_when_d_is_confident():
    d = torch.tensor([-8.0], dtype=torch.float64, requires_grad=True)  # D(G(z)) = 3e-4
    (g_mm,) = torch.autograd.grad(Minimax().g_loss(d), d)
    (g_ns,) = torch.autograd.grad(NonSaturating().g_loss(d), d)
    assert abs(g_mm.item()) == pytest.approx(torch.sigmoid(torch.tensor(-8.0)).item(), rel=1e-6)
    assert abs(g_mm.item()) < 1e-3 and abs(g_ns.item()) > 0.999


@pytest.mark.parametrize("name", list(F_DIVERGENCES))
def test_fgan_bound_is_tight_at_the_optimal_critic(name):
    """E_p T* - E_q f*(T*) with T* = f'(p/q) equals D_f(P||Q) = int q f(p/q) (quadrature)."""
    p, q = stats.norm(0.5, 1.0), stats.norm(0.0, 1.2)
    f = {"kl": lambda u: u * np.log(u), "reverse_kl": lambda u: -np.log(u),
         "pearson": lambda u: (u - 1) ** 2,
         "js": lambda u: u * np.log(u) - (u + 1) * np.log((u + 1) / 2)}[name]
    ref = integrate.quad(lambda x: q.pdf(x) * f(p.pdf(x) / q.pdf(x)), -12, 12)[0]
    loss = FGAN(name)
    g_f_inv = {"kl": lambda t: t, "pearson": lambda t: t, "reverse_kl": lambda t: -torch.log(-t),
               "js": lambda t: -torch.log(2 * torch.exp(-t) - 1)}[name]  # V with g_f(V) = T

    def v_star(x):
        u = torch.from_numpy(p.pdf(x.numpy()) / q.pdf(x.numpy()))
        return g_f_inv(loss.f_prime(u))

    rng = np.random.default_rng(0)
    xp, xq = torch.from_numpy(p.rvs(100_000, random_state=rng)), torch.from_numpy(q.rvs(100_000, random_state=rng))
    bound = loss.bound(v_star(xp), v_star(xq)).item()
    assert bound == pytest.approx(ref, abs=0.01 + 0.03 * ref)
    worse = loss.bound(v_star(xp) * 0.5, v_star(xq) * 0.5).item()  # any other critic: lower
    assert worse < bound


def test_r1_penalty_of_a_linear_discriminator():
    D = nn.Linear(2, 1)
    x = torch.randn(10, 2, requires_grad=True)
    assert r1_penalty(D(x).squeeze(1), x).item() == pytest.approx(D.weight.pow(2).sum().item(), rel=1e-6)


def test_ema_is_a_moving_average():
    torch.manual_seed(0)
    net = nn.Linear(3, 2)
    ema = EMA(net, decay=0.9)
    old = net.weight.detach().clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net)  # warm-up: the first update uses decay (1 + 1) / (10 + 1)
    assert torch.allclose(ema.net.weight, 2 / 11 * old + 9 / 11 * net.weight)
    for _ in range(200):  # later updates use the full decay
        ema.update(net)
    prev = ema.net.weight.clone()
    with torch.no_grad():
        net.weight.add_(1.0)
    ema.update(net)
    assert torch.allclose(ema.net.weight, 0.9 * prev + 0.1 * net.weight)
    assert not any(p.requires_grad for p in ema.parameters())


def test_packing_concatenates_consecutive_samples():
    D = nn.Linear(6, 1)
    gan = GAN(nn.Linear(2, 2), D, latent_dim=2, pack=3)
    x = torch.randn(12, 2)
    assert torch.allclose(gan.discriminate(x), D(x.reshape(4, 6)).reshape(-1))


def test_alternating_step_counts_and_players():
    torch.manual_seed(0)
    gan = GAN(MLP(2, 2, hidden=16), MLP(2, 1, hidden=16), latent_dim=2)
    calls = {"d": 0, "g": 0}
    d_loss, g_loss = gan.d_loss, gan.g_loss
    gan.d_loss = lambda *a: (calls.__setitem__("d", calls["d"] + 1), d_loss(*a))[1]
    gan.g_loss = lambda *a: (calls.__setitem__("g", calls["g"] + 1), g_loss(*a))[1]
    opt_d = torch.optim.Adam(gan.D.parameters(), lr=1e-2)
    opt_g = torch.optim.Adam(gan.G.parameters(), lr=1e-2)
    G0 = [p.detach().clone() for p in gan.G.parameters()]
    D0 = [p.detach().clone() for p in gan.D.parameters()]
    it = batches(torch.randn(256, 2), 32)
    out = adversarial_step(gan, opt_d, opt_g, it, n_critic=5)
    assert calls == {"d": 5, "g": 1} and set(out) == {"d_loss", "g_loss"}
    assert all(not torch.equal(a, b) for a, b in zip(G0, gan.G.parameters()))
    assert all(not torch.equal(a, b) for a, b in zip(D0, gan.D.parameters()))
    assert all(p.requires_grad for p in gan.D.parameters())
    # D only: G does not move
    G1 = [p.detach().clone() for p in gan.G.parameters()]
    adversarial_step(gan, opt_d, opt_g, it, n_critic=1, train_generator=False)
    assert all(torch.equal(a, b) for a, b in zip(G1, gan.G.parameters()))


def test_trained_discriminator_approximates_d_star():
    """Acceptance: |D - p/(p + p_g)| < 0.05 on average over a grid, both densities known."""
    from gmcourse.gan_experiments import discriminator_vs_optimum
    result = discriminator_vs_optimum(seed=0)
    assert result["mae"] < 0.05


def test_rejection_sampling_with_the_exact_log_ratio_recovers_p():
    """G(z) = z ~ N(0, 1); d(x) = log p(x) - log p_g(x) with p = N(1, 0.5^2): DRS gives p."""
    G = nn.Linear(1, 1)
    with torch.no_grad():
        G.weight.fill_(1.0), G.bias.zero_()
    p, p_g = torch.distributions.Normal(1.0, 0.5), torch.distributions.Normal(0.0, 1.0)

    class LogRatio(nn.Module):
        def forward(self, x):
            return (p.log_prob(x) - p_g.log_prob(x)).squeeze(-1)

    torch.manual_seed(0)
    x, rate = rejection_sample(GAN(G, LogRatio(), latent_dim=1), 20_000)
    assert x.mean().item() == pytest.approx(1.0, abs=0.02)
    assert x.std().item() == pytest.approx(0.5, abs=0.02)
    assert 0.05 < rate < 1


def test_optimal_discriminator_formula():
    lp, lq = torch.tensor([math.log(0.3)]), torch.tensor([math.log(0.1)])
    assert optimal_discriminator(lp, lq).item() == pytest.approx(0.75)


def test_fit_adversarial_learns_a_gaussian_mean():
    torch.manual_seed(0)
    data = torch.randn(2048, 2) * 0.5 + torch.tensor([2.0, -1.0])
    gan = GAN(MLP(2, 2, hidden=32), MLP(2, 1, hidden=32), latent_dim=2, ema=0.99)
    assert gan.sample(2000).mean(0).norm() < 1  # starts near 0
    # constant learning rates: decaying them freezes the game wherever it is still
    # circling the equilibrium (seeds 0-3 end 0.05-0.14 from the mean this way, 0.24-0.39 with decay)
    h = fit_adversarial(gan, data, TrainConfig(steps=800, batch_size=128, lr=2e-3,
                                               betas=(0.5, 0.999)), progress=False)
    assert h.steps == 800 and len(h["d_loss"]) == 800
    x = gan.sample(2000)
    assert torch.allclose(x.mean(0), torch.tensor([2.0, -1.0]), atol=0.3)


def test_conditional_dcgan_shapes_and_labels_matter():
    from gmcourse import recipes
    torch.manual_seed(0)
    gan = recipes.CGAN_DIGITS.build(recipes.CGAN_DIGITS.config).eval()
    y = torch.arange(6) % 3
    x = gan.sample(6, y)
    assert x.shape == (6, 1, 8, 8) and 0 <= x.min() and x.max() <= 1
    z = torch.randn(2, gan.latent_dim)
    assert not torch.allclose(gan.G(z, torch.tensor([0, 0])), gan.G(z, torch.tensor([1, 1])))
    d = gan.discriminate(x, y)
    assert d.shape == (6,)


def test_dcgan_trains_on_mnist_in_the_smoke_setting():
    """The image code runs on CPU on 28x28 MNIST read from IDX files (GMCOURSE_DATA)."""
    from conftest import require_mnist
    require_mnist()
    from gmcourse import recipes
    for variant in ("gan", "wgan-gp"):
        recipe = recipes.dcgan(variant, conditional=True, dataset="mnist", split="test",
                               limit=256, steps=3, channels=16)
        gan, h = recipes.train(recipe, steps=3, progress=False)
        assert h.steps == 3
        assert gan.sample(4, torch.arange(4)).shape == (4, 1, 28, 28)


def test_rejection_sampling_warns_when_it_runs_short():
    G = nn.Linear(1, 1)

    class Spiky(nn.Module):  # one huge logit: every other sample is almost always rejected
        def forward(self, x):
            d = torch.full((len(x),), -20.0)
            d[0] = 20.0
            return d

    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="accepted only"):
        x, rate = rejection_sample(GAN(G, Spiky(), latent_dim=1), 100, batch=50, max_rounds=2)
    assert len(x) < 100 and rate < 0.1
