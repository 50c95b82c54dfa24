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


def _pretend(monkeypatch, cuda: int, mps: bool):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


def test_an_absent_device_is_refused_with_the_devices_present(monkeypatch):
    monkeypatch.delenv("GMCOURSE_DEVICE", raising=False)
    _pretend(monkeypatch, cuda=2, mps=False)
    assert config.devices_present() == ["cuda:0", "cuda:1", "cpu"]
    assert config.get_device("cuda:1") == torch.device("cuda:1")
    assert config.get_device("cuda") == torch.device("cuda")
    with pytest.raises(RuntimeError, match=r"'cuda:2'.*2 CUDA device.*cuda:0, cuda:1, cpu"):
        config.get_device("cuda:2")
    monkeypatch.setenv("GMCOURSE_DEVICE", "mps")
    with pytest.raises(RuntimeError, match=r"'mps'.*not available.*cuda:0, cuda:1, cpu"):
        config.get_device()
    monkeypatch.setenv("GMCOURSE_DEVICE", "gpu")
    with pytest.raises(RuntimeError, match="not a device name.*present"):
        config.get_device()
    _pretend(monkeypatch, cuda=0, mps=True)
    monkeypatch.setenv("GMCOURSE_DEVICE", "cuda:0")
    with pytest.raises(RuntimeError, match="CUDA is not available.*present: mps, cpu"):
        config.get_device()
    monkeypatch.setenv("GMCOURSE_DEVICE", "mps")
    assert config.get_device() == torch.device("mps")


def test_max_steps_caps(monkeypatch):
    monkeypatch.delenv("GMCOURSE_MAX_STEPS", raising=False)
    assert config.max_steps() is None and config.capped(500) == 500
    monkeypatch.setenv("GMCOURSE_MAX_STEPS", "3")
    assert config.max_steps() == 3 and config.capped(500) == 3 and config.capped(2) == 2
    monkeypatch.setenv("GMCOURSE_MAX_STEPS", "0")
    with pytest.raises(ValueError, match="positive whole number"):
        config.max_steps()
