"""Classifier guidance (Dhariwal and Nichol 2021): steer a diffusion model by the gradient
of a classifier that was trained on noised images.

Symbols (as in diffusion.py; t = 1..T):
    x_t, alpha_bar_t    a noised image and the signal left at step t
    p_phi(y | x_t)      the noisy classifier: it sees x_t and the noise level of t
    s                   the guidance scale (s = 0: the unconditional model)
    w                   classifier-free guidance's scale (diffusion.py)

The score of p(x_t) p_phi(y | x_t)^s is grad log p(x_t) + s grad log p_phi(y | x_t), and
eps_theta = -sqrt(1 - alpha_bar_t) grad log p(x_t) turns it into a noise prediction
[DN21 Algorithm 2]:

    eps_hat(x_t, y) = eps_theta(x_t) - s sqrt(1 - alpha_bar_t) grad_{x_t} log p_phi(y | x_t)

Classifier-free guidance samples p(x|y)^(1+w) p(x)^(-w) = p(x) p(y|x)^(1+w) / Z with the
model's own implicit classifier p(y|x) = p(x|y) p(y) / p(x), so the two are matched at
s = 1 + w: the same power of a classifier, one trained apart, one implicit.
"""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from .diffusion import DDPM, _at


class NoisyClassifier(nn.Module):
    """p_phi(y | x_t) for the forward process of ``process`` (a DDPM: its schedule and its
    map from data to the space it diffuses in). ``backbone`` maps (B, C + 1, H, W) to
    logits: the image and one more channel that holds the noise level sqrt(1 - alpha_bar_t),
    so one network classifies at every t."""

    def __init__(self, backbone: nn.Module, process: DDPM):
        super().__init__()
        self.backbone, self.T, self.to_model = backbone, process.T, process.to_model
        self.register_buffer("one_minus_alpha_bar", process.one_minus_alpha_bar.clone(),
                             persistent=False)
        self.register_buffer("alpha_bar", process.alpha_bar.clone(), persistent=False)

    def forward(self, xt, t):
        """Logits (B, n_classes) of noised images xt (B, C, H, W) at steps t."""
        t = torch.as_tensor(t, device=xt.device).expand(len(xt))
        level = _at(self.one_minus_alpha_bar, t, xt).sqrt().expand(-1, 1, *xt.shape[2:])
        return self.backbone(torch.cat([xt, level], 1))  # (B, C + 1, H, W) -> (B, K)

    def loss(self, x0, y):
        """Cross-entropy on x_t ~ q(x_t | x_0) at a uniform t in 0..T (0: the clean image)."""
        x0 = self.to_model(x0)
        t = torch.randint(0, self.T + 1, (len(x0),), device=x0.device)
        ab, one_minus_ab = _at(self.alpha_bar, t, x0), _at(self.one_minus_alpha_bar, t, x0)
        xt = ab.sqrt() * x0 + one_minus_ab.sqrt() * torch.randn_like(x0)  # diffusion Eq. (4)
        return F.cross_entropy(self(xt, t), y)

    def grad_log_prob(self, xt, t, y):
        """grad_{x_t} log p_phi(y | x_t), (B, C, H, W); works inside ``torch.no_grad``."""
        with torch.enable_grad():
            x = xt.detach().requires_grad_(True)
            log_p = F.log_softmax(self(x, t), -1).gather(1, y[:, None]).sum()
            return torch.autograd.grad(log_p, x)[0]

    @torch.no_grad()
    def accuracy(self, xt, t, y) -> float:
        return (self(xt, t).argmax(-1) == y).float().mean().item()


def classifier_guided(process: DDPM, classifier: NoisyClassifier, s: float) -> DDPM:
    """``process`` with its noise prediction steered by ``classifier`` at scale ``s``: the
    same network (nothing is copied but the object), so ``sample``, ``ddim_sample`` and
    ``inpaint`` of the result are classifier-guided. A conditional ``process`` is asked
    for its unconditional (null-label) eps: the label enters through the classifier only."""
    guided = copy.copy(process)

    def eps_theta(xt, t, y=None, w: float = 0.0):
        if y is None:
            raise ValueError("classifier guidance needs the labels y to steer towards")
        t = torch.as_tensor(t, device=xt.device).expand(len(xt))
        eps = process.eps_theta(xt, t)  # y = None: eps of p(x_t)
        if s == 0:
            return eps
        g = classifier.grad_log_prob(xt, t, y)
        return eps - s * _at(process.one_minus_alpha_bar, t, xt).sqrt() * g  # [DN21 Alg. 2]

    def labels(n, y, device):  # the samplers' labels, also for an unconditional process
        if y is None and not process.n_classes:
            raise ValueError("classifier guidance needs the labels y to steer towards: "
                             "pass y= to the sampler")
        if y is None:
            return torch.randint(0, process.n_classes, (n,), device=device)
        y = torch.as_tensor(y, device=device)
        return y.expand(n) if y.dim() == 0 else y

    guided.eps_theta, guided._labels = eps_theta, labels
    return guided
