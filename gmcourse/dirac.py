"""The Dirac-GAN (Mescheder et al. 2018, Sec. 2.2): GAN training dynamics in two numbers.

Symbols:
    p = delta_0            the data: a point mass at 0
    p_theta = delta_theta  the generator: a point mass at theta
    D_psi(x) = psi x       a linear discriminator (its logit)
    V(psi, theta) = f(psi theta) + f(0),  f(t) = -log(1 + exp(-t))   (the GAN's f)
    v(theta, psi) = (-psi f'(psi theta), theta f'(psi theta) - gamma psi)
                           the gradient field: G descends V, D ascends V - gamma/2 psi^2
                           (gamma > 0: a gradient penalty on the data, R1)
    lam                    ODE-GAN's regulariser (Qin et al. 2020, Sec. 3.3): D also
                           descends lam/2 |dV/dtheta|^2 = lam/2 psi^2 f'(psi theta)^2
The unique equilibrium is (0, 0). Each update rule maps (theta, psi) to the next point.
Near it the field is linear, v ~ J (theta, psi) with J = [[0, -1/2], [1/2, -gamma - lam/4]].
"""
from __future__ import annotations

import numpy as np


def f_prime(t):
    """f'(t) for f(t) = log sigmoid(t): sigmoid(-t); f'(0) = 1/2."""
    return 1.0 / (1.0 + np.exp(t))


def field(theta, psi, gamma: float = 0.0, lam: float = 0.0):
    """v(theta, psi): the simultaneous gradient field (arrays broadcast)."""
    t = theta * psi
    s = f_prime(t)
    # d/dpsi of lam/2 psi^2 f'(t)^2, with f''(t) = -s (1 - s)
    reg = lam * (psi * s * s - psi * psi * theta * s * s * (1 - s))
    return -psi * s, theta * s - gamma * psi - reg


def simultaneous(theta, psi, h, gamma=0.0, lam=0.0):
    """Both players step from the same point: explicit Euler on the field."""
    d_theta, d_psi = field(theta, psi, gamma, lam)
    return theta + h * d_theta, psi + h * d_psi


def alternating(theta, psi, h, gamma=0.0, lam=0.0):
    """G steps first; D then responds to the new theta."""
    theta = theta + h * field(theta, psi, gamma, lam)[0]
    return theta, psi + h * field(theta, psi, gamma, lam)[1]


def rk4(theta, psi, h, gamma=0.0, lam=0.0):
    """A fourth-order Runge-Kutta step of the ODE d(theta, psi)/dt = v (ODE-GAN, Qin et al. 2020)."""
    x = np.array([theta, psi], dtype=float)
    v = lambda y: np.array(field(y[0], y[1], gamma, lam))  # noqa: E731
    k1 = v(x)
    k2 = v(x + h / 2 * k1)
    k3 = v(x + h / 2 * k2)
    k4 = v(x + h * k3)
    x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return x[0], x[1]


METHODS = {"simultaneous": simultaneous, "alternating": alternating, "rk4": rk4}


def trajectory(update=simultaneous, h: float = 0.1, steps: int = 300, gamma: float = 0.0,
               start=(1.0, 1.0), lam: float = 0.0) -> np.ndarray:
    """Iterate ``update`` from ``start``: an array (steps + 1, 2) of (theta, psi)."""
    out = np.empty((steps + 1, 2))
    out[0] = start
    for i in range(steps):
        out[i + 1] = update(*out[i], h, gamma, lam)
    return out


def euler_growth(h: float, gamma: float = 0.0, lam: float = 0.0) -> float:
    """|eigenvalue| of one simultaneous step I + h J near (0, 0): > 1 spirals out.

    J's eigenvalues mu solve mu^2 + (gamma + lam/4) mu + 1/4 = 0, so for a complex pair
    |1 + h mu|^2 = 1 - h (gamma + lam/4) + h^2 / 4: the h^2/4 is Euler's outward drift."""
    J = np.array([[0.0, -0.5], [0.5, -gamma - lam / 4]])
    return float(np.abs(np.linalg.eigvals(np.eye(2) + h * J)).max())


def distance(traj: np.ndarray) -> np.ndarray:
    """Distance of each point of a trajectory to the equilibrium (0, 0)."""
    return np.hypot(traj[:, 0], traj[:, 1])
