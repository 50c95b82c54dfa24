"""A classifier of real digits, trained once (checkpoint-cached, shipped in trained/) and
reused by several chapters.

It judges conditional samples ("is this generated 3 classified as a 3?") and gives the
feature space of the evaluation chapter's FID with a local classifier.
"""
from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F

from . import checkpoint
from .config import seed_everything
from .data import load_images
from .nn import ConvClassifier
from .train import TrainConfig, fit


class DigitClassifier(ConvClassifier):
    def loss(self, x, y):
        return F.cross_entropy(self(x), y)

    @torch.no_grad()
    def predict(self, x):
        return self(x).argmax(-1)

    @torch.no_grad()
    def accuracy(self, x, y) -> float:
        return (self.predict(x) == y).float().mean().item()


@lru_cache(maxsize=4)
def digit_classifier(dataset: str = "digits", steps: int = 1500, seed: int = 0,
                     progress: bool = False, split: str = "train",
                     limit: int | None = None) -> DigitClassifier:
    """A ``DigitClassifier`` trained on ``split`` of ``dataset`` (its first ``limit``
    images; cached).

    On scikit-learn's digits it reaches about 98% test accuracy in a few seconds of CPU.
    """
    key = {"dataset": dataset, "steps": steps, "seed": seed, "split": split, "limit": limit,
           "batch_size": 128, "lr": 2e-3}

    def build():
        seed_everything(seed)
        return DigitClassifier()

    def train(model):
        x, y = load_images(dataset, split, labels=True, limit=limit)
        fit(model, (x, y), TrainConfig(steps=steps, batch_size=128, lr=2e-3),
            progress=progress, desc=f"{dataset} classifier")
    name = f"classifier-{dataset}-seed{seed}-{checkpoint.config_hash(key)}"
    return checkpoint.cached(name, key, build, train).eval().requires_grad_(False)
