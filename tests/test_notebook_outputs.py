"""What a reader of the static pages sees: the committed outputs of every notebook carry no
machine path, no checkpoint-mismatch message and no unfinished progress bar."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted([*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("solutions/*.ipynb")])
PROBLEMS = [
    (re.compile(r"(?<![\w.])/(?:work|home|tmp|root|Users|var|opt|mnt|private|srv)/[^\s'\"]+"),
     "an absolute machine path"),
    (re.compile(r"[A-Za-z]:\\\\?[\w ]+\\\\"), "an absolute Windows path"),
    (re.compile(r"not using \S+\.pt"), "a checkpoint-mismatch message"),
    (re.compile(r"(?<![0-9])(?!100%)\d{1,3}%\|"), "an unfinished progress bar"),
]


def output_texts(nb: dict):
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            texts = [out.get("text", "")] + [v for k, v in out.get("data", {}).items()
                                              if k.startswith("text/")]
            for t in texts:
                yield i, "".join(t) if isinstance(t, list) else t


def problems(nb: dict) -> list[str]:
    return [f"cell {i}: {why}: {m.group(0)[:80]!r}" for i, text in output_texts(nb)
            for pattern, why in PROBLEMS for m in [pattern.search(text)] if m]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_outputs_are_clean(path):
    found = problems(json.loads(path.read_text()))
    assert not found, "\n".join(found)


def test_the_scan_catches_each_problem():
    def nb(text):
        return {"cells": [{"outputs": [{"output_type": "stream", "text": text}]}]}
    assert problems(nb("loaded /work/x/data/checkpoints/a.pt"))
    assert problems(nb("not using digits_cgan_seed0.pt: trained with config ..."))
    assert problems(nb("VAE:   0%|          | 0/3000 [00:00<?, ?it/s]"))
    assert problems(nb("VAE:  57%|#####     | 1710/3000"))
    assert not problems(nb("VAE: 100%|##########| 3000/3000 [00:10<00:00, loss=1.2]"))
    assert not problems(nb("test bits/dim 0.387, 25/25 modes, 96.2% high quality"))


CHAPTERS = sorted(ROOT.glob("chapters/[0-9][0-9]_*.ipynb"))
RUN_TIME = re.compile(r"chapter run time: \d+ s \(profile=lecture, threads=\d+, device=\w+")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_each_chapter_ends_by_printing_its_lecture_run_time(path):
    """A static page says how long the chapter took, in which profile, on what."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    last = cells[-1]
    assert "".join(last["source"]).strip() == "run_time()"
    text = "".join(t for _, t in output_texts({"cells": [last]}))
    assert RUN_TIME.search(text), f"{path.name}: re-execute it (make notebooks); last output {text!r}"
