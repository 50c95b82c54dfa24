"""The Dirac-GAN's field with the gradient penalty, against finite differences."""
import numpy as np
import pytest

from gmcourse import dirac


@pytest.mark.parametrize("gamma", [0.3, 2.0])
def test_field_with_penalty_is_the_gradient_of_the_penalised_objectives(gamma):
    """G descends V; D ascends V - gamma/2 psi^2 (R1 on the data at 0)."""
    f = lambda t: -np.log1p(np.exp(-t))  # noqa: E731
    V = lambda th, ps: f(ps * th) + f(0.0)  # noqa: E731
    th, ps, e = 0.7, -1.3, 1e-6
    d_th, d_ps = dirac.field(th, ps, gamma)
    V_D = lambda ps: V(th, ps) - gamma / 2 * ps ** 2  # noqa: E731
    assert d_th == pytest.approx(-(V(th + e, ps) - V(th - e, ps)) / (2 * e), rel=1e-6)
    assert d_ps == pytest.approx((V_D(ps + e) - V_D(ps - e)) / (2 * e), rel=1e-6)
