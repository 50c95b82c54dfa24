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
