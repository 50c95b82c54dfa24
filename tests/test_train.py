import pytest
import torch
from torch import nn

from gmcourse.train import TrainConfig, TrainingDiverged, batches, fit


class Quadratic(nn.Module):
    """loss = mean |x - w|^2, minimised by w = mean of the data."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(2))

    def loss(self, x):
        return ((x - self.w) ** 2).sum(-1).mean()


def test_fit_reaches_the_minimum():
    torch.manual_seed(0)
    x = torch.randn(1000, 2) + torch.tensor([3.0, -1.0])
    m = Quadratic()
    h = fit(m, x, TrainConfig(steps=400, lr=0.05, batch_size=100), progress=False)
    assert torch.allclose(m.w, x.mean(0), atol=0.1)
    assert h.steps == 400 and h["loss"][-1] < h["loss"][0] and not h.interrupted


def test_nan_loss_stops_with_a_hint():
    class Exploding(Quadratic):
        def loss(self, x):
            return super().loss(x) * float("nan")
    with pytest.raises(TrainingDiverged, match="step 0.*smaller learning rate"):
        fit(Exploding(), torch.randn(10, 2), TrainConfig(steps=5), progress=False)


def test_interrupt_returns_the_model_trained_so_far():
    class Interrupted(Quadratic):
        calls = 0

        def loss(self, x):
            self.calls += 1
            if self.calls > 20:
                raise KeyboardInterrupt
            return super().loss(x)
    m = Interrupted()
    h = fit(m, torch.randn(100, 2) + 5, TrainConfig(steps=100, lr=0.1), progress=False)
    assert h.interrupted and h.steps == 20
    assert m.w.norm() > 1  # it kept what it learned
    assert not m.training


def test_batches_cover_every_example_each_epoch():
    x = torch.arange(10).float()
    it = batches(x, 5, generator=torch.Generator().manual_seed(0))
    seen = torch.cat([next(it), next(it)])
    assert sorted(seen.tolist()) == list(range(10))
    xy = batches((x, x * 2), 4)
    a, b = next(xy)
    assert torch.equal(b, 2 * a)


def test_a_time_budget_stops_training_and_records_the_steps_done():
    import time

    class Slow(Quadratic):
        def loss(self, x):
            time.sleep(0.02)
            return super().loss(x)
    h = fit(Slow(), torch.randn(100, 2), TrainConfig(steps=10_000, budget_s=0.3), progress=False)
    assert h.out_of_time and h.planned == 10_000
    assert 1 <= h.steps < 100 and len(h["loss"]) == h.steps  # ~15 steps of 20 ms
    assert h.seconds < 2
    # a budget that is never reached changes nothing
    h = fit(Quadratic(), torch.randn(100, 2), TrainConfig(steps=30, budget_s=60), progress=False)
    assert h.steps == 30 and not h.out_of_time
    # at least one step, however small the budget
    h = fit(Slow(), torch.randn(100, 2), TrainConfig(steps=5, budget_s=1e-9), progress=False)
    assert h.steps == 1 and h.out_of_time


def test_the_adversarial_loop_honours_the_budget():
    import time

    from gmcourse.gan import GAN
    from gmcourse.nn import MLP
    from gmcourse.train import fit_adversarial

    class SlowD(MLP):
        def forward(self, x):
            time.sleep(0.02)
            return super().forward(x)
    gan = GAN(MLP(2, 2, 16), SlowD(2, 1, 16), latent_dim=2)
    h = fit_adversarial(gan, torch.randn(256, 2), TrainConfig(steps=10_000, batch_size=32,
                                                              budget_s=0.3), progress=False)
    assert h.out_of_time and 1 <= h.steps < 50
