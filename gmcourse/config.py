"""Profiles, device choice, seeding and thread count.

A *profile* sets how much work a chapter does:

    smoke    seconds per chapter; what CI and `make test` run
    lecture  the default: each chapter in a few minutes on a 2-core laptop CPU
    full     a GPU and the real image datasets (MNIST, Fashion-MNIST, CIFAR-10)

It is read from the environment variable ``GMCOURSE_PROFILE`` when this module is
imported; chapters call ``pick(smoke=..., lecture=..., full=...)`` for each setting.
The device is CUDA, then Apple's MPS, then the CPU, unless ``GMCOURSE_DEVICE`` (or an
argument) names one.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

PROFILES = ("smoke", "lecture", "full")


def get_profile() -> str:
    """The active profile, from ``GMCOURSE_PROFILE`` (default ``lecture``)."""
    name = os.environ.get("GMCOURSE_PROFILE", "lecture").strip().lower() or "lecture"
    if name not in PROFILES:
        raise ValueError(
            f"GMCOURSE_PROFILE={name!r} is not a profile; choose one of {', '.join(PROFILES)}")
    return name


PROFILE = get_profile()


def pick(*, smoke, lecture, full=None, profile: str | None = None):
    """The value for the active profile: ``steps = pick(smoke=50, lecture=3000)``.

    ``full`` defaults to the lecture value, so only settings that grow on a GPU name it.
    """
    profile = profile or get_profile()
    return {"smoke": smoke, "lecture": lecture,
            "full": lecture if full is None else full}[profile]


def get_device(override: str | torch.device | None = None) -> torch.device:
    """CUDA if present, then MPS, then CPU; ``override`` or ``GMCOURSE_DEVICE`` wins."""
    name = override if override is not None else os.environ.get("GMCOURSE_DEVICE")
    if name:
        device = torch.device(name)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {name!r} was requested but CUDA is not available; "
                               "unset GMCOURSE_DEVICE or use 'cpu'")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python's, NumPy's and torch's generators; returns a torch CPU generator too."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def set_threads(n: int | None = None) -> int:
    """Use ``n`` CPU threads for torch (default: ``GMCOURSE_THREADS``, else up to 4).

    The course's networks are small, so more threads soon stop paying for their
    synchronisation; on a 2-core CPU two threads beat one by about 20% for both a
    small MLP and the digits CNN (``python -m gmcourse.bench threads``).
    """
    n = n or int(os.environ.get("GMCOURSE_THREADS", 0)) or min(4, os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


def setup(seed: int = 0, device: str | None = None) -> torch.device:
    """What each chapter's first cell calls: seed, threads, and the device to use."""
    seed_everything(seed)
    set_threads()
    device = get_device(device)
    print(f"profile={get_profile()}  device={device}  threads={torch.get_num_threads()}")
    return device
