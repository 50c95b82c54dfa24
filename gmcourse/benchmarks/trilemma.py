"""Trilemma: chapter 09's comparison table, every family trained (or loaded) on digits.

Prints one row per model (FID with the local classifier, precision, recall, bits/dim,
samples/s) and the wall time of the whole table, which the lecture profile keeps under
10 minutes on a 2-core CPU.
"""
import time

from .. import compare
from ..classifier import digit_classifier
from ..config import pick
from ..data import load_images


def run(profile):
    t0 = time.perf_counter()
    x_test = load_images("digits", "test")
    rows = compare.trilemma(x_test, digit_classifier(),
                            steps=pick(smoke=2, lecture=None, profile=profile),
                            n=pick(smoke=32, lecture=None, profile=profile))
    seconds = time.perf_counter() - t0
    print(compare.format_table(rows))
    out = [{"metric": f"{r['model']}: {k}", "value": r[k]}
           for r in rows if "missing" not in r
           for k in ("fid", "precision", "recall", "bits_per_dim", "samples_per_s")
           if r[k] is not None]
    return out + [{"metric": "table wall time", "value": seconds, "seconds": seconds}]
