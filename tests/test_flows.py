"""Flow layers against independent references, from a random, non-identity initialisation.

Everything runs in float64, so that the checks measure the algebra rather than round-off.
"""
import math

import pytest
import torch
from torch.autograd.functional import jacobian

from gmcourse.flows import (ActNorm, AffineCoupling, Flow, InvConv1x1, Inverse,
                            Planar, realnvp_2d)
from gmcourse.flows_image import (DequantizedFlow, Logit, Split, Squeeze,
                                  channel_mask, checkerboard_mask, glow, glow_step)
from gmcourse.flows_spline import SplineCoupling, rq_spline, spline_flow_2d
from gmcourse.nn import MLP, CouplingConvNet


@pytest.fixture(autouse=True)
def float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    yield
    torch.set_default_dtype(before)


def randomize(layer, scale=0.3):
    """Move every parameter off its (often identity) initial value; skip ActNorm's data init."""
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(scale * torch.randn_like(p))
    for m in layer.modules():
        if isinstance(m, ActNorm):
            m.initialized.fill_(1)
    return layer.eval()


def vec_mask():
    return torch.tensor([1.0, 0.0])


LAYERS = {
    "planar": (lambda: Planar(2), (6, 2)),
    "affine coupling": (lambda: AffineCoupling(vec_mask(), MLP(2, 4, 16)), (6, 2)),
    "spline coupling": (lambda: SplineCoupling(vec_mask(), MLP(2, 2 * 23, 16), 8, 3.0), (6, 2)),
    "actnorm": (lambda: ActNorm(2), (6, 2)),
    "actnorm image": (lambda: ActNorm(3), (3, 3, 2, 2)),
    "1x1 conv (vectors)": (lambda: InvConv1x1(2), (6, 2)),
    "1x1 conv": (lambda: InvConv1x1(3), (3, 3, 2, 2)),
    "checkerboard coupling": (lambda: AffineCoupling(checkerboard_mask(4, 4),
                                                     CouplingConvNet(1, 2, 8)), (3, 1, 4, 4)),
    "channel coupling": (lambda: AffineCoupling(channel_mask(4, 1), CouplingConvNet(4, 8, 8)),
                         (3, 4, 2, 2)),
    "squeeze": (lambda: Squeeze(), (3, 2, 4, 4)),
    "unsqueeze": (lambda: Inverse(Squeeze()), (3, 8, 2, 2)),
    "split": (lambda: Split([Squeeze(), *glow_step(8, 8, 0), Inverse(Squeeze())]), (3, 4, 4, 4)),
    "logit": (lambda: Logit(0.05), (3, 1, 2, 2)),
    "realnvp 2d": (lambda: realnvp_2d(layers=4, hidden=16), (6, 2)),
    "spline flow 2d": (lambda: spline_flow_2d(layers=4, hidden=16, bins=8), (6, 2)),
    "glow": (lambda: glow(steps_per_scale=2, hidden=8), (2, 1, 8, 8)),
}


def sample_input(name, shape):
    x = torch.randn(shape)
    return torch.rand(shape) if name in ("logit", "glow") else x  # [0, 1] images there


@pytest.mark.parametrize("name", list(LAYERS))
def test_log_det_equals_autograd_jacobian(name):
    build, shape = LAYERS[name]
    layer = randomize(build())
    x = sample_input(name, shape)
    z, log_det = layer(x)
    D = x[0].numel()
    J = torch.stack([jacobian(lambda v: layer(v[None])[0][0], xi).reshape(D, D) for xi in x])
    assert torch.allclose(log_det, torch.linalg.slogdet(J)[1], atol=1e-8)
    if name not in ("squeeze", "unsqueeze"):  # the test would pass for an identity layer
        assert (z.flatten(1) - x.flatten(1)).abs().max() > 1e-2 or log_det.abs().max() > 1e-2


@pytest.mark.parametrize("name", list(LAYERS))
def test_inverse_undoes_forward(name):
    build, shape = LAYERS[name]
    layer = randomize(build())
    x = sample_input(name, shape)
    z, log_det = layer(x)
    x_back, log_det_inv = layer.inverse(z)
    assert (x_back - x).abs().max() < 1e-5
    assert torch.allclose(log_det_inv, -log_det, atol=1e-8)


def test_rq_spline_is_monotone_and_identity_outside():
    torch.manual_seed(1)
    x = torch.linspace(-5, 5, 20001)
    p = [torch.randn(1, 8).expand(len(x), 8), torch.randn(1, 8).expand(len(x), 8),
         torch.randn(1, 7).expand(len(x), 7)]
    y, log_grad = rq_spline(x, *p, bound=3.0)
    assert (y.diff() > 0).all()
    outside = x.abs() >= 3
    assert torch.equal(y[outside], x[outside]) and (log_grad[outside] == 0).all()
    # log_grad is the log-derivative of y: integrating exp(log_grad) gives y back
    g = log_grad.exp()
    integral = torch.cat([torch.zeros(1), torch.cumsum((g[1:] + g[:-1]) / 2 * x.diff(), 0)])
    assert (integral - (y - y[0])).abs().max() < 1e-4


@pytest.mark.parametrize("build", [lambda: realnvp_2d(layers=4, hidden=16),
                                   lambda: spline_flow_2d(layers=4, hidden=16, bins=8),
                                   lambda: Flow([Planar(2), Planar(2), ActNorm(2)], (2,))])
def test_2d_density_integrates_to_one(build):
    flow = randomize(build(), scale=0.2)
    s = torch.linspace(-10, 10, 501)
    xx, yy = torch.meshgrid(s, s, indexing="xy")
    with torch.no_grad():
        p = flow.log_prob(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)).exp()
    assert abs(p.sum().item() * (s[1] - s[0]).item() ** 2 - 1) < 0.01


def test_actnorm_initialises_from_data():
    x = 3 + 2 * torch.randn(500, 3, 4, 4)
    z, _ = ActNorm(3).train()(x)
    assert z.mean((0, 2, 3)).abs().max() < 1e-6
    assert (z.std((0, 2, 3)) - 1).abs().max() < 1e-6


def test_planar_stays_invertible_for_any_u():
    layer = Planar(2)
    with torch.no_grad():
        layer.u.copy_(-5 * layer.w / layer.w.norm())  # w^T u = -5 would fold the plane
    assert layer.w @ layer.u_hat() > -1
    x = torch.randn(100, 2)
    assert (layer.inverse(layer(x)[0])[0] - x).abs().max() < 1e-5


def test_dequantization_bound_is_above_the_exact_discrete_likelihood():
    """Eq. (2) for one pixel: -log P(x) from quadrature over each cell vs the bound."""
    L = 17
    flow = randomize(DequantizedFlow([Logit(0.05), ActNorm(1)], shape=(1, 1, 1), levels=L))
    y = (torch.arange(L * 400) + 0.5) / (L * 400)  # midpoints, 400 per cell
    with torch.no_grad():
        p = flow.log_prob(y.view(-1, 1, 1, 1)).exp().view(L, 400).mean(1) / L  # P(x = k)
        # the logit layer leaves some mass outside [0, 1]: a sub-normalised P, still a bound
        assert 0.9 < p.sum().item() <= 1
        x = torch.arange(L).double().view(-1, 1, 1, 1) / (L - 1)
        torch.manual_seed(0)
        bound = torch.stack([flow.bits_bound(x) for _ in range(200)]).mean(0)
    exact = -p.log2()
    assert (bound >= exact - 0.01).all()
    assert (bound - exact).max() > 0.001  # Jensen's gap is real for a non-flat density


def test_samples_lie_on_the_grid_of_levels():
    model = randomize(glow(steps_per_scale=1, hidden=8), 0.05)
    x = model.sample(16)
    assert x.shape == (16, 1, 8, 8)
    k = x * 16
    assert torch.allclose(k, k.round()) and x.min() >= 0 and x.max() <= 1


def test_trajectory_and_stage_densities_are_consistent():
    flow = randomize(realnvp_2d(layers=2, hidden=16))
    z = torch.randn(5, 2)
    hs = flow.trajectory(z)
    K = len(flow.layers)
    assert len(hs) == K + 1 and torch.allclose(hs[-1], flow.inverse(z)[0])
    assert torch.allclose(flow.stage_log_prob(hs[-1], K), flow.log_prob(hs[-1]))
    assert torch.allclose(flow.stage_log_prob(hs[0], 0), Flow.base_log_prob(z))
    with torch.no_grad():  # every stage is a density: stage 1 integrates to one too
        s = torch.linspace(-8, 8, 401)
        xx, yy = torch.meshgrid(s, s, indexing="xy")
        p = flow.stage_log_prob(torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), 1).exp()
        assert abs(p.sum().item() * (s[1] - s[0]).item() ** 2 - 1) < 0.01
    assert math.isfinite(flow.loss(torch.randn(8, 2)).item())
