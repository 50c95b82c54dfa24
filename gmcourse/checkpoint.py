"""Checkpoints: save a model with the config it came from and a content hash.

    save(model, name, config)          -> data/checkpoints/<name>.pt
    load(model, name, config)          verifies hash and config, fills model in place
    cached(name, config, build, train) load when a matching checkpoint exists, else
                                       build, train, save: chapters skip retraining

The hash is SHA-256 over every tensor's name, shape, dtype and bytes, so any change to
the weights (a corrupt or edited file) is refused with an error saying what to do.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import torch

from .data import DATA_DIR

CHECKPOINT_DIR = DATA_DIR / "checkpoints"


class CheckpointError(RuntimeError):
    """A checkpoint does not match its hash or the requested config."""


def state_hash(state: dict) -> str:
    h = hashlib.sha256()
    for k in sorted(state):
        t = state[k].detach().cpu().contiguous()
        h.update(f"{k}:{tuple(t.shape)}:{t.dtype};".encode())
        # flattened first: a 0-d buffer (BatchNorm's step counter) cannot be viewed as bytes
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def _name_of(obj) -> str:
    # a function in a config (a learning-rate schedule, an optimiser factory) is keyed by
    # its qualified name: str() would hold its memory address, which differs every run
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if callable(obj) and hasattr(obj, "__qualname__"):
        return f"{obj.__module__}.{obj.__qualname__}"
    return str(obj)


def config_dict(config) -> dict:
    """A config (dataclass or dict) as plain JSON data: what a checkpoint is keyed by."""
    if dataclasses.is_dataclass(config):
        config = dataclasses.asdict(config)
    return json.loads(json.dumps(config, sort_keys=True, default=_name_of))


def config_hash(config) -> str:
    """8 hex digits of SHA-256 over ``config_dict(config)``: part of a checkpoint's name."""
    text = json.dumps(config_dict(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _path(name: str, root) -> Path:
    return Path(root or CHECKPOINT_DIR) / f"{name}.pt"


def save(model: torch.nn.Module, name: str, config, root=None) -> Path:
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    path = _path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target, then renamed: a reader (another test process, a second
    # notebook) sees either no checkpoint or a whole one, never a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save({"state": state, "config": config_dict(config), "sha256": state_hash(state)},
               tmp)
    os.replace(tmp, path)
    return path


def load(model: torch.nn.Module, name: str, config=None, root=None) -> torch.nn.Module:
    """Fill ``model`` from a checkpoint after checking its hash (and config, if given)."""
    path = _path(name, root)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint {path}; train the model and save() it first")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if state_hash(blob["state"]) != blob["sha256"]:
        raise CheckpointError(f"{path} does not match its content hash (corrupt or edited); "
                              "delete it and retrain, or restore the original file")
    if config is not None and blob["config"] != config_dict(config):
        raise CheckpointError(f"{path} was trained with config {blob['config']}, not "
                              f"{config_dict(config)}; delete it or pass the matching config")
    model.load_state_dict(blob["state"])
    return model


def cached(name: str, config, build, train, root=None) -> torch.nn.Module:
    """``build()`` a model, then load a matching checkpoint or ``train(model)`` and save."""
    model = build()
    path = _path(name, root)
    if path.exists():
        try:
            load(model, name, config, root)
            print(f"loaded checkpoint {path.name} (delete it to retrain)")
            return model.eval()
        except CheckpointError as e:
            print(f"not using {path.name}: {e}")
    train(model)
    save(model, name, config, root)
    return model.eval()
