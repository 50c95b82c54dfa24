"""Checkpoints: save a model with the config it came from and a content hash.

    save(model, name, config)          -> data/checkpoints/<name>.pt
    load(model, name, config)          verifies hash and config, fills model in place
    read(path, config)                 the verified file: weights, config, record
    cached(name, config, build, train) load when a matching checkpoint exists, else
                                       build, train, save: chapters skip retraining
    cached_run(...)                    the same, and what training measured (its record)
    with fresh(): ...                  train every model anew (a benchmark that times it)

Two places hold checkpoints: data/checkpoints/ (what this machine trained; not committed)
and trained/ (the lecture profile's models, committed with the course, so that a chapter
runs in seconds and shows the same figures on every machine: training amplifies the
rounding of a sum, which differs with the CPU and its thread count). A checkpoint in
trained/ is used only when its config matches the recipe exactly, so changing a recipe
retrains it here; GMCOURSE_RETRAIN=1 ignores trained/ and trains everything.

The hash is SHA-256 over every tensor's name, shape, dtype and bytes, so any change to
the weights (a corrupt or edited file) is refused with an error saying what to do.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path

import torch

from .data import DATA_DIR

# GMCOURSE_CHECKPOINTS: another folder for this machine's checkpoints (a fresh one trains all)
CHECKPOINT_DIR = Path(os.environ.get("GMCOURSE_CHECKPOINTS", "") or DATA_DIR / "checkpoints")
SHIPPED_DIR = DATA_DIR.parent / "trained"  # read only: `tools/ship_trained.py` writes it


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


# A field added to a config after checkpoints were keyed by it carries ADDED as metadata:
# at its default it is left out of the key, so every earlier checkpoint keeps its name.
ADDED = {"added_later": True}


def _plain(obj):
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if not (f.metadata.get("added_later") and getattr(obj, f.name) == f.default)}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


def config_dict(config) -> dict:
    """A config (dataclass or dict) as plain JSON data: what a checkpoint is keyed by."""
    return json.loads(json.dumps(_plain(config), sort_keys=True, default=_name_of))


def config_hash(config) -> str:
    """8 hex digits of SHA-256 over ``config_dict(config)``: part of a checkpoint's name."""
    text = json.dumps(config_dict(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _path(name: str, root) -> Path:
    return Path(root or _fresh_dir or CHECKPOINT_DIR) / f"{name}.pt"


def save(model: torch.nn.Module, name: str, config, root=None, record=None) -> Path:
    """``record``: JSON data of what training measured (losses, a trace, its seconds),
    stored beside the weights so that a loaded model comes with its training curves."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    path = _path(name, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target, then renamed: a reader (another test process, a second
    # notebook) sees either no checkpoint or a whole one, never a half-written file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    blob = {"state": state, "config": config_dict(config), "sha256": state_hash(state)}
    if record is not None:
        blob["record"] = json.dumps(record, default=_name_of)
    torch.save(blob, tmp)
    os.replace(tmp, path)
    return path


def read(path: Path, config=None) -> dict:
    """The checkpoint file at ``path`` after checking its content hash, the config hash in
    its name, and (if given) its config: {"state", "config", "sha256"[, "record"]}."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    where = f"{path.parent.name}/{path.name}"  # no machine path: messages reach notebooks
    if state_hash(blob["state"]) != blob["sha256"]:
        raise CheckpointError(f"{where} does not match its content hash (corrupt or edited); "
                              "delete it and retrain, or restore the original file")
    if config is not None and blob["config"] != config_dict(config):
        raise CheckpointError(f"{where} was trained with config {blob['config']}, not "
                              f"{config_dict(config)}; delete it or pass the matching config")
    return blob


def load(model: torch.nn.Module, name: str, config=None, root=None) -> torch.nn.Module:
    """Fill ``model`` from a checkpoint after checking its hash (and config, if given)."""
    path = _path(name, root)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint {path}; train the model and save() it first")
    model.load_state_dict(read(path, config)["state"])
    return model


_fresh_dir: Path | None = None  # set inside ``fresh()``


@contextlib.contextmanager
def fresh():
    """Inside: checkpoints go to an empty temporary folder and trained/ is ignored, so every
    model is trained here (once: a model needed twice is read from that folder the second
    time). What a benchmark needs to time training from scratch, stage 1 included."""
    global _fresh_dir
    outer = _fresh_dir
    with tempfile.TemporaryDirectory() as d:
        _fresh_dir = Path(d)
        try:
            yield _fresh_dir
        finally:
            _fresh_dir = outer


def _shipped(name: str, root) -> Path | None:
    if (root is not None or _fresh_dir is not None
            or os.environ.get("GMCOURSE_RETRAIN", "") not in ("", "0")):
        return None
    path = _path(name, SHIPPED_DIR)
    return path if path.exists() else None


def cached_run(name: str, config, build, train, root=None, need_record: bool = True,
               verbose: bool = True):
    """``build()`` a model, then load a matching checkpoint (this machine's, else the one
    shipped in trained/) or ``train(model)`` and save it to data/checkpoints.

    ``train(model)`` may return a record (JSON data); returns ``(model, record)``. With
    ``need_record``, a checkpoint saved without one counts as missing; ``verbose=False``
    leaves out the line that says which file was loaded."""
    model = build()
    places = [(_path(name, root), "loaded checkpoint {} (delete it to retrain)", "")]
    shipped = _shipped(name, root)
    if shipped is not None:
        places.append((shipped, "loaded {}, trained with the course's settings "
                       "and shipped in trained/ (GMCOURSE_RETRAIN=1 trains it here instead)",
                       "the shipped "))
    for path, said, which in places:
        if not path.exists():
            continue
        try:
            blob = read(path, config)  # one read: the weights and the record
        except CheckpointError as e:
            # the message names the file by name only: no machine path in a notebook output
            print(f"not using {which}{path.name}: {e}")
            continue
        rec = json.loads(blob["record"]) if "record" in blob else None
        if rec is None and need_record:
            continue  # saved before records were kept: train again to get the curves
        model.load_state_dict(blob["state"])
        if verbose:
            print(said.format(path.name))
        return model.eval(), rec
    rec = train(model)
    if hasattr(rec, "__dataclass_fields__"):
        rec = dataclasses.asdict(rec)
    save(model, name, config, root, record=rec)
    return model.eval(), rec


def cached(name: str, config, build, train, root=None) -> torch.nn.Module:
    """``cached_run`` without the record: the model."""
    return cached_run(name, config, build, train, root, need_record=False)[0]
