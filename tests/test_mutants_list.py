"""The mutation pass's list (tools/mutants_list.py) stays in step with the code it mutates
and the tests it names: a moved snippet or a renamed test would otherwise turn mutants
"stale" or the whole pass "broken" only when someone next runs the (slow) benchmark."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from mutants_list import MUTANTS  # noqa: E402


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}


def test_names_are_unique():
    names = [m.name for m in MUTANTS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("m", MUTANTS, ids=lambda m: m.name)
def test_snippet_occurs_once_and_the_named_tests_exist(m):
    text = (ROOT / m.file).read_text()
    assert text.count(m.original) == 1, f"{m.name}: snippet found {text.count(m.original)} times in {m.file}"
    assert m.original != m.replacement
    assert m.tests, f"{m.name} names no test"
    for node in m.tests:
        path, _, name = node.partition("::")
        assert (ROOT / path).exists(), f"{m.name}: {path} does not exist"
        if name:
            func = name.split("[")[0].split("::")[-1]
            assert func in _test_names(ROOT / path), f"{m.name}: {path} has no test {func}"
