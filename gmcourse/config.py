"""Profiles, device choice, seeding and thread count.

A *profile* sets how much work a chapter does:

    smoke    seconds per chapter; what CI and `make test` run
    lecture  the default: each chapter in a few minutes on a 2-core laptop CPU
    full     a GPU and the real image datasets (MNIST, Fashion-MNIST, CIFAR-10)

It is read from the environment variable ``GMCOURSE_PROFILE`` when this module is
imported; chapters call ``pick(smoke=..., lecture=..., full=...)`` for each setting.
The device is CUDA, then Apple's MPS, then the CPU, unless ``GMCOURSE_DEVICE`` (or an
argument) names one. ``GMCOURSE_MAX_STEPS`` caps training steps (``max_steps``, ``capped``):
it rehearses the full profile on a CPU in minutes.
"""
from __future__ import annotations

import os
import random
import time

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


def devices_present() -> list[str]:
    """The devices torch can use here: ``cuda:0``, ``cuda:1``, ..., ``mps``, ``cpu``."""
    names = [f"cuda:{i}" for i in range(torch.cuda.device_count())] \
        if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        names.append("mps")
    return names + ["cpu"]


def _check_present(name: str) -> torch.device:
    """``torch.device(name)`` if that device exists here, else an error naming those that do."""
    present = devices_present()
    hint = (f"devices present: {', '.join(present)}. Set GMCOURSE_DEVICE to one of them, or "
            "unset it to pick the best automatically")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise RuntimeError(f"device {name!r} is not a device name; {hint}") from None
    key = {"cuda": f"cuda:{device.index or 0}", "mps": "mps"}.get(device.type, device.type)
    if key in present:
        return device
    why = ("CUDA is not available" if not torch.cuda.is_available() else
           f"this machine has {torch.cuda.device_count()} CUDA device(s)") \
        if device.type == "cuda" else f"{device.type!r} is not available"
    raise RuntimeError(f"device {name!r} was requested (GMCOURSE_DEVICE or an argument) but "
                       f"{why}; {hint}")


def get_device(override: str | torch.device | None = None) -> torch.device:
    """CUDA if present, then MPS, then CPU; ``override`` or ``GMCOURSE_DEVICE`` wins.

    Naming a device that is absent (``cuda`` on a machine without CUDA, ``cuda:3`` with
    two GPUs, ``mps`` off a Mac) raises an error that lists the devices present.
    """
    name = override if override is not None else os.environ.get("GMCOURSE_DEVICE")
    if name:
        return _check_present(str(name))
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def max_steps() -> int | None:
    """``GMCOURSE_MAX_STEPS`` as an int (None when unset): a cap on the training steps of
    every recipe (``gmcourse.recipes.for_profile``) and on the loop counts of the chapters'
    full-profile cells (``capped``), so that a CPU can rehearse the full profile quickly."""
    value = os.environ.get("GMCOURSE_MAX_STEPS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"GMCOURSE_MAX_STEPS={value!r} must be a positive whole number")
    return int(value)


def capped(n: int) -> int:
    """``n``, or ``GMCOURSE_MAX_STEPS`` when that is set and smaller."""
    cap = max_steps()
    return n if cap is None else min(n, cap)


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


_STARTED: float | None = None  # when setup() ran: the chapter's clock
_DEVICE: torch.device | None = None


def setup(seed: int = 0, device: str | None = None) -> torch.device:
    """What each chapter's first cell calls: seed, threads, and the device to use."""
    global _STARTED, _DEVICE
    _STARTED = time.perf_counter()
    seed_everything(seed)
    set_threads()
    device = get_device(device)
    print(f"profile={get_profile()}  device={device}  threads={torch.get_num_threads()}")
    _DEVICE = device
    return device


def run_time() -> float:
    """What each chapter's last cell calls: print the seconds since ``setup()`` with the
    profile, threads and device they were measured with, so a static page says how long
    the chapter took to run."""
    if _STARTED is None:
        raise RuntimeError("run_time() measures from setup(): run the chapter's first cell")
    seconds = time.perf_counter() - _STARTED
    print(f"chapter run time: {seconds:.0f} s (profile={get_profile()}, "
          f"threads={torch.get_num_threads()}, device={_DEVICE})")
    return seconds
