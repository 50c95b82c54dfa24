"""DDPM and DDIM against independent references: chained forward steps, float64 schedules,
the Gaussian product for the posterior, and the exact noise predictor of Gaussian data."""
import math

import pytest
import torch
from torch import nn

from gmcourse.config import set_threads
from gmcourse.diffusion import DDPM, ImageDDPM, cosine_beta, linear_beta
from gmcourse.nn import TimeMLP, UNet


@pytest.fixture(autouse=True, scope="module")
def threads():
    set_threads()  # GMCOURSE_THREADS; torch's default of all cores is slow on a busy machine


def ddpm(schedule=linear_beta, T=1000, **kw):
    torch.manual_seed(0)
    return DDPM(TimeMLP(2, 32, 2), schedule(T), shape=(2,), **kw)


@pytest.mark.parametrize("schedule", [linear_beta, cosine_beta])
def test_closed_form_matches_chained_forward_steps(schedule):
    """Mean and variance of q(x_t | x_0) vs t chained steps of q(x_s | x_{s-1}), within 1%."""
    T = 250  # a shorter chain keeps the test fast; the schedule scales with T
    model = ddpm(schedule, T=T)
    torch.manual_seed(1)
    n = 250_000
    x0 = torch.tensor([1.5, -0.7])
    x = x0.expand(n, 2).clone()
    checks = {5, 50, 125, T}
    for t in range(1, T + 1):
        x = model.q_step(x, t, torch.randn_like(x))
        if t in checks:
            ab = math.prod(1 - b for b in schedule(T)[:t].tolist())
            mean, var = x.mean(0), x.var(0).mean()  # both coordinates have variance 1 - ab
            # the closed form of the model, and an independent float64 product
            closed = model.q_sample(x0[None], t, torch.zeros(1, 2))[0]
            assert torch.allclose(closed.double(), math.sqrt(ab) * x0.double(), rtol=1e-5)
            assert abs(model.q_sample(x0[None], t, torch.ones(1, 2))[0, 0] - closed[0]
                       - math.sqrt(1 - ab)) < 1e-5
            std = math.sqrt(1 - ab)
            assert ((mean - closed).abs() <= 0.01 * std).all(), (t, mean, closed)
            assert abs(var / (1 - ab) - 1) <= 0.01, (t, var, 1 - ab)


@pytest.mark.parametrize("name", ["linear", "cosine"])
def test_schedule_matches_float64_reference(name):
    T = 1000
    if name == "linear":
        beta = [1e-4 + (0.02 - 1e-4) * (t - 1) / (T - 1) for t in range(1, T + 1)]
        model = DDPM(nn.Identity(), linear_beta(T))
    else:
        f = [math.cos((t / T + 0.008) / 1.008 * math.pi / 2) ** 2 for t in range(T + 1)]
        beta = [min(1 - f[t] / f[t - 1], 0.999) for t in range(1, T + 1)]
        model = DDPM(nn.Identity(), cosine_beta(T))
    alpha_bar, prod = [1.0], 1.0
    for b in beta:
        prod *= 1 - b
        alpha_bar.append(prod)
    tilde = [0.0] + [beta[t - 1] * (1 - alpha_bar[t - 1]) / (1 - alpha_bar[t])
                     for t in range(1, T + 1)]
    ref_ab = torch.tensor(alpha_bar, dtype=torch.float64)
    assert torch.allclose(model.alpha_bar.double(), ref_ab, rtol=1e-5, atol=1e-9)
    assert torch.allclose(model.tilde_beta.double(), torch.tensor(tilde, dtype=torch.float64),
                          rtol=1e-5, atol=1e-12)
    if name == "cosine":  # alpha_bar is the cosine itself where beta is not clipped
        assert torch.allclose(ref_ab[:T], torch.tensor(f[:T], dtype=torch.float64) / f[0],
                              rtol=1e-9)
    assert model.alpha_bar[-1] < 1e-4  # almost no signal left at t = T


def test_linear_schedule_scales_with_T():
    assert abs(math.prod(1 - linear_beta(200).tolist()[i] for i in range(200))
               - math.prod(1 - b for b in linear_beta(1000).tolist())) < 1e-3


@pytest.mark.parametrize("t", [1, 2, 50, 999])
def test_posterior_is_the_gaussian_product(t):
    """q(x_{t-1}|x_t,x_0) ∝ N(x_t; sqrt(alpha_t) x_{t-1}, beta_t) N(x_{t-1}; sqrt(ab_{t-1}) x_0, 1 - ab_{t-1})."""
    model = ddpm(cosine_beta)
    beta = cosine_beta(1000).double()
    ab = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(1 - beta, 0)])
    b, a, ab_prev = beta[t - 1], 1 - beta[t - 1], ab[t - 1]
    x0, xt = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    prec = a / b + 1 / (1 - ab_prev)  # precisions add
    mean_ref = (a.sqrt() / b * xt + ab_prev.sqrt() / (1 - ab_prev) * x0) / prec
    if t == 1:  # x_0 is known exactly: the posterior is a point mass at x_0
        mean_ref, prec = x0, torch.tensor(math.inf, dtype=torch.float64)
    mean, var = model.posterior(x0.float(), xt.float(), t)
    assert torch.allclose(mean.double(), mean_ref, atol=1e-4)
    assert torch.allclose(var.double(), 1 / prec.expand(5, 1), rtol=1e-4, atol=1e-12)


def test_ancestral_step_is_algorithm_2():
    model = ddpm()
    xt, t = torch.randn(7, 2), 300
    eps = model.eps_theta(xt, t)
    a, b, ab = model.alpha[t], model.beta[t], model.alpha_bar[t]
    torch.manual_seed(3)
    z = torch.randn(7, 2)
    ref = (xt - b / (1 - ab).sqrt() * eps) / a.sqrt() + model.tilde_beta[t].sqrt() * z
    torch.manual_seed(3)
    assert torch.allclose(model.p_step(xt, t), ref, atol=1e-5)


class ExactEps(nn.Module):
    """The optimal eps_theta for Gaussian data N(mu, s^2 I): E[eps | x_t] in closed form."""

    def __init__(self, alpha_bar, mu, s):
        super().__init__()
        self.alpha_bar, self.mu, self.s = alpha_bar, mu, s

    def forward(self, xt, t):
        ab = self.alpha_bar[t][:, None]
        return (1 - ab).sqrt() * (xt - ab.sqrt() * self.mu) / (ab * self.s ** 2 + 1 - ab)


def predicted_std(model, s, taus, eta):
    """Std of DDIM's output for Gaussian data N(mu, s^2) and the exact eps, by a float64
    recursion: each step is linear, x_s - sqrt(ab_s) mu = c (x_t - sqrt(ab_t) mu) + sigma z."""
    ab = torch.cat([torch.ones(1, dtype=torch.float64),
                    torch.cumprod(1 - linear_beta(model.T), 0)]).tolist()
    var = 1.0  # x_T ~ N(0, 1)
    for t, u in zip(taus[:-1], taus[1:]):
        v_t = ab[t] * s ** 2 + 1 - ab[t]  # Var q(x_t)
        sigma2 = eta ** 2 * (1 - ab[u]) / (1 - ab[t]) * (1 - ab[t] / ab[u])
        c = (math.sqrt(ab[u] * ab[t]) * s ** 2
             + math.sqrt(max(1 - ab[u] - sigma2, 0) * (1 - ab[t]))) / v_t
        var = c ** 2 * var + sigma2
    return math.sqrt(var)


@pytest.mark.parametrize("steps,eta", [(1000, 1.0), (50, 0.0), (50, 1.0), (10, 0.0)])
def test_samplers_with_the_exact_eps_of_a_gaussian(steps, eta):
    """With the exact eps of N(mu, s^2 I), the ancestral sampler (= DDIM with eta 1 and all
    steps) recovers s; DDIM with few steps shrinks the spread by a computable factor."""
    mu, s = torch.tensor([1.0, -2.0]), 0.5
    model = DDPM(nn.Identity(), linear_beta(1000))
    model.eps_model = ExactEps(model.alpha_bar, mu, s)
    torch.manual_seed(0)
    n = 20_000
    x = model.sample(n) if steps == 1000 else model.ddim_sample(n, steps, eta=eta)
    taus = [1 + i * 1000 // steps for i in range(steps)][::-1] + [0]  # DDIM's spacing
    std = predicted_std(model, s, taus, eta)
    assert torch.allclose(x.mean(0), mu, atol=0.02)
    assert torch.allclose(x.std(0), torch.tensor([std, std]), rtol=0.02)
    if steps == 1000:
        assert abs(std / s - 1) < 0.01
    if eta == 0:  # Cauchy-Schwarz: every deterministic step can only shrink the variance
        assert std < s * 0.97


class MixtureEps(nn.Module):
    """The optimal eps_theta for a Gaussian mixture p: -sqrt(1 - ab_t) grad log q_t(x_t),
    q_t the law of sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps, by the closed-form mixture score."""

    def __init__(self, alpha_bar, p):
        super().__init__()
        from gmcourse.score import MixtureScore
        self.alpha_bar, self.score = alpha_bar.double(), MixtureScore(p)

    def forward(self, xt, t):
        ab = self.alpha_bar[int(t[0])].item()  # samplers call with one t for the batch
        return -(1 - ab) ** 0.5 * self.score(xt.double(), (1 - ab) ** 0.5, ab ** 0.5).to(xt)


@pytest.mark.parametrize("sampler", ["ancestral", "ddim50_eta0"])
def test_samplers_with_the_exact_eps_of_ring8_stay_on_the_modes(sampler):
    """Chapter 07: with the exact eps of ring-8, fifty DDIM steps with eta = 0 put >= 99.9%
    of the samples within 3 std of a mode, so the trained model's in-between samples come
    from the network, not from the sampler."""
    from gmcourse.data import ring8
    from gmcourse.metrics import mode_coverage
    ring = ring8()
    model = DDPM(nn.Identity(), cosine_beta(1000))
    model.eps_model = MixtureEps(model.alpha_bar, ring)
    torch.manual_seed(0)
    x = model.sample(2000) if sampler == "ancestral" else model.ddim_sample(2000, 50)
    cov = mode_coverage(x, ring)
    assert cov.modes == 8 and cov.weight_error(ring) < 0.02
    assert cov.high_quality >= 0.999


def test_loss_is_zero_for_the_exact_eps_of_a_point_mass():
    model = DDPM(nn.Identity(), linear_beta(1000))
    model.eps_model = ExactEps(model.alpha_bar, torch.tensor([0.3, 0.4]), 0.0)
    assert model.loss(torch.tensor([[0.3, 0.4]]).expand(256, 2)).item() < 1e-6
    assert model.loss(torch.tensor([[0.0, 0.4]]).expand(256, 2)).item() > 1e-2


@pytest.mark.parametrize("clip", [None, 1.0])
def test_ddim_with_eta_1_and_all_steps_is_the_ancestral_sampler(clip):
    model = ddpm(T=200, clip_x0=clip)
    if clip is None:  # an untrained net's samples blow up without clipping: use exact eps
        model.eps_model = ExactEps(model.alpha_bar, torch.tensor([1.0, -2.0]), 0.5)
    torch.manual_seed(5)
    a = model.sample(64)
    torch.manual_seed(5)
    b = model.ddim_sample(64, steps=200, eta=1.0)
    assert torch.allclose(a, b, atol=1e-4)
    torch.manual_seed(5)
    assert not torch.allclose(a, model.ddim_sample(64, steps=200, eta=0.0), atol=1e-2)


def test_ddim_eta_0_is_deterministic_given_x_T():
    model = ddpm(T=100)
    x_T = torch.randn(16, 2)
    torch.manual_seed(1)
    a = model.ddim_sample(16, 20, x_T=x_T)
    torch.manual_seed(2)
    assert torch.equal(a, model.ddim_sample(16, 20, x_T=x_T))


def test_guidance_combines_conditional_and_unconditional_eps():
    torch.manual_seed(0)
    net = UNet(1, 8, (1, 2), emb_dim=16, n_classes=10)
    model = ImageDDPM(net, cosine_beta(100), shape=(1, 8, 8), n_classes=10)
    xt, t, y = torch.randn(4, 1, 8, 8), torch.tensor([5, 20, 50, 99]), torch.tensor([0, 3, 9, 3])
    eps_c, eps_u = net(xt, t, y), net(xt, t, torch.full_like(y, 10))
    assert torch.allclose(model.eps_theta(xt, t, y, w=2.0), 3 * eps_c - 2 * eps_u, atol=1e-5)
    assert torch.allclose(model.eps_theta(xt, t, y, w=-1.0), eps_u, atol=1e-5)
    assert torch.allclose(model.eps_theta(xt, t, y), eps_c)
    assert torch.allclose(model.eps_theta(xt, t), eps_u)  # no labels: the null label


def test_label_dropout_rate():
    seen = []

    class Spy(nn.Module):
        def forward(self, x, t, y):
            seen.append(y)
            return x * 0 + torch.zeros((), requires_grad=True)

    model = DDPM(Spy(), linear_beta(100), n_classes=10, p_uncond=0.2)
    torch.manual_seed(0)
    model.loss(torch.randn(20_000, 2), torch.randint(0, 10, (20_000,)))
    assert abs((seen[0] == 10).float().mean().item() - 0.2) < 0.01


@pytest.mark.parametrize("in_ch,size,mults", [(1, 8, (1, 2)), (1, 28, (1, 2, 2)),
                                              (3, 32, (1, 2, 2))])
def test_unet_shapes_and_gradients(in_ch, size, mults):
    torch.manual_seed(0)
    net = UNet(in_ch, 8, mults, emb_dim=16, n_classes=10)
    x = torch.randn(2, in_ch, size, size)
    out = net(x, torch.tensor([1, 500]), torch.tensor([3, 10]))
    assert out.shape == x.shape
    out.pow(2).mean().backward()
    assert all(p.grad is not None for p in net.parameters())
    # the label and the time change the output
    with torch.no_grad():
        assert not torch.allclose(out, net(x, torch.tensor([1, 500]), torch.tensor([4, 10])))
        assert not torch.allclose(out, net(x, torch.tensor([2, 400]), torch.tensor([3, 10])))


def test_inpainting_keeps_the_known_pixels():
    torch.manual_seed(0)
    model = ImageDDPM(UNet(1, 8, (1, 2), emb_dim=16, n_classes=10), cosine_beta(50),
                      shape=(1, 8, 8), n_classes=10, clip_x0=1.0)
    x = torch.rand(3, 1, 8, 8)
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4] = 1
    out = model.inpaint(x, mask)
    assert out.shape == x.shape
    assert torch.allclose(out[..., :4], x[..., :4], atol=1e-6)
    assert not torch.allclose(out[..., 4:], x[..., 4:], atol=1e-2)
    s = model.sample(5)
    assert s.shape == (5, 1, 8, 8) and s.min() >= 0 and s.max() <= 1


def test_guidance_widget_draws_one_column_per_class():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from gmcourse.figures import draw_guidance

    labels = torch.arange(10).repeat(3)
    x = (labels.float() / 9).view(-1, 1, 1, 1).expand(30, 1, 8, 8)  # brightness = label
    fig = plt.figure()
    draw_guidance(fig, {1.0: x}, labels, 1.0)
    img = fig.axes[0].images[0].get_array()
    cols = [img[1:9, 1 + 9 * c:9 + 9 * c].mean() for c in range(10)]  # first row, each column
    assert cols == sorted(cols) and cols[0] < cols[-1]
    assert "w = 1" in fig.axes[0].get_title()
    plt.close(fig)
