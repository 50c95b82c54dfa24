"""The MMD generator's loss against a direct double sum, and its training direction."""
import math

import torch
from torch import nn

from gmcourse.moment_matching import MMDGenerator


def test_loss_is_the_u_statistic_of_the_summed_kernels():
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    model = MMDGenerator(G, 2, bandwidths=(0.5, 2.0))
    x = torch.randn(7, 2)
    torch.manual_seed(1)
    loss = model.loss(x)
    torch.manual_seed(1)
    y = G(torch.randn(7, 2)).detach()

    def k(a, b):
        return sum(math.exp(-float((a - b).pow(2).sum()) / (2 * h * h)) for h in (0.5, 2.0))
    n = len(x)
    exx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    eyy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    exy = sum(k(x[i], y[j]) for i in range(n) for j in range(n)) / n ** 2
    assert abs(loss.item() - (exx + eyy - 2 * exy)) < 1e-5


def test_descending_the_loss_moves_a_shifted_generator_onto_the_data():
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    with torch.no_grad():
        G.weight.copy_(torch.eye(2))
        G.bias.fill_(2.0)  # G(z) = z + 2: the data are N(0, I)
    model = MMDGenerator(G, 2, bandwidths=(1.0, 2.0))
    opt = torch.optim.Adam(G.parameters(), lr=0.05)
    for _ in range(200):
        opt.zero_grad()
        model.loss(torch.randn(256, 2)).backward()
        opt.step()
    assert G.bias.abs().max() < 0.3 and model.sample(5).shape == (5, 2)
