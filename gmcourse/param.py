"""One view of chapters 07, 08 and 10: what a network predicts, converted between forms.

Every Gaussian path writes a noised point as x_t = alpha_t x + sigma_t eps, with x the
clean data (x_0 in chapter 07, x1 in chapter 10) and eps ~ N(0, I). A network that sees
x_t can predict any of

    eps     the noise (DDPM, chapter 07)
    x       the clean data, E[x | x_t] (the "x_0-prediction")
    score   grad log p_t(x_t) = -E[eps | x_t] / sigma_t (Tweedie; NCSN, chapter 08)
    v       the velocity alpha'_t x + sigma'_t eps of flow matching (chapter 10)

and, because each is an affine function of (x_t, E[eps | x_t]), the exact ones convert
into each other with the path's four numbers (alpha_t, sigma_t, alpha'_t, sigma'_t). The
same holds for a network's estimates. Time runs as in flow matching (t = 1 is the data);
for DDPM at step t, alpha = sqrt(alpha_bar_t), sigma = sqrt(1 - alpha_bar_t).

    convert(value, xt, coeffs, src, dst)   e.g. ("eps" -> "v")
    to_linear(xt, coeffs)                  the same point on the linear path: (tau, y)
"""
from __future__ import annotations


def _pair(xt, value, c, src):
    """(x, eps) implied by a prediction of kind src: solve x_t = alpha x + sigma eps
    together with the prediction's own equation."""
    alpha, sigma, d_alpha, d_sigma = c
    if src == "x":
        return value, (xt - alpha * value) / sigma
    eps = -sigma * value if src == "score" else value
    if src in ("eps", "score"):
        return (xt - sigma * eps) / alpha, eps
    det = alpha * d_sigma - sigma * d_alpha  # v = alpha' x + sigma' eps with x_t: a 2x2 system
    return (d_sigma * xt - sigma * value) / det, (alpha * value - d_alpha * xt) / det


def _from_pair(x, eps, c, dst):
    alpha, sigma, d_alpha, d_sigma = c
    return {"x": lambda: x, "eps": lambda: eps, "score": lambda: -eps / sigma,
            "v": lambda: d_alpha * x + d_sigma * eps}[dst]()


PARAMETERISATIONS = ("eps", "x", "score", "v")


def convert(value, xt, coeffs, src: str, dst: str):
    """A prediction ``value`` of kind ``src`` at x_t as the equivalent of kind ``dst``.

    coeffs: (alpha_t, sigma_t, alpha'_t, sigma'_t), tensors broadcasting against x_t
    (``path.coeffs(t)`` of ``gmcourse.flow_matching``, reshaped to (B, 1, ...)).
    Singular only where the source kind does not determine x: eps or score at alpha_t = 0
    (pure noise), x at sigma_t = 0 (the data end).
    """
    if src not in PARAMETERISATIONS or dst not in PARAMETERISATIONS:
        raise ValueError(f"parameterisations are {PARAMETERISATIONS}, not {src!r} -> {dst!r}")
    return _from_pair(*_pair(xt, value, coeffs, src), coeffs, dst)


def to_linear(xt, coeffs):
    """The point x_t = alpha x + sigma eps of any Gaussian path as a point of the linear one:
    y = x_t / (alpha + sigma) = tau x + (1 - tau) eps with tau = alpha / (alpha + sigma).
    Same x, same eps, so the marginal of y is the linear path's p_tau (Kingma and Gao 2023).
    DDIM's update is then one Euler step of the linear path's velocity x - eps in (tau, y)."""
    alpha, sigma = coeffs[0], coeffs[1]
    return alpha / (alpha + sigma), xt / (alpha + sigma)
