"""The adversarial loop applies each player's hooks: the critic's constraint after every
critic step."""
import torch

from gmcourse.nn import MLP
from gmcourse.train import Game, TrainConfig, fit_adversarial, rmsprop
from gmcourse.wgan import wgan


def test_weight_clipping_holds_after_every_critic_step():
    torch.manual_seed(0)
    gan = wgan(MLP(2, 2, hidden=8), MLP(2, 1, hidden=8), "clip", latent_dim=2, c=0.0625)
    seen = []
    fit_adversarial(gan, torch.randn(256, 2), TrainConfig(steps=3, batch_size=32, lr=0.1),
                    Game(n_critic=2, optimizer=rmsprop), progress=False,
                    callback=lambda i, g: seen.append(max(p.abs().max().item()
                                                          for p in g.D.parameters())))
    assert len(seen) == 3 and max(seen) <= 0.0625  # exact in float32
