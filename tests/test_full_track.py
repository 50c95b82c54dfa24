"""The GPU track's CPU rehearsal, and the mechanisms it rests on: a time budget per
family, a step cap for rehearsing the full profile, and the train / held-out split that
an offline machine with only the MNIST test split falls back to."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from conftest import require_mnist
from gmcourse import bench, recipes
from gmcourse.benchmarks import full

ROOT = Path(__file__).resolve().parent.parent


def test_the_cpu_rehearsal_gives_every_family_its_row():
    """``python -m gmcourse.bench full`` in the smoke profile: every family built at full
    size, trained (>= 1 optimiser step), sampled and scored, each in its own row."""
    require_mnist()
    env = {**os.environ, "GMCOURSE_PROFILE": "smoke"}
    out = subprocess.run([sys.executable, "-m", "gmcourse.bench", "full"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {r["metric"]: r for r in json.loads((bench.RESULTS / "full-smoke.json").read_text())}
    assert "scored on" in rows["data"]["value"]
    floor = rows["FID floor: training vs held-out images"]
    assert math.isfinite(floor["fid"]) and floor["fid"] >= 0
    for fam in full.FAMILIES:
        r = rows[fam.label]
        planned = recipes.full_profile()[fam.label].config.train.steps
        assert r["steps"] >= 1 and r["planned_steps"] == planned
        assert r["batch"] == full.SMOKE["batch_size"]
        for key in ("fid", "precision", "recall", "samples_per_s", "steps_per_s",
                    "projected_full_s", "value"):
            assert math.isfinite(r[key]), (fam.label, key)
        # the rehearsal runs bf16 autocast on the CPU wherever a GPU would use it
        assert r["precision_mode"].startswith("bf16 autocast" if fam.amp else "fp32")
        assert "reference_source" in r
        if fam.likelihood is not None:
            assert any(k.startswith("test ") and math.isfinite(r[k]) for k in r), fam.label
    print(out.stdout[-2500:])


def test_the_full_profile_builds_each_family_at_full_size():
    """The rehearsal trains these very recipes; their networks are the full profile's."""
    table = recipes.full_profile("mnist") if _has_mnist() else None
    if table is None:
        pytest.skip("MNIST test split not available offline")
    assert set(table) == {f.label for f in full.FAMILIES}
    assert table["gated PixelCNN"].config.levels == 256
    assert table["gated PixelCNN"].config.shape == (1, 28, 28)
    assert table["Glow"].config.levels == 256 and table["Glow"].config.hidden == 256
    assert table["VAE"].config.latent_dim == 50 and table["VAE"].config.hidden == 200
    assert table["IWAE"].config.k == 50 and table["IWAE"].config.hidden == 200
    assert table["DDPM"].config.ch == 64 and table["NCSN"].config.ch == 64
    assert table["WGAN-GP"].config.train.betas == (0.0, 0.9)


def _has_mnist():
    from gmcourse.data import available
    return available("mnist", "test")


def test_without_a_train_split_the_test_split_is_cut_into_training_and_scoring(monkeypatch):
    require_mnist()
    monkeypatch.setattr(recipes, "available", lambda name, split="test": split == "test")
    assert recipes.training_part("mnist") == ("test", 9000)
    x_train, (x_score, y_score) = recipes.train_part("mnist"), recipes.held_out("mnist", True)
    x_test = recipes.load_images("mnist", "test")
    assert len(x_train) == 9000 and len(x_score) == len(y_score) == 1000
    assert torch.equal(x_train, x_test[:9000]) and torch.equal(x_score, x_test[9000:])
    assert "first 9,000 test images" in recipes.data_note("mnist")
    ddpm = recipes.full_profile("mnist")["DDPM"]
    assert len(ddpm.data()[0]) == 9000  # labelled (images, labels) from the same cut


def test_a_step_cap_shortens_every_recipe_and_its_checkpoint_name(monkeypatch):
    monkeypatch.delenv("GMCOURSE_MAX_STEPS", raising=False)
    uncapped = recipes.checkpoint_name(recipes.for_profile(recipes.GLOW_MNIST))[0]
    monkeypatch.setenv("GMCOURSE_MAX_STEPS", "3")
    capped = recipes.for_profile(recipes.GLOW_MNIST)
    assert capped.config.train.steps == 3
    assert recipes.for_profile(recipes.GLOW_MNIST, steps=10).config.train.steps == 3
    assert recipes.for_profile(recipes.VAE_2D, profile="smoke").config.train.steps == 3
    assert recipes.checkpoint_name(capped)[0] != uncapped


def test_a_budgeted_recipe_is_never_cached():
    with pytest.raises(ValueError, match="time budget"):
        recipes.trained(recipes.VAE_2D.but(budget_s=1.0))
    # and a budget left at None keeps every checkpoint name as it was
    key = recipes.checkpoint_name(recipes.VAE_2D)[1]
    assert "budget_s" not in key["config"]["train"]


def test_benchmark_options_from_the_command_line():
    assert bench.parse(["full", "--budget-s", "20", "--probe-only", "--families=VAE,DDPM",
                        "vae"]) == [("full", {"budget_s": "20", "probe_only": True,
                                              "families": "VAE,DDPM"}), ("vae", {})]
    s = full.settings("lecture", budget_s="20", probe_only=True, families="VAE,DDPM")
    assert (s.budget_s, s.probe_only, s.batch_size) == (20.0, True, None)
    assert s.families == ("VAE", "DDPM")
    assert full.settings("smoke").batch_size == full.SMOKE["batch_size"]
    with pytest.raises(SystemExit, match="no option --budget"):
        full.settings("lecture", budget="1")
