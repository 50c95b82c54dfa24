"""Exercises with automatic checkers, one call per exercise from the chapters:

    from gmcourse.exercises import check, hint
    check("04.elbo", elbo)      # prints ✓ / ✗ with what is wrong / · not attempted yet
    hint("04.elbo")             # prints the hint

`python -m gmcourse.exercises [NOTEBOOKS]` prints the progress read from the notebooks'
stored outputs. Each chapter's checkers live in chNN.py and register themselves on import.
"""
import importlib

from .core import (REGISTRY, Result, Row, Wrong, check, exercises, hint, progress, register,
                   report, run_checker)

__all__ = ["check", "hint", "register", "Result", "Wrong", "progress", "exercises",
           "report", "run_checker", "REGISTRY", "Row"]

# One checker module per chapter. A module not written yet is skipped; any other import
# error inside an existing module is raised.
CHAPTER_MODULES = ("ch00", "ch01", "ch02", "ch03", "ch04",
                   "ch05", "ch06", "ch07", "ch08", "ch09")
for _name in CHAPTER_MODULES:
    try:
        importlib.import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _e:
        if _e.name != f"{__name__}.{_name}":
            raise
