"""What the exercise tests share: the chapters, and the solutions run once each."""
import contextlib
import io
import runpy
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = {"00": "00_introduction", "01": "01_divergences", "02": "02_gans", "03": "03_wgan",
         "04": "04_vae", "05": "05_flows", "06": "06_autoregressive", "07": "07_ddpm",
         "08": "08_score_langevin", "09": "09_evaluation"}


@lru_cache(maxsize=None)
def solved(chapter: str):
    """Run solutions/NN_topic.py once: (its namespace, what its checks printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = runpy.run_path(str(ROOT / "solutions" / f"{NAMES[chapter]}.py"))
    return namespace, out.getvalue()


def solution(key: str, name: str):
    return solved(key[:2])[0][name]
