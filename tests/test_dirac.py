import numpy as np
import pytest

from gmcourse import dirac


def test_field_is_minus_and_plus_the_gradient_of_v():
    """G descends V(psi, theta) = f(psi theta) + f(0), D ascends it: finite differences."""
    f = lambda t: -np.log1p(np.exp(-t))  # noqa: E731
    V = lambda th, ps: f(ps * th) + f(0.0)  # noqa: E731
    th, ps, e = 0.7, -1.3, 1e-6
    d_th, d_ps = dirac.field(th, ps)
    assert d_th == pytest.approx(-(V(th + e, ps) - V(th - e, ps)) / (2 * e), rel=1e-6)
    assert d_ps == pytest.approx((V(th, ps + e) - V(th, ps - e)) / (2 * e), rel=1e-6)


def test_simultaneous_spirals_out_alternating_cycles_penalty_converges():
    """The chapter's claims at its settings (h = 0.2, 300 steps from (1, 1))."""
    d = {m: dirac.distance(dirac.trajectory(u, 0.2, 300)) for m, u in dirac.METHODS.items()}
    assert d["simultaneous"][-1] > 1.5 * d["simultaneous"][0]
    assert 0.8 < d["alternating"][-1] / d["alternating"][0] < 1.2
    assert abs(d["rk4"][-1] / d["rk4"][0] - 1) < 0.01  # follows the continuous-time cycle
    for u in dirac.METHODS.values():
        assert dirac.distance(dirac.trajectory(u, 0.2, 300, gamma=0.3))[-1] < 0.05


def test_rk4_matches_a_fine_euler_integration():
    a = dirac.trajectory(dirac.rk4, 0.5, 10)[-1]
    b = dirac.trajectory(dirac.simultaneous, 0.0005, 10_000)[-1]
    assert np.allclose(a, b, atol=2e-3)


def test_ode_gan_regulariser_is_the_gradient_of_its_penalty():
    """D's extra term is -d/dpsi lam/2 (dV/dtheta)^2: finite differences of the penalty."""
    f_p = lambda t: 1 / (1 + np.exp(t))  # noqa: E731
    pen = lambda th, ps: 0.5 * (ps * f_p(ps * th)) ** 2  # noqa: E731
    th, ps, e, lam = 0.7, -1.3, 1e-6, 0.4
    extra = dirac.field(th, ps, lam=lam)[1] - dirac.field(th, ps)[1]
    assert extra == pytest.approx(-lam * (pen(th, ps + e) - pen(th, ps - e)) / (2 * e), rel=1e-6)


def test_euler_drift_matches_the_linearised_growth_factor():
    """Simultaneous steps near (0, 0) grow the distance by sqrt(1 - h (gamma + lam/4) + h^2/4)
    per step: the h^2/4 is the outward drift h/2 |J|^2 of explicit Euler."""
    for h, gamma, lam in [(0.2, 0.0, 0.0), (0.5, 0.0, 0.3), (0.3, 0.05, 0.0)]:
        g = dirac.euler_growth(h, gamma, lam)
        assert g == pytest.approx(np.sqrt(1 - h * (gamma + lam / 4) + h * h / 4), rel=1e-12)
        d = dirac.distance(dirac.trajectory(dirac.simultaneous, h, 200, gamma, (1e-4, 0.0), lam))
        assert d[-1] / d[0] == pytest.approx(g ** 200, rel=0.05)


def test_ode_gan_rk4_with_its_regulariser_converges_where_euler_spirals_out():
    """The chapter's ODE-GAN claim at its settings: h = 0.5, lam = 0.3, 300 steps from (1, 1)."""
    d = {m: dirac.distance(dirac.trajectory(u, 0.5, 300, lam=0.3)) for m, u in dirac.METHODS.items()}
    assert d["simultaneous"][-1] > 2 * d["simultaneous"][0]
    assert d["rk4"][-1] < 0.01
    plain = dirac.distance(dirac.trajectory(dirac.rk4, 0.5, 300))
    assert abs(plain[-1] / plain[0] - 1) < 0.01  # without the regulariser RK4 only cycles
