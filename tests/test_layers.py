"""The package's layers: a module imports only from its own package or a lower layer, never upwards.

Read with `ast`, so lazy imports inside functions count too. The order is the one the code satisfies;
a peer package of the same layer (curves and decomposers, say) may not import the other either.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "decomp"

# Lowest first. `decomp` is the package's own `__init__` (its `__version__`).
LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(layer) for layer in (
    {"decomp", "types", "errors", "io", "registry", "hashing", "precision", "provenance"},
    {"qdmr"},
    {"data"},
    {"metrics"},  # scores examples: reads `data.schema` and the dataset registry's metric choice
    {"strategies"},
    {"readers"},
    {"adapt"},  # trains a reader's starting point (readers.starts resolves it for every reader)
    {"curves", "decomposers"},
    {"leaderboard", "lightning_cli"},
    {"cli"},
))
RANK = {name: rank for rank, layer in enumerate(LAYERS) for name in layer}


def part(module: str) -> str:
    """The layer-level name of a module: `decomp.data.cache` -> `data`, `decomp` -> `decomp`."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def imported(module: str, source: str, is_package: bool = False) -> list[str]:
    """Every `decomp` module that `source` (the text of `module`) imports, at any depth of the tree."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: climb from the module's package
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                names.append(node.module)
    return [n for n in names if n == "decomp" or n.startswith("decomp.")]


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    """`module -> target` for each import of a higher layer or of a peer package in the same layer."""
    here = part(module)
    if here not in RANK:
        return [f"{module}: package {here!r} is in no layer of tests/test_layers.py"]
    bad = []
    for target in imported(module, source, is_package):
        there = part(target)
        if there == here:
            continue
        rank = RANK.get(there)
        if rank is None or rank > RANK[here] or (rank == RANK[here] and rank > 0):
            bad.append(f"{module} -> {target}")
    return bad


def scan(root: Path) -> list[str]:
    """The violations of every module under `root` (a `decomp` package folder)."""
    bad = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        bad += violations(module, path.read_text(encoding="utf-8"), is_package)
    return bad


def test_no_module_imports_a_higher_layer():
    assert scan(ROOT) == []


@pytest.mark.parametrize(("module", "source"), [
    ("decomp.data.features", "from decomp.readers.batching import pad_features"),
    ("decomp.strategies.prior", "def f():\n    from decomp.readers.scoring import score\n"),  # lazy
    ("decomp.data.features", "import decomp.readers"),
    ("decomp.data.features", "from ..readers import base"),  # relative
    ("decomp.metrics.drop", "from decomp.strategies import STRATEGIES"),
    ("decomp.curves.runner", "from decomp.decomposers import rules"),  # a peer of the same layer
    ("decomp.leaderboard.rows", "from decomp.cli import main"),
    ("decomp.newpkg.mod", "import os"),  # a new package must be placed in a layer
])
def test_an_upward_import_is_caught(module, source):
    assert violations(module, source)


@pytest.mark.parametrize(("module", "source"), [
    ("decomp.readers.base", "from decomp.data.batching import pad_features\nfrom decomp.metrics import scoring"),
    ("decomp.data.cache", "from decomp import __version__"),
    ("decomp.data.features", "from . import cache\nfrom .schema import Example"),
    ("decomp.io", "from decomp.errors import ConfigError"),  # the bottom layer's modules share it
])
def test_a_downward_import_passes(module, source):
    assert violations(module, source) == []


def test_an_injected_bad_module_fails_the_scan(tmp_path):
    package = tmp_path / "decomp" / "data"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "bad.py").write_text("def load():\n    from decomp.readers import REGISTRY\n")
    assert scan(tmp_path / "decomp") == ["decomp.data.bad -> decomp.readers"]


def test_the_leaderboard_imports_no_torch():
    # The report is rebuilt on machines without a GPU stack: no module of it may pull torch in.
    code = ("import pkgutil, importlib, sys, decomp.leaderboard as lb\n"
            "for info in pkgutil.walk_packages(lb.__path__, 'decomp.leaderboard.'):\n"
            "    importlib.import_module(info.name)\n"
            "print(sorted(m for m in ('torch', 'lightning', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT.parent).stdout
    assert out.strip() == "[]"
