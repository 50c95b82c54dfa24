"""GANs on the ring of 8 and the grid of 25 (3 seeds), the conditional DCGAN on digits,
and the chapters' widget update time.

Targets (issue 4): best recipe 8/8 modes on the ring and >= 24/25 on the grid, each with
>= 80% high-quality samples, each run <= 90 s on a 2-core CPU; the conditional DCGAN's
samples classified as the requested class >= 90% of the time, in <= 3 minutes.
Published (PacGAN, Table 3): PacGAN4 ring 7.8/8 at 95.9%, grid 24.8/25 at 93.6%;
VEEGAN ring 8/8 at 52.9%, grid 24.6/25 at 40%.

"vanilla GAN" is ``gan_experiments.VANILLA`` (non-saturating loss, Adam 1e-3, 3,000 steps),
reported as measured. "best recipe" is ``gan_experiments.BEST``, one recipe for both
targets: R1 penalty (gamma 0.03), a moving average of G, lr 2e-3 decayed to 0 over 7,000
steps, then discriminator rejection sampling after 500 calibration steps of D. Its rows
count the samples DRS accepts; ``seconds`` is the slowest seed's training (calibration
included). Each run takes about a minute at GMCOURSE_THREADS=1.
"""
import statistics
import time


from ..gan_experiments import BEST, VANILLA, coverage_run, recipe


def _coverage_rows(profile):
    seeds = [0] if profile == "smoke" else [0, 1, 2]
    rows = []
    for target in ("ring8", "grid25"):
        for name, base in (("vanilla GAN", VANILLA), ("best recipe", BEST)):
            runs = []
            for seed in seeds:
                cfg = recipe(base, target=target, seed=seed,
                             steps=300 if profile == "smoke" else base.steps)
                r = coverage_run(cfg)
                runs.append(r)
                print(f"{target} {name} seed {seed}: {r['modes']}/{r['total']} modes, "
                      f"{100 * r['high_quality']:.1f}% high quality, {r['seconds']:.1f} s",
                      flush=True)
            rows.append({"metric": f"{target}: {name}",
                         "modes": statistics.mean(r["modes"] for r in runs),
                         "min_modes": min(r["modes"] for r in runs),
                         "value": statistics.mean(r["high_quality"] for r in runs),
                         "min_hq": min(r["high_quality"] for r in runs),
                         "reverse_kl": statistics.mean(r["reverse_kl"] for r in runs),
                         "accept": statistics.mean(r["accept_rate"] for r in runs),
                         "seconds": max(r["seconds"] for r in runs), "seeds": len(runs)})
    return rows


def _cgan_row(profile):
    import torch
    from ..classifier import digit_classifier
    from .. import recipes
    steps = 100 if profile == "smoke" else recipes.CGAN_DIGITS.config.train.steps
    t0 = time.perf_counter()
    gan, _ = recipes.train(recipes.CGAN_DIGITS, steps=steps, progress=False)
    seconds = time.perf_counter() - t0
    labels = torch.arange(1000) % 10
    acc = digit_classifier().accuracy(gan.sample(1000, labels), labels)
    return {"metric": "conditional DCGAN on digits: classified as requested", "value": acc,
            "seconds": seconds, "steps": steps}


def _widget_row():
    from ..widgets import draw_dirac_gan, update_ms
    times, _ = update_ms(draw_dirac_gan, [{"method": m, "h": 0.3, "gamma": 0.1}
                                          for m in ("simultaneous", "alternating", "rk4")])
    return {"metric": "Dirac-GAN widget update: median ms", "value": statistics.median(times)}


def run(profile):
    return [_widget_row(), *_coverage_rows(profile), _cgan_row(profile)]
