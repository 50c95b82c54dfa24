"""Consistency models (chapter 10): the ODE of a trained flow in one or two steps.

Symbols (flow_matching.py's convention: t = 0 is the source, t = 1 the data)
    f_theta(x_t, t)         the consistency function: x_t -> x1 along the teacher's ODE,
                            f(x, 1) = x; here f = x_t + (1 - t) F_theta(x_t, t)
    t_n = n / (N - 1)       the grid of times it is trained on, n = 0 .. N - 1
    teacher                 a trained FlowMatching model whose ODE trajectories are fitted

[CM] Song et al. 2023, "Consistency models"; Luhman and Luhman 2021, "Knowledge
distillation in iterative generative models for improved sampling speed".
"""
from __future__ import annotations

import torch
from torch import nn

from .flow_matching import FlowMatching, _view, midpoint


class ConsistencyModel(nn.Module):
    """The consistency function of a trained flow's ODE, x_t -> x1, distilled [CM Sec. 3].

    f_theta(x_t, t) = x_t + (1 - t) F_theta(x_t, t) meets the boundary f(x, 1) = x by
    construction [CM Eq. 5, with the linear path's skip and output scalings]; F = the
    teacher's v makes f one Euler step to t = 1, a good start. Training regresses
    f_theta(x_{t_n}, t_n) on the end point of the teacher's trajectory through x_{t_n}, t_n
    on an N-point grid: the definition [CM Eq. 3] fitted directly, as Luhman and Luhman
    (2021) distil the t = 0 map, instead of CM Algorithm 2's bootstrapped targets.
    velocity_weighted: weigh each t_n's squared error by 1 / (1 - t_n)^2 (see ``loss``);
    False gives every t_n weight 1 (lambda = 1 in [CM Eq. 7]).
    """

    def __init__(self, net: nn.Module, teacher: FlowMatching, N: int = 18,
                 velocity_weighted: bool = True):
        super().__init__()
        self.net, self.N, self.velocity_weighted = net, N, velocity_weighted
        self.teacher = [teacher]  # a list: not a submodule, its weights are neither trained nor saved

    def f(self, xt, t):
        t = torch.as_tensor(t, dtype=xt.dtype, device=xt.device).expand(len(xt))
        return xt + _view(1 - t, xt) * self.net(xt, t * self.teacher[0].time_scale)

    def loss(self, traj):
        """traj (B, N, *shape): teacher trajectories at t_n = n / (N - 1), from
        ``consistency_trajectories``; |f(x_{t_n}, t_n) - x_{t_{N-1}}|^2 / (1 - t_n)^2 at a
        random n, i.e. |F_theta - (x1 - x_t) / (1 - t)|^2: F regresses the mean velocity to
        the end, so a point near t = 1, whose error f scales by 1 - t, weighs as much as
        one at t = 0 (unweighted, the errors near t = 1 are too small to be fitted)."""
        n = torch.randint(0, self.N - 1, (len(traj),), device=traj.device)
        xt = traj[torch.arange(len(traj), device=traj.device), n]  # (B, *shape)
        t = n.to(xt) / (self.N - 1)
        err = self.f(xt, t) - traj[:, -1]
        if self.velocity_weighted:
            err = err / _view(1 - t, xt)  # t_n <= (N - 2) / (N - 1) < 1
        return err.pow(2).mean()

    @torch.no_grad()
    def sample(self, n: int, steps: int = 1, x0=None, times=None):
        """x1 = f(x0, 0); each further step re-noises the estimate to t_k on the path and maps
        it again [CM Algorithm 1]; times = (0, t_1, ..., t_{steps-1}), default k / steps."""
        teacher = self.teacher[0]
        times = [k / steps for k in range(steps)] if times is None else list(times)
        x = self.f(teacher.source_sample(n) if x0 is None else x0, 0.0)
        for t in times[1:steps]:
            t = torch.full((n,), float(t), device=x.device)
            alpha, sigma, _, _ = (_view(c, x) for c in teacher.path.coeffs(t))
            x = self.f(alpha * x + sigma * teacher.source_sample(n), t)
        return teacher.to_data(x)


@torch.no_grad()
def consistency_trajectories(teacher: FlowMatching, n: int, N: int = 18, substeps: int = 6,
                             solver=midpoint):
    """n trajectories of the teacher's ODE at t_n = n / (N - 1): (n, N, *shape)."""
    times = torch.linspace(0, 1, (N - 1) * substeps + 1)
    _, path = teacher.sample(n, (N - 1) * substeps, solver, return_path=True, times=times)
    return path[::substeps].transpose(0, 1).contiguous()
