import random

import numpy as np
import pytest
import torch

from gmcourse import config


def test_profiles(monkeypatch):
    monkeypatch.setenv("GMCOURSE_PROFILE", "smoke")
    assert config.get_profile() == "smoke"
    assert config.pick(smoke=1, lecture=2) == 1
    monkeypatch.setenv("GMCOURSE_PROFILE", "full")
    assert config.pick(smoke=1, lecture=2) == 2 and config.pick(smoke=1, lecture=2, full=3) == 3
    monkeypatch.delenv("GMCOURSE_PROFILE")
    assert config.get_profile() == "lecture"
    monkeypatch.setenv("GMCOURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="smoke, lecture, full"):
        config.get_profile()


def test_device_choice_and_override(monkeypatch):
    monkeypatch.delenv("GMCOURSE_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    dev = config.get_device()
    assert dev.type == (expected or dev.type)
    if not torch.cuda.is_available():
        assert dev.type in ("cpu", "mps")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            config.get_device("cuda")
    monkeypatch.setenv("GMCOURSE_DEVICE", "cpu")
    assert config.get_device() == torch.device("cpu")


def test_seed_everything_is_reproducible():
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()
    config.seed_everything(3)
    a = draw()
    config.seed_everything(3)
    assert draw() == a


def test_threads():
    assert config.set_threads(1) == 1 and torch.get_num_threads() == 1
    config.set_threads()
    assert torch.get_num_threads() >= 1
