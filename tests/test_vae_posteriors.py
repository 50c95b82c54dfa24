"""Chapter 04, a richer posterior: the IAF steps' log-determinants against autograd, the flow
posterior's density against quadrature, and the flow VAE against the Gaussian VAE."""
import pytest
import torch
from torch.autograd.functional import jacobian

from gmcourse.data import load_images
from gmcourse.nn import MLP
from gmcourse.vae import build_vae
from gmcourse.vae_posteriors import MADE, FlowPosterior, FlowVAE, IAFStep, iaf_posterior
from gmcourse.viz import grid_cell_area, grid_points


def _randomised(module, scale=0.5):
    """Random, non-trivial weights: no identity initialisation that would hide a bug."""
    torch.manual_seed(3)
    with torch.no_grad():
        for p in module.parameters():
            p.normal_(0, scale)
    return module


def _posterior(d=4, c=3, K=3, D=10):
    torch.manual_seed(0)
    return _randomised(iaf_posterior(MLP(D, 2 * d + c, 32, 1), d, c, K, hidden=16), 0.3).double()


def test_made_output_i_sees_only_earlier_coordinates():
    made = _randomised(MADE(5, 2, hidden=12)).double()
    z, h = torch.randn(5, dtype=torch.float64), torch.randn(2, dtype=torch.float64)
    for out in (0, 1):
        J = jacobian(lambda v: made(v, h)[out], z)  # (d, d): d out_i / d z_j
        assert torch.all(J.triu() == 0)                       # no z_j with j >= i
        assert torch.all(J.tril(-1)[1:, :-1].diagonal() != 0)  # z_{i-1} reaches output i


def test_iaf_step_log_det_is_the_log_abs_det_of_the_autograd_jacobian():
    step = IAFStep(_randomised(MADE(4, 3, hidden=16)), bias=0.0).double()
    z, h = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    _, log_det = step(z, h)
    for b in range(6):
        J = jacobian(lambda v: step(v[None], h[b:b + 1])[0][0], z[b])
        assert log_det[b].item() == pytest.approx(torch.linalg.slogdet(J)[1].item(), abs=1e-9)
        assert torch.allclose(J.triu(1), torch.zeros(4, 4, dtype=torch.float64))  # triangular


def test_log_q_is_the_base_density_minus_the_log_det_of_the_whole_flow():
    """Change of variables with an independent Jacobian: of the map eps -> z_K (3 steps and
    the order reversals between them), log q(z) = log N(eps) - log |det dz/deps|."""
    post = _posterior()
    x = torch.randn(5, 10, dtype=torch.float64)
    torch.manual_seed(1)
    z, log_q = post.rsample(x)
    torch.manual_seed(1)
    q0, h = post.base(x)
    eps = (q0.sample() - q0.mu) / q0.sigma
    for b in range(5):
        f = lambda e: post.flow((q0.mu[b] + q0.sigma[b] * e)[None], h[b:b + 1])[0][0]  # noqa: E731
        J = jacobian(f, eps[b])
        ref = (torch.distributions.Normal(0.0, 1.0).log_prob(eps[b]).sum()
               - torch.linalg.slogdet(J)[1])
        assert log_q[b].item() == pytest.approx(ref.item(), abs=1e-8)
        assert torch.allclose(f(eps[b]), z[b])


def test_inverse_recovers_the_base_and_log_prob_agrees_with_rsample():
    post = _posterior()
    x = torch.randn(7, 10, dtype=torch.float64)
    z, log_q = post.rsample(x, (3,))  # (3, 7, d)
    for zs, lq in zip(z, log_q):
        assert torch.allclose(post.log_prob(zs, x), lq, atol=1e-9)
    step, h = post.steps[0], post.base(x)[1]
    z0 = torch.randn(7, 4, dtype=torch.float64)
    assert torch.allclose(step.inverse(step(z0, h)[0], h)[0], z0, atol=1e-10)


def test_the_flow_posterior_density_integrates_to_one():
    """Quadrature over a grid in d = 2, for three images: the mass is 1 and the mean is the
    Monte Carlo mean of rsample."""
    post = _posterior(d=2, c=3, K=3)
    x = torch.randn(3, 10, dtype=torch.float64)
    _, _, pts = grid_points(10.0, 500, dtype=torch.float64)
    for b in range(3):
        with torch.no_grad():
            p = post.log_prob(pts, x[b:b + 1].expand(len(pts), -1)).exp()
            torch.manual_seed(b)
            z, _ = post.rsample(x[b:b + 1], (100_000,))
        assert (p.sum() * grid_cell_area(10.0, 500)).item() == pytest.approx(1.0, abs=2e-3)
        grid_mean = (p[:, None] * pts).sum(0) * grid_cell_area(10.0, 500)
        assert torch.allclose(z[:, 0].mean(0), grid_mean, atol=0.03)


def test_with_no_steps_the_flow_vae_is_the_gaussian_vae():
    """K = 0 and the same weights: the same ELBO as vae.py's (Monte Carlo KL, same draws),
    the same IWAE, and on average the closed-form-KL ELBO."""
    torch.manual_seed(0)
    vae = build_vae((1, 8, 8), 3, 32, 1, "bernoulli")
    flow_vae = FlowVAE(FlowPosterior(vae.encoder.net, 3, 0), vae.decoder, 3)
    x = (torch.rand(40, 1, 8, 8) < 0.4).float()
    for seed in (1, 2):
        torch.manual_seed(seed)
        ref = vae.elbo(x, analytic_kl=False)
        torch.manual_seed(seed)
        assert torch.allclose(flow_vae.elbo(x), ref, atol=1e-5)
        torch.manual_seed(seed)
        ref = vae.iwae(x, 20)
        torch.manual_seed(seed)
        assert torch.allclose(flow_vae.iwae(x, 20), ref, atol=1e-5)
    with torch.no_grad():
        mc = torch.stack([flow_vae.elbo(x) for _ in range(400)]).mean(0)
        closed = torch.stack([vae.elbo(x) for _ in range(400)]).mean(0)
    assert torch.allclose(mc, closed, atol=0.15)


def test_iwae_is_above_the_elbo_and_rises_with_k():
    torch.manual_seed(0)
    base = build_vae((1, 8, 8), 2, 32, 1, "bernoulli")
    model = FlowVAE(_randomised(iaf_posterior(MLP(64, 2 * 2 + 4, 32, 1), 2, 4, 2, 16), 0.2),
                    base.decoder, 2)
    x = load_images("digits", "test", binarize=True)[:100]
    torch.manual_seed(1)
    with torch.no_grad():
        elbo = torch.stack([model.elbo(x) for _ in range(50)]).mean().item()
    iwae = {k: model.iwae(x, k).mean().item() for k in (1, 10, 100)}
    assert iwae[1] == pytest.approx(elbo, abs=0.05 * abs(elbo))
    assert elbo < iwae[10] < iwae[100]


def test_flow_vae_trains_every_parameter():
    """The MADEs are registered (an nn.ModuleList): one loss gradient reaches all of them."""
    torch.manual_seed(0)
    base = build_vae((1, 8, 8), 2, 16, 1, "bernoulli")
    model = FlowVAE(iaf_posterior(MLP(64, 8, 16, 1), 2, 4, 2, 8), base.decoder, 2)
    model.loss((torch.rand(16, 1, 8, 8) < 0.5).float()).backward()
    named = dict(model.named_parameters())
    assert any(n.startswith("encoder.steps.1.made") for n in named)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in named.values())
