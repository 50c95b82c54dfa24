"""Threads: time typical small models with 1 and 2 torch threads."""
import time

import torch

from ..classifier import DigitClassifier
from ..data import load_images, ring8
from ..nn import MLP


def _time(fn, repeats=3):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def run(profile):
    steps = 50 if profile == "smoke" else 300
    x2d = ring8().sample(256)
    digits = load_images("digits", "train")[:128]

    def mlp_steps():
        torch.manual_seed(0)
        net = MLP(2, 2, hidden=128, depth=2)
        opt = torch.optim.Adam(net.parameters())
        for _ in range(steps):
            loss = net(x2d).pow(2).mean()
            opt.zero_grad(), loss.backward(), opt.step()

    def cnn_steps():
        torch.manual_seed(0)
        net = DigitClassifier()
        opt = torch.optim.Adam(net.parameters())
        for _ in range(steps // 5):
            loss = net(digits).pow(2).mean()
            opt.zero_grad(), loss.backward(), opt.step()

    rows = []
    before = torch.get_num_threads()
    for name, fn in [("MLP 2-128-128-2, batch 256", mlp_steps),
                     ("conv classifier, 8x8 digits, batch 128", cnn_steps)]:
        for n in (1, 2):
            torch.set_num_threads(n)
            n_steps = steps if name.startswith("MLP") else steps // 5
            t = _time(fn)
            rows.append({"metric": f"{name}: ms/step", "threads": n,
                         "value": 1000 * t / n_steps, "seconds": t})
    torch.set_num_threads(before)
    return rows
