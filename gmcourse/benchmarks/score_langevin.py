"""NCSN's Figure 3 with numbers: plain vs annealed Langevin (exact scores) on the 0.2 / 0.8
two-mode mixture, 3 seeds; and the time of one update of chapter 08's widget."""
import time

import matplotlib

from ..score import Fig3Config, fig3, mode_weights, two_modes
from ..widgets import update_ms
from ..figures import draw_annealed_langevin


def run(profile):
    cfg = Fig3Config() if profile != "smoke" else Fig3Config(n=300, steps=100, steps_each=10)
    p = two_modes()
    rows, errors = [], {"plain": [], "annealed": []}
    for seed in range(3):
        t0 = time.perf_counter()
        r = fig3(cfg, seed=seed)
        seconds = time.perf_counter() - t0
        for name in errors:
            w = mode_weights(r[name], p)
            errors[name].append((w - p.weights).abs().max().item())
            rows.append({"metric": f"{name} Langevin: max weight error", "seed": seed,
                         "value": errors[name][-1], "weight_low_mode": w[0].item(),
                         "seconds": seconds})
            print(rows[-1], flush=True)
    for name, e in errors.items():
        rows.append({"metric": f"{name} Langevin: max weight error, mean of 3 seeds",
                     "value": sum(e) / len(e), "target": "< 0.05" if name == "annealed" else ""})
    rows += widget_rows()
    return rows


def widget_rows(repeats: int = 7):
    """Median seconds of one draw of ``draw_annealed_langevin`` (target < 0.3 s)."""
    matplotlib.use("Agg")

    rows = []
    for kw in [dict(eps=0.1, steps=50, levels=10), dict(eps=0.1, steps=100, levels=10)]:
        times, _ = update_ms(draw_annealed_langevin, [kw] * repeats, figsize=(5, 5))
        rows.append({"metric": f"widget draw {kw}: median seconds",
                     "value": sorted(times)[repeats // 2] / 1000,
                     "target": "< 0.3"})
        print(rows[-1], flush=True)
    return rows
