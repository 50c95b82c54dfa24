from dataclasses import dataclass

import pytest
import torch

from gmcourse import checkpoint
from gmcourse.nn import MLP


@dataclass
class Cfg:
    hidden: int = 8
    lr: float = 1e-3


def test_save_load_roundtrip(tmp_path):
    torch.manual_seed(0)
    a = MLP(2, 2, hidden=8)
    checkpoint.save(a, "m", Cfg(), root=tmp_path)
    b = checkpoint.load(MLP(2, 2, hidden=8), "m", Cfg(), root=tmp_path)
    x = torch.randn(5, 2)
    assert torch.equal(a(x), b(x))


def test_tampered_checkpoint_is_refused(tmp_path):
    a = MLP(2, 2, hidden=8)
    path = checkpoint.save(a, "m", Cfg(), root=tmp_path)
    blob = torch.load(path, weights_only=True)
    blob["state"]["0.weight"][0, 0] += 1e-3
    torch.save(blob, path)
    with pytest.raises(checkpoint.CheckpointError, match="content hash"):
        checkpoint.load(MLP(2, 2, hidden=8), "m", root=tmp_path)


def test_config_mismatch_is_refused(tmp_path):
    checkpoint.save(MLP(2, 2, hidden=8), "m", Cfg(), root=tmp_path)
    with pytest.raises(checkpoint.CheckpointError, match="trained with config"):
        checkpoint.load(MLP(2, 2, hidden=8), "m", Cfg(lr=0.1), root=tmp_path)


def test_cached_trains_once(tmp_path):
    calls = []

    def train(m):
        calls.append(1)
        with torch.no_grad():
            m[0].weight.fill_(0.5)
    build = lambda: MLP(2, 2, hidden=8)  # noqa: E731
    m1 = checkpoint.cached("c", Cfg(), build, train, root=tmp_path)
    m2 = checkpoint.cached("c", Cfg(), build, train, root=tmp_path)
    assert len(calls) == 1 and torch.equal(m2[0].weight, m1[0].weight)
    checkpoint.cached("c", Cfg(hidden=9), build, train, root=tmp_path)
    assert len(calls) == 2  # a different config retrains


def test_batchnorm_counter_roundtrips(tmp_path):
    """0-d buffers (BatchNorm's num_batches_tracked) hash and load like any tensor."""
    a = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4))
    a(torch.randn(8, 2))
    checkpoint.save(a, "bn", Cfg(), root=tmp_path)
    b = checkpoint.load(torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.BatchNorm1d(4)),
                        "bn", Cfg(), root=tmp_path)
    assert b[1].num_batches_tracked.item() == 1
    assert checkpoint.state_hash(a.state_dict()) == checkpoint.state_hash(b.state_dict())


def test_a_checkpoint_holds_cpu_tensors_and_loads_on_a_cpu_only_machine(tmp_path):
    """A model trained on a GPU is saved with CPU tensors, so ``torch.load`` on a machine
    without CUDA (``map_location=cpu``) and ``checkpoint.load`` both work."""
    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    a = MLP(2, 2, hidden=8).to(device)
    path = checkpoint.save(a, "m", Cfg(), root=tmp_path)
    blob = torch.load(path, weights_only=True)  # no map_location: stored devices as they are
    assert {t.device.type for t in blob["state"].values()} == {"cpu"}
    blob = torch.load(path, map_location=torch.device("cpu"), weights_only=True)
    b = checkpoint.load(MLP(2, 2, hidden=8), "m", Cfg(), root=tmp_path)
    assert all(p.device.type == "cpu" for p in b.parameters())
    x = torch.randn(5, 2)
    assert torch.allclose(a(x.to(device)).cpu(), b(x))
    assert set(blob["state"]) == set(b.state_dict())


def _trainer(calls):
    def train(model):
        calls.append(1)
        with torch.no_grad():
            model[0].weight.fill_(0.5)
    return train


def test_shipped_checkpoint_is_used_only_when_its_config_matches(tmp_path, monkeypatch, capsys):
    """trained/ is read after this machine's data/checkpoints and before training; a recipe
    whose settings changed trains afresh, and GMCOURSE_RETRAIN=1 ignores trained/."""
    local, shipped = tmp_path / "local", tmp_path / "shipped"
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", local)
    monkeypatch.setattr(checkpoint, "SHIPPED_DIR", shipped)
    monkeypatch.delenv("GMCOURSE_RETRAIN", raising=False)
    torch.manual_seed(0)
    ref = MLP(2, 2, hidden=8)
    checkpoint.save(ref, "m", Cfg(), root=shipped)
    build = lambda: MLP(2, 2, hidden=8)  # noqa: E731
    calls = []
    got = checkpoint.cached("m", Cfg(), build, _trainer(calls))
    assert not calls and torch.equal(got[0].weight, ref[0].weight)
    out = capsys.readouterr().out
    assert "shipped in trained/" in out and str(tmp_path) not in out
    assert not (local / "m.pt").exists()  # nothing copied: the shipped file is the model
    # another config: the shipped file is refused by name and config, and the model trains
    got = checkpoint.cached("m", Cfg(lr=0.1), build, _trainer(calls))
    assert calls == [1] and (got[0].weight == 0.5).all() and (local / "m.pt").exists()
    out = capsys.readouterr().out
    assert "not using the shipped m.pt" in out and str(tmp_path) not in out
    (local / "m.pt").unlink()
    monkeypatch.setenv("GMCOURSE_RETRAIN", "1")
    checkpoint.cached("m", Cfg(), build, _trainer(calls))
    assert calls == [1, 1]


def test_fresh_trains_everything_once_and_leaves_no_file(tmp_path, monkeypatch):
    """Inside ``fresh()`` neither this machine's checkpoint nor the shipped one is used:
    the model trains, a second request reads what it trained, and afterwards both the
    temporary folder and the old behaviour are back."""
    local, shipped = tmp_path / "local", tmp_path / "shipped"
    monkeypatch.setattr(checkpoint, "CHECKPOINT_DIR", local)
    monkeypatch.setattr(checkpoint, "SHIPPED_DIR", shipped)
    monkeypatch.delenv("GMCOURSE_RETRAIN", raising=False)
    for root in (local, shipped):
        checkpoint.save(MLP(2, 2, hidden=8), "m", Cfg(), root=root)
    build = lambda: MLP(2, 2, hidden=8)  # noqa: E731
    calls = []
    with checkpoint.fresh() as d:
        got = checkpoint.cached("m", Cfg(), build, _trainer(calls))
        assert calls == [1] and (got[0].weight == 0.5).all() and (d / "m.pt").exists()
        checkpoint.cached("m", Cfg(), build, _trainer(calls))
        assert calls == [1]
    assert not d.exists()
    got = checkpoint.cached("m", Cfg(), build, _trainer(calls))
    assert calls == [1] and not (got[0].weight == 0.5).all()  # this machine's file again


def test_every_shipped_checkpoint_is_whole_and_named_after_its_config():
    """Each file in trained/ matches its content hash, and the hash in its name is that of
    the config stored inside it (the name is what a recipe looks it up by)."""
    files = sorted(checkpoint.SHIPPED_DIR.glob("*.pt"))
    assert files, "trained/ holds no checkpoint"
    for path in files:
        blob = checkpoint.read(path)  # raises CheckpointError on a content-hash mismatch
        assert path.stem.endswith("-" + checkpoint.config_hash(blob["config"])), path.name


def test_a_field_added_later_keeps_old_names_at_its_default_and_keys_when_set():
    from dataclasses import field

    @dataclass
    class Before:
        width: int = 8

    @dataclass
    class After:
        width: int = 8
        noise: float = field(default=0.0, metadata=checkpoint.ADDED)

    assert checkpoint.config_hash(After()) == checkpoint.config_hash(Before())
    assert "noise" not in checkpoint.config_dict(After())
    assert checkpoint.config_dict(After(noise=0.5))["noise"] == 0.5
    assert checkpoint.config_hash(After(noise=0.5)) != checkpoint.config_hash(Before())
