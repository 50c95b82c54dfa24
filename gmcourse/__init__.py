"""gmcourse: compact implementations of deep generative models for the course notebooks.

Modules (one per topic, read top to bottom):
    config       profiles (smoke / lecture / full), device, seeding, threads
    data         2D toy distributions with exact log-densities; image datasets
    nn           shared networks (MLP, conv nets, time embedding, ...)
    train        one generic training loop, `fit`, and the step runner it shares
    viz          2D densities and samples, image grids, training curves
    widgets      ipywidgets helpers whose callbacks are plain, testable functions
    metrics      mode coverage on 2D mixtures, sample-based scores
    classifier   a small classifier of real digits, reused by several chapters
"""

__version__ = "0.1.0"
