"""Mutants: plant each bug of tools/mutants_list.py in a scratch copy of the package and
check that the fast unit tests catch it (tools/mutants.py; not part of the CI run).

One row per mutant (value 1 caught, 0 missed; stale and broken ones have no value), then
the caught rate, the counts and the pass's wall time. The smoke profile runs only the
issue's three examples (the PixelCNN gate, the R1 weight, the checkpoint hash).
"""
import importlib.util
from pathlib import Path

TOOLS = Path(__file__).resolve().parents[2] / "tools"
SMOKE = ("pixelcnn.gate-tanh", "gan.r1-weight", "checkpoint.hash-skips-last")


def _runner():
    path = TOOLS / "mutants.py"
    if not path.exists():
        raise SystemExit(f"the mutation pass needs the repository's tools/ ({path} not found)")
    spec = importlib.util.spec_from_file_location("gmcourse_mutants", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(profile):
    runner = _runner()
    mutants = runner.select()
    if profile == "smoke":
        mutants = [m for m in mutants if m.name in SMOKE]
    results, seconds = runner.run(mutants)
    value = {"caught": 1, "missed": 0}
    rows = [{"metric": f"mutant {r['name']}", "value": value.get(r["status"], ""),
             "status": r["status"], "seconds": r["seconds"], "caught_by": r["caught_by"]}
            for r in results]
    s = runner.summary(results)
    rows.append({"metric": "caught rate (caught / (caught + missed))", "value": s["rate"],
                 "status": f"{s['caught']} caught, {s['missed']} missed, {s['stale']} stale, "
                           f"{s['broken']} broken of {s['total']}"})
    rows += [{"metric": f"mutants {k}", "value": s[k]}
             for k in ("caught", "missed", "stale", "broken")]
    rows.append({"metric": "pass wall time (s)", "value": seconds, "seconds": seconds})
    return rows
