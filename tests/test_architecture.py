"""The package's shape: family files hold models only, no import cycles, few local imports."""
import ast
from pathlib import Path

import gmcourse

PKG = Path(gmcourse.__file__).parent
FAMILIES = ["gan", "gan_tricks", "moment_matching", "wgan", "vae", "vqvae", "flows", "flows_spline", "flows_image", "pixelcnn",
            "diffusion", "score", "sde", "flow_matching", "consistency", "transformer", "ebm", "diffusion_vlb",
            "diffusion_edit", "vae_priors", "vae_posteriors", "param", "guidance", "latent_diffusion"]


def _modules():
    return {p.stem: p for p in PKG.glob("*.py") if p.stem != "__init__"}


def _package_imports(path: Path, levels=(1,)):
    """(module imported, line, inside a function?) for every relative import of the package
    (``from .x``; with ``levels=(1, 2)`` a subpackage's ``from ..x`` too)."""
    tree = ast.parse(path.read_text())
    local = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level in levels:
            names = [node.module] if node.module else [a.name for a in node.names]
            for name in names:
                yield name.split(".")[0], node.lineno, id(node) in local


def test_no_import_cycle_inside_the_package():
    mods = _modules()
    graph = {m: {n for n, _, _ in _package_imports(p) if n in mods} for m, p in mods.items()}
    state = {}

    def visit(m, path):
        state[m] = "open"
        for n in graph[m]:
            assert state.get(n) != "open", f"import cycle: {' -> '.join(path + [n])}"
            if n not in state:
                visit(n, path + [n])
        state[m] = "done"
    for m in graph:
        if m not in state:
            visit(m, [m])


def test_at_most_five_function_local_imports_each_saying_why():
    """Over the whole package, its benchmarks and exercise checkers included."""
    found = []
    for p in sorted(PKG.rglob("*.py")):
        m = p.relative_to(PKG).with_suffix("").as_posix()
        lines = p.read_text().splitlines()
        for name, line, local in _package_imports(p, levels=(1, 2)):
            if local:
                found.append(f"{m}:{line}")
                assert "#" in lines[line - 1], f"{m}.py:{line} imports .{name} locally without saying why"
    assert len(found) <= 5, found


def test_family_files_hold_models_only():
    for m in FAMILIES:
        path = PKG / f"{m}.py"
        imported = {n for n, _, _ in _package_imports(path)}
        assert not imported & {"checkpoint", "train", "recipes"}, (m, imported)
        assert len(path.read_text().splitlines()) <= 300, m


def test_the_package_docstring_names_every_module():
    doc = gmcourse.__doc__
    missing = [m for m in _modules() if f"    {m} " not in doc]
    assert not missing, missing
