"""Retrain the lecture profile's models and write them to trained/, the checkpoints shipped
with the course.

    python tools/ship_trained.py            retrain (about an hour on a 2-core CPU)
    python tools/ship_trained.py --from D   ship the checkpoints already in folder D
    ... --prune                             and delete the files of trained/ that D lacks
                                            (a full retrain always does: a file no chapter
                                            or test asked for is a stale config)

The models are the ones the chapter-claim tests and the chapters ask for (the chapters'
own recipes, seeds and steps), trained in a fresh checkpoint folder at one torch thread,
the setting `make notebooks` executes the chapters with, so that the shipped models are
the ones behind the stored outputs: the claim tests run first, then every chapter is
executed in the lecture profile (its stored outputs are rewritten). Every file is checked
against its content hash and the config hash in its name.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLAIM_TESTS = [
    "tests/test_ch06.py", "tests/test_ch06_gated.py", "tests/test_ch06_levels.py",
    "tests/test_claims_ch04.py", "tests/test_claims_ch07.py", "tests/test_claims_ch08.py",
    "tests/test_claims_ch09.py", "tests/test_claims_ch11.py", "tests/test_ddpm_chapter.py",
    "tests/test_diffusion_edit.py", "tests/test_ebm.py", "tests/test_flow_matching_chapter.py",
    "tests/test_flows_chapter.py", "tests/test_flows_chapter_affine.py", "tests/test_score.py",
    "tests/test_gan_chapter.py", "tests/test_wgan_seeds.py", "tests/test_gan_digits.py",
    "tests/test_claims_ch11_guidance.py",
    "tests/test_transformer.py", "tests/test_vae_chapter.py", "tests/test_vae_priors.py",
    "tests/test_why_noise.py",
]


def train_all(dest: Path) -> None:
    # GMCOURSE_CHECKPOINTS reaches the tests' worker processes too (tests/_pool.py)
    env = {**os.environ, "GMCOURSE_THREADS": "1", "GMCOURSE_RETRAIN": "1",
           "GMCOURSE_PROFILE": "lecture", "GMCOURSE_CHECKPOINTS": str(dest)}
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                    *CLAIM_TESTS], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "tools/nb.py", "execute", "chapters"], cwd=ROOT, env=env,
                   check=True)


def ship(src: Path, prune: bool = False) -> None:
    from gmcourse import checkpoint
    out = checkpoint.SHIPPED_DIR
    out.mkdir(exist_ok=True)
    total = 0
    names = {p.name for p in src.glob("*.pt")}
    if prune:
        for old in sorted(out.glob("*.pt")):
            if old.name not in names:
                print(f"{old.name:50s} removed (not in {src.name})")
                old.unlink()
    for path in sorted(src.glob("*.pt")):
        blob = checkpoint.read(path)  # raises on a corrupt file
        assert path.stem.endswith("-" + checkpoint.config_hash(blob["config"])), path.name
        shutil.copyfile(path, out / path.name)
        total += path.stat().st_size
        print(f"{path.name:50s} {path.stat().st_size / 1e3:8.0f} kB")
    print(f"{total / 1e6:.1f} MB in trained/")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from", dest="src", type=Path, help="ship these checkpoints, no training")
    ap.add_argument("--prune", action="store_true",
                    help="with --from: delete the files of trained/ that the folder lacks")
    args = ap.parse_args()
    if args.src:
        ship(args.src, args.prune)
        return
    with tempfile.TemporaryDirectory(prefix="gmcourse-trained-") as tmp:
        train_all(Path(tmp))
        ship(Path(tmp), prune=True)


if __name__ == "__main__":
    main()
