"""Independent trainings of one claim test, run side by side in processes of one torch
thread each.

The course's networks are small, so a second thread speeds one run up by about 20% while
a second process doubles the throughput: the longest claim tests (three seeds of the
tuned WGAN, the loss comparison's 21 runs) take about half as long this way. One thread
is also the setting the stored notebooks were made with, so each run gives exactly the
numbers its chapter prints. Workers start fresh ("spawn"): a forked copy of a process
that has already used torch's thread pool can hang.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

import torch


def _one_thread():
    torch.set_num_threads(1)


def pmap(fn, items, processes: int | None = None) -> list:
    """``[fn(x) for x in items]``, over up to ``processes`` (default: CPU count) workers.

    ``fn`` must be a module-level function (it is sent to the workers by name). Put the
    longest items first: each worker takes the next item when it is free. Under
    pytest-xdist the CPUs are already shared out among its processes.
    """
    items = list(items)
    cpus = (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", 1))
    n = min(len(items), processes or max(1, cpus))
    if n <= 1:
        before = torch.get_num_threads()
        _one_thread()
        try:
            return [fn(x) for x in items]
        finally:
            torch.set_num_threads(before)
    with ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_one_thread) as pool:
        return list(pool.map(fn, items))
