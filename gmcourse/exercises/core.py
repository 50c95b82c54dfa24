"""The exercise registry, the `check` / `hint` calls the chapters make, and progress.

An exercise is a key "NN.name" (NN the chapter), a title, a kind ("code": the student
writes a function the checker runs; "derivation": the student derives a formula or a
number the checker verifies numerically; "concept": a choice or a prediction), a hint
and a checker. A checker receives the student's answer (a function or a number), tests
it against an oracle the answer cannot share (a closed form, autograd, an exact
posterior, a bound), and either returns (a Result, or a short confirmation string) or
raises `Wrong("what is wrong, on which input, expected vs received")`.

Every check prints one line that starts with a status mark and the key, e.g.
    ✓ 04.elbo passed: ...
    ✗ 04.elbo failed: ...
    · 04.elbo not attempted yet: ...
`progress()` reads these lines back from the stored outputs of the student's notebooks.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

KINDS = ("code", "derivation", "concept")
PASSED, FAILED, NOT_ATTEMPTED = "passed", "failed", "not attempted"
MARKS = {PASSED: "✓", FAILED: "✗", NOT_ATTEMPTED: "·"}
KEY = re.compile(r"^\d\d\.[a-z][a-z0-9_]*$")
LINE = re.compile(r"^[✓✗·] (\d\d\.[a-z][a-z0-9_]*) (passed|failed|not attempted)\b", re.M)


@dataclass(frozen=True)
class Result:
    """The outcome of one check; `status` is passed, failed or not attempted."""
    passed: bool
    message: str
    key: str = ""
    status: str = ""

    def __post_init__(self):
        if not self.status:
            object.__setattr__(self, "status", PASSED if self.passed else FAILED)

    def __bool__(self):
        return self.passed

    def _ipython_display_(self):
        """As a cell's value: nothing more when check() has printed the line already."""
        if not getattr(self, "_printed", False):
            print(self.line())

    def line(self) -> str:
        return f"{MARKS[self.status]} {self.key} {self.status}" + \
            (" yet" if self.status == NOT_ATTEMPTED else "") + f": {self.message}"


class Wrong(Exception):
    """Raised by a checker: its message says what is wrong, in words a student can act on."""


class NotAttempted(Exception):
    """Raised when the answer is still a stub (None, ..., or raises NotImplementedError)."""


@dataclass(frozen=True)
class Exercise:
    key: str
    title: str
    kind: str
    hint: str
    checker: Callable


REGISTRY: dict[str, Exercise] = {}


# Titles, kinds and hints are prose: they live in exercises.toml, beside the checkers,
# where a lecturer can reword a hint without touching code.
TEXTS = Path(__file__).with_name("exercises.toml")


def _texts() -> dict:
    global _TEXTS
    if _TEXTS is None:
        with open(TEXTS, "rb") as f:
            _TEXTS = tomllib.load(f)
    return _TEXTS


_TEXTS = None


def register(key: str):
    """Decorator: register `checker(answer) -> Result | str | None` under `key`, with the
    title, kind and hint exercises.toml gives that key."""
    if not KEY.match(key):
        raise ValueError(f"exercise key {key!r} is not of the form 'NN.name'")
    if key not in _texts():
        raise ValueError(f"exercise {key!r} has no entry in {TEXTS.name}: add its title, "
                         "kind and hint there")
    meta = _texts()[key]
    if meta.get("kind") not in KINDS:
        raise ValueError(f"exercise {key!r}: kind {meta.get('kind')!r} is not one of {KINDS}")
    # the file wraps long hints over lines; a hint is one paragraph
    title, hint = " ".join(meta["title"].split()), " ".join(meta["hint"].split())

    def decorate(checker):
        if key in REGISTRY and REGISTRY[key].checker.__qualname__ != checker.__qualname__:
            raise ValueError(f"exercise {key!r} is registered twice")
        REGISTRY[key] = Exercise(key, title, meta["kind"], hint, checker)
        return checker
    return decorate


def exercises(chapter: str | None = None) -> list[Exercise]:
    """Registered exercises in key order, optionally of one chapter ("04")."""
    return [REGISTRY[k] for k in sorted(REGISTRY) if chapter is None or k[:2] == chapter]


def _lookup(key: str) -> Exercise:
    if key not in REGISTRY:
        near = [k for k in REGISTRY if k[:2] == key[:2]]
        raise KeyError(f"no exercise {key!r}; chapter {key[:2]} has {near}")
    return REGISTRY[key]


def run_checker(key: str, answer) -> Result:
    """Run one checker without printing; never raises for a wrong or unfinished answer."""
    ex = _lookup(key)
    try:
        if answer is None or answer is Ellipsis:
            raise NotAttempted("replace the stub (`...` / `raise NotImplementedError`) "
                               "with your answer, then run this cell again")
        import torch
        with torch.random.fork_rng(devices=[]):  # checkers seed; the student's RNG is kept
            out = ex.checker(answer)
    except (NotAttempted, NotImplementedError) as e:
        msg = str(e) if isinstance(e, NotAttempted) else \
            "your function still raises NotImplementedError: fill it in, then run this cell again"
        return Result(False, msg, key, NOT_ATTEMPTED)
    except Wrong as e:
        return Result(False, str(e), key)
    except Exception as e:  # the student's code crashed inside the checker
        return Result(False, f"your answer raised {type(e).__name__}: {e}", key)
    if isinstance(out, Result):
        return Result(out.passed, out.message, key, out.status if out.status else "")
    return Result(True, out if isinstance(out, str) else "correct", key)


def check(key: str, answer) -> Result:
    """Check `answer` for exercise `key`, print one line saying how it went, return it."""
    result = run_checker(key, answer)
    print(result.line())
    object.__setattr__(result, "_printed", True)  # a cell ending in check(...) shows it once
    return result


def hint(key: str) -> None:
    """Print the exercise's hint (it never shows the solution)."""
    ex = _lookup(key)
    print(f"Hint for {key} ({ex.title}): {ex.hint}")


# --- helpers for checkers --------------------------------------------------------------

def call(fn, *args, what: str = "your function", **kwargs):
    """Call the student's function; a stub (None / ... returned) counts as not attempted."""
    if not callable(fn):
        raise Wrong(f"expected a function, got {type(fn).__name__} {fn!r}")
    out = fn(*args, **kwargs)
    if out is None or out is Ellipsis:
        raise NotAttempted(f"{what} returned {out!r}: fill it in (did you forget `return`?)")
    return out


def number(answer, *, what: str = "your answer") -> float:
    """The answer as a float (a Python number, 0-d tensor or array)."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted("replace `...` with your number")
    try:
        value = float(answer.item() if hasattr(answer, "item") else answer)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be a number, got {type(answer).__name__} {answer!r}")
    if not math.isfinite(value):
        raise Wrong(f"{what} is {value}: not a finite number")
    return value


def fmt(x, digits: int = 4) -> str:
    """A short readable form of a number, tensor or array for feedback messages."""
    if hasattr(x, "detach"):
        x = x.detach().cpu()
        if x.numel() == 1:
            return f"{x.item():.{digits}g}"
        flat = ", ".join(f"{v:.{digits}g}" for v in x.flatten()[:4].tolist())
        if x.numel() <= 4 and x.dim() == 1:
            return f"[{flat}]"
        return f"shape {tuple(x.shape)} [{flat}" + (", ...]" if x.numel() > 4 else "]")
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return repr(x)


def _worst(r, e) -> str:
    """Where two same-shaped tensors differ most, in words."""
    if r.numel() <= 1:
        return ""
    i = (r - e).abs().flatten().argmax().item()
    idx = tuple(int(v) for v in torch_unravel(i, r.shape))
    return (f" (largest difference at index {idx[0] if len(idx) == 1 else idx}: "
            f"expected {e.flatten()[i].item():.4g}, got {r.flatten()[i].item():.4g})")


def torch_unravel(i: int, shape) -> list[int]:
    out = []
    for n in reversed(shape):
        out.append(i % n)
        i //= n
    return out[::-1]


def _close(a, b, rtol, atol) -> bool:
    import torch
    a = torch.as_tensor(a, dtype=torch.float64)
    b = torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and bool(torch.allclose(a, b, rtol=rtol, atol=atol))


def expect(received, expected, *, what: str, on: str = "", mistakes: dict | None = None,
           rtol: float = 1e-4, atol: float = 1e-5) -> None:
    """Raise Wrong unless `received` matches `expected`.

    `mistakes` maps a description of a likely mistake ("the KL has the wrong sign") to the
    value that mistake would give on the same input: when the received value matches one,
    the message names it. `on` describes the failing input.
    """
    import torch
    r = torch.as_tensor(received.detach() if hasattr(received, "detach") else received,
                        dtype=torch.float64)
    e = torch.as_tensor(expected.detach() if hasattr(expected, "detach") else expected,
                        dtype=torch.float64)
    where = f" on {on}" if on else ""
    if r.shape != e.shape:
        if r.numel() == e.numel():
            hint_ = " (same number of entries: a reshape or transpose?)"
        elif r.dim() == e.dim():
            hint_ = " (reduced over the wrong axis?)"
        elif r.dim() < e.dim():
            hint_ = " (did you sum or average over an axis that should stay?)"
        else:
            hint_ = " (did you forget to sum over an axis?)"
        raise Wrong(f"{what}{where} has shape {tuple(r.shape)}, expected "
                    f"{tuple(e.shape)}{hint_}")
    if not torch.isfinite(r).all():
        raise Wrong(f"{what}{where} contains NaN or inf: {fmt(r)}")
    if _close(r, e, rtol, atol):
        return
    for mistake, value in (mistakes or {}).items():
        v = torch.as_tensor(value.detach() if hasattr(value, "detach") else value,
                            dtype=torch.float64)
        if v.shape == r.shape and _close(r, v, rtol, atol):
            raise Wrong(f"{what}{where} looks like {mistake}: expected {fmt(e)}, "
                        f"got {fmt(r)}{_worst(r, e)}")
    raise Wrong(f"{what}{where} is wrong: expected {fmt(e)}, got {fmt(r)}{_worst(r, e)}")


# --- progress from the student's notebooks -----------------------------------------------

@dataclass(frozen=True)
class Row:
    key: str
    title: str
    kind: str
    status: str
    notebook: str


def _default_paths() -> list[Path]:
    here = Path.cwd()
    for folder in (here / "chapters", here, Path(__file__).resolve().parents[2] / "chapters"):
        found = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
        if found:
            return found
    return []


def _notebook_text(path: Path) -> str:
    """All text outputs stored in a notebook, in cell order."""
    import json
    book = json.loads(Path(path).read_text(encoding="utf-8"))
    parts = []
    for cell in book.get("cells", []):
        for out in cell.get("outputs", []):
            text = out.get("text", out.get("data", {}).get("text/plain", ""))
            parts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(parts)


def progress(paths=None) -> list[Row]:
    """One row per registered exercise: its latest status found in the notebooks' stored
    outputs (the line each check prints), or "not attempted" when no check of it ran.

    `paths`: notebooks or folders of notebooks; default: chapters/*.ipynb."""
    if paths is None:
        files = _default_paths()
    else:
        files = []
        for p in [paths] if isinstance(paths, (str, Path)) else paths:
            p = Path(p)
            files += sorted(p.glob("*.ipynb")) if p.is_dir() else [p]
    seen: dict[str, tuple[str, str]] = {}
    for f in files:
        for key, status in LINE.findall(_notebook_text(f)):
            seen[key] = (status, Path(f).name)
    return [Row(ex.key, ex.title, ex.kind, *seen.get(ex.key, (NOT_ATTEMPTED, "")))
            for ex in exercises()]


def report(rows: list[Row]) -> str:
    """The progress table as text, with a total."""
    lines = []
    for r in rows:
        lines.append(f"{MARKS[r.status]} {r.key:<28} {r.status:<14} {r.kind:<10} {r.title}")
    n = {s: sum(r.status == s for r in rows) for s in MARKS}
    lines.append(f"total: {n[PASSED]} of {len(rows)} passed, {n[FAILED]} failed, "
                 f"{n[NOT_ATTEMPTED]} not attempted")
    return "\n".join(lines)
