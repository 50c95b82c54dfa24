"""Chapter 05's exercises: normalizing flows.

    05.coupling_logdet   code        an affine coupling's forward pass and log-det, against
                                     its inverse and the autograd Jacobian
    05.planar_logdet     derivation  the planar layer's log-det by the matrix determinant
                                     lemma, against the autograd Jacobian
    05.dequantized_bpd   derivation  bits/dim of a discrete image from a dequantized
                                     density, against a density whose bound is tight

Everything runs in float64 on random, non-identity inputs.
"""
from __future__ import annotations

import math

import torch
from torch.autograd.functional import jacobian

from .core import Wrong, call, expect, fmt, register

f64 = torch.float64


def _random_net(D: int, g: torch.Generator, scale: float):
    """A small fixed random network R^D -> R^D (the conditioner s or t)."""
    A = torch.randn(D, 8, generator=g, dtype=f64)
    a = torch.randn(8, generator=g, dtype=f64)
    B = torch.randn(8, D, generator=g, dtype=f64) * scale / math.sqrt(8)
    b = torch.randn(D, generator=g, dtype=f64) * scale
    return lambda h: torch.tanh(h @ A + a) @ B + b


def _logabsdet(f, x):
    """log |det df/dx| at every row of x (B, D), by autograd."""
    return torch.stack([torch.linalg.slogdet(jacobian(lambda v: f(v[None])[0], xi))[1]
                        for xi in x])


def _per_example(t, B, what, on, how="summed over the coordinates (dim 1)"):
    """Refuse anything but one value per example, naming the axis that went wrong."""
    if t.shape != (B,):
        axis = " (a sum over the batch axis, dim 0?)" if t.dim() == 1 else ""
        raise Wrong(f"{what} on {on} has shape {tuple(t.shape)}, expected ({B},): one value per "
                    f"example, {how}{axis}")


def _unpack(out, what):
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise Wrong(f"{what} should return a pair (z, log_det), got {fmt(out)}")
    return out


# --- 05.coupling_logdet -----------------------------------------------------------------

@register("05.coupling_logdet")
def _coupling(coupling_forward):
    g = torch.Generator().manual_seed(5)
    B, D = 5, 4
    for case, mask in enumerate([torch.tensor([1., 0., 1., 0.], dtype=f64),
                                 torch.tensor([0., 0., 1., 1.], dtype=f64)]):
        s_net, t_net = _random_net(D, g, 0.8), _random_net(D, g, 1.5)
        x = torch.randn(B, D, generator=g, dtype=f64) * 1.5
        on = f"x of shape {tuple(x.shape)}, mask {mask.tolist()}"
        z, log_det = _unpack(call(coupling_forward, x, mask, s_net, t_net,
                                  what="coupling_forward"), "coupling_forward")
        z, log_det = torch.as_tensor(z, dtype=f64), torch.as_tensor(log_det, dtype=f64)
        s, t = s_net(mask * x), t_net(mask * x)
        z_true = mask * x + (1 - mask) * (x * s.exp() + t)
        s_full, t_full = s_net(x), t_net(x)
        expect(z, z_true, what="z", on=on, mistakes={
            "s and t computed from x instead of m * x (then the layer is not triangular "
            "and its inverse cannot recover x)":
                mask * x + (1 - mask) * (x * s_full.exp() + t_full),
            "the mask applied the wrong way round: (1 - m) * x must be transformed, m * x "
            "passed through": (1 - mask) * x + mask * (x * s.exp() + t),
            "exp(s) and t applied to every coordinate, the masked ones too":
                x * s.exp() + t,
            "x * s + t: s is a log-scale, the scale is exp(s)": mask * x + (1 - mask) * (x * s + t),
        })
        # independent of the forward formula: the inverse must recover x ...
        x_back = mask * z + (1 - mask) * (z - t_net(mask * z)) * torch.exp(-s_net(mask * z))
        if not torch.allclose(x_back, x, atol=1e-8):
            raise Wrong(f"z is not invertible by x = m z + (1 - m)(z - t) exp(-s) on {on}")
        # ... and log_det must be log |det dz/dx| of the map you implemented, by autograd
        _per_example(log_det, B, "log_det", on)
        jac = _logabsdet(lambda v: torch.as_tensor(
            coupling_forward(v, mask, s_net, t_net)[0], dtype=f64), x)
        expect(log_det, jac, what="log_det", on=on + " (reference: autograd Jacobian)",
               mistakes={
                   "the wrong sign: forward (data -> latent) adds +sum (1 - m) s": -jac,
                   "s summed over every coordinate: multiply by (1 - m), the masked "
                   "coordinates have derivative 1": s.sum(1),
                   "the scale exp(s) summed instead of its log s": ((1 - mask) * s.exp()).sum(1),
                   "a mean instead of a sum over coordinates": ((1 - mask) * s).mean(1),
               })
    return "z inverts, and log_det matches the autograd Jacobian's log|det| on both masks"


# --- 05.planar_logdet -----------------------------------------------------------------

@register("05.planar_logdet")
def _planar(planar_log_det):
    g = torch.Generator().manual_seed(11)
    B, D = 6, 3
    for wu_target in (2.0, -0.7):  # u^T w > -1 keeps the layer invertible
        w = torch.randn(D, generator=g, dtype=f64)
        u = torch.randn(D, generator=g, dtype=f64)
        u = u + (wu_target - w @ u) * w / (w @ w)  # now w^T u = wu_target
        b = torch.randn(1, generator=g, dtype=f64)
        x = torch.randn(B, D, generator=g, dtype=f64)
        on = f"x of shape {tuple(x.shape)} with w^T u = {wu_target:g}"
        out = torch.as_tensor(call(planar_log_det, x, u, w, b, what="planar_log_det"), dtype=f64)
        jac = _logabsdet(lambda v: v + u * torch.tanh(v @ w + b)[:, None], x)
        a = x @ w + b
        tanh, dtanh = torch.tanh(a), 1 - torch.tanh(a) ** 2
        expect(out, jac, what="log|det J|", on=on + " (reference: autograd Jacobian)",
               mistakes={
                   "tanh(a) used where its derivative tanh'(a) = 1 - tanh(a)^2 belongs":
                       (1 + (w @ u) * tanh).abs().log(),
                   "the 1 of the identity is missing: det(I + u psi^T) = 1 + psi^T u":
                       ((w @ u) * dtanh).abs().log(),
                   "the wrong sign: det = 1 + u^T w tanh'(a), not 1 - ...":
                       (1 - (w @ u) * dtanh).abs().log(),
                   "det J, not its log": 1 + (w @ u) * dtanh,
                   "the trace of the Jacobian (D + ...), not its determinant":
                       (D + (w @ u) * dtanh).log(),
               })
    return "your log|det| matches the autograd Jacobian, for w^T u = 2 and -0.7"


# --- 05.dequantized_bpd -----------------------------------------------------------------

@register("05.dequantized_bpd")
def _bpd(dequantized_bits_per_dim):
    g = torch.Generator().manual_seed(17)
    for D, K in ((64, 17), (10, 256)):
        B = 8
        # a density that is constant on every cell y in [k/K, (k+1)/K): p(y) = prod K P_i(k_i),
        # for which the dequantization bound is tight: -log2 P(k) / D is the exact answer
        E = -torch.rand(D, K, generator=g, dtype=f64).log()
        P = E / E.sum(1, keepdim=True)  # (D, K): a random categorical per pixel (Dirichlet(1))
        k = torch.multinomial(P, B, replacement=True, generator=g).T  # (B, D)
        log_P = P.log().gather(1, k.T).T.sum(1)  # (B,) exact discrete log-probability
        log_p_y = log_P + D * math.log(K)  # log p(y) at any dequantized y of these cells
        exact = -log_P / (D * math.log(2))
        out = torch.as_tensor(call(dequantized_bits_per_dim, log_p_y, D, K,
                                   what="dequantized_bits_per_dim"), dtype=f64)
        on = f"a batch of {B} images, D = {D} pixels, K = {K} levels"
        _per_example(out, B, "bits/dim", on, how="one number per image, not the batch's mean")
        expect(out, exact, what="bits/dim", on=on + " (reference: the exact discrete "
               "probability under a density constant on each cell)", mistakes={
                   "the cell volume is missing: subtract D log K from log p(y)":
                       -log_p_y / (D * math.log(2)),
                   "the cell volume with the wrong sign: log P(x) = log p(y) - D log K":
                       -(log_p_y + D * math.log(K)) / (D * math.log(2)),
                   "nats, not bits: divide by log 2": -log_P / D,
                   "bits per image, not per dimension: divide by D": -log_P / math.log(2),
                   "log base 10": -log_P / (D * math.log(10)),
               })
    return "your bits/dim equal the exact discrete ones where the bound is tight (17 and 256 levels)"
