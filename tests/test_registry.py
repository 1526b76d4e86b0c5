"""Registries discover their members: every module of the package, plus entry-point plug-ins. A strategy
added in one temporary file (a plug-in) shows up in the config grid, the CLI and a curve with no other edit."""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import json
import pkgutil
import sys
from pathlib import Path

import pytest
import yaml

from decomp import lightning_cli
from decomp.cli import main
from decomp.curves.store import read_rows
from decomp.data.datasets import get_dataset
from decomp.errors import ConfigError
from decomp.lightning_cli import DecompCLI
from decomp.readers import REGISTRY as READERS
from decomp.readers import ReaderModule, class_path
from decomp.registry import Registry
from decomp.strategies import REGISTRY as STRATEGIES
from decomp.strategies import Strategy, register
from tests.curves.conftest import tiny_config

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

PLUGIN = '''
from decomp.strategies.base import Strategy, register, whole_question


@register
class Shouting(Strategy):
    """Asks the question in capitals: a strategy that lives outside the package."""

    name = "shouting"
    format_version = 3
    needs_decomposition = False

    def training_inputs(self, example):
        return [whole_question(example, example.question.upper())]
'''


def defined_in(package: str, base: type) -> dict[type, str]:
    """Every subclass of `base` defined in a module of `package`, by its module: what discovery must find."""
    found = {}
    for info in pkgutil.iter_modules(importlib.import_module(package).__path__, f"{package}."):
        for _, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
            if issubclass(cls, base) and cls.__module__ == info.name and not inspect.isabstract(cls):
                found[cls] = info.name
    return found


def test_every_strategy_module_is_discovered():
    defined = defined_in("decomp.strategies", Strategy)
    assert {STRATEGIES[cls.name] for cls in defined} == set(defined)  # each class under its own name
    package = {n: c for n, c in STRATEGIES.items() if c.__module__.startswith("decomp.strategies.")}
    assert set(package.values()) == set(defined)


def test_every_reader_module_is_discovered_and_configs_name_the_package_path():
    defined = defined_in("decomp.readers", ReaderModule)
    defined.pop(ReaderModule, None)
    assert set(defined) == {c for c in READERS.values() if c.__module__.startswith("decomp.readers.")}
    assert {"extractive", "generative"} <= set(READERS)
    assert class_path("extractive") == "decomp.readers.ExtractiveReader"
    import decomp.readers

    assert all(getattr(decomp.readers, class_path(kind).rsplit(".", 1)[1]) is READERS[kind]
               for kind in READERS if READERS[kind].__module__.startswith("decomp.readers."))


def test_a_duplicate_name_names_both_classes():
    class Impostor(Strategy):
        name = "none"
        format_version = 1

        def training_inputs(self, example):
            return []

    with pytest.raises(ConfigError) as error:
        register(Impostor)
    message = str(error.value)
    assert "decomp.strategies.none.NoDecomposition" in message
    assert f"{__name__}.test_a_duplicate_name_names_both_classes.<locals>.Impostor" in message
    assert STRATEGIES["none"].__module__ == "decomp.strategies.none"  # the first stays


def test_a_strategy_must_declare_its_own_format_version():
    class Unversioned(Strategy):
        name = "unversioned"

        def training_inputs(self, example):
            return []

    with pytest.raises(ConfigError, match="format_version"):
        register(Unversioned)
    assert "unversioned" not in STRATEGIES
    assert all(STRATEGIES[name]().describe()["format_version"] >= 1 for name in ("none", "explicit"))


def test_unknown_names_list_the_known_ones_and_behave_as_a_mapping():
    with pytest.raises(ConfigError, match="unknown strategy 'bogus'; known: explicit, explicit-hybrid"):
        STRATEGIES["bogus"]
    assert STRATEGIES.get("bogus") is None and "bogus" not in STRATEGIES
    assert dict(STRATEGIES.items())["none"] is STRATEGIES["none"]


def test_a_class_loaded_twice_from_one_place_is_not_a_duplicate():
    registry = Registry("widget", "decomp.strategies", group="decomp.test-widgets")
    first = type("Widget", (), {"__module__": "somewhere"})
    again = type("Widget", (), {"__module__": "somewhere"})  # e.g. a module reloaded
    other = type("Gadget", (), {"__module__": "elsewhere"})
    registry.add("w", first)
    assert registry.add("w", again) is again
    with pytest.raises(ConfigError, match="'w': elsewhere.Gadget and somewhere.Widget both register it"):
        registry.add("w", other)


def test_class_entry_points_register_and_a_broken_plugin_fails_every_read(tmp_path, monkeypatch):
    (tmp_path / "decomp_widget.py").write_text("class Widget:\n    pass\n")
    (tmp_path / "decomp_broken.py").write_text("raise ImportError('the plug-in needs a missing package')\n")
    info = tmp_path / "decomp_widgets-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: decomp-widgets\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[decomp.test-widgets]\nwidget = decomp_widget:Widget\n\n"
                                           "[decomp.test-broken]\nbroken = decomp_broken\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    # prefix "none": of the package only none.py is imported (it registers into another registry)
    widgets = Registry("widget", "decomp.strategies", group="decomp.test-widgets", prefix="none")
    assert list(widgets) == ["widget"] and widgets["widget"].__module__ == "decomp_widget"
    broken = Registry("gadget", "decomp.strategies", group="decomp.test-broken", prefix="none")
    for _ in range(2):  # never left half-discovered: the import error again, not "unknown gadget"
        with pytest.raises(ImportError, match="needs a missing package"):
            broken["broken"]
    sys.modules.pop("decomp_widget", None)


@pytest.fixture
def shouting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A plug-in distribution on sys.path: one module and an entry point naming it; registries rediscover."""
    (tmp_path / "decomp_shouting.py").write_text(PLUGIN)
    info = tmp_path / "decomp_shouting-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: decomp-shouting\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[decomp.strategies]\nshouting = decomp_shouting\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.setattr(STRATEGIES, "_classes", dict(STRATEGIES._classes))  # restored afterwards
    monkeypatch.setattr(STRATEGIES, "_discovered", False)
    yield tmp_path
    sys.modules.pop("decomp_shouting", None)


def _make_configs():
    spec = importlib.util.spec_from_file_location("make_configs", CONFIGS / "make_configs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # a fit instantiated through the CLI and a one-row tiny curve (~15 s)
def test_a_plugin_strategy_reaches_the_grid_the_cli_and_a_curve(shouting, tmp_path, monkeypatch, capsys):
    assert STRATEGIES["shouting"].__module__ == "decomp_shouting"

    # The config grid: a config per dataset and reader, nothing else changed.
    grid = _make_configs().grid()
    path = CONFIGS / "synthetic" / "extractive-shouting.yaml"
    assert {p for p in grid if p.stem.endswith("-shouting")} == {
        CONFIGS / d / f"{r}-shouting.yaml" for d in ("drop", "hotpotqa", "synthetic") for r in READERS}
    config = yaml.safe_load(grid[path].split("\n", 2)[2])
    assert config["model"]["init_args"]["strategy"] == "shouting"
    written = tmp_path / "extractive-shouting.yaml"
    written.write_text(grid[path])

    # The CLI: the config prints, and instantiates a reader whose strategy is the plug-in's.
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(written), "--print_config"])
    assert exit_.value.code == 0 and "strategy: shouting" in capsys.readouterr().out
    monkeypatch.setattr(lightning_cli, "DecompCLI", functools.partial(DecompCLI, run=False))
    monkeypatch.chdir(tmp_path)
    cli = lightning_cli.run_lightning_cli([
        "--config", str(written), "--model.init_args.model", "tiny-bert",
        "--data.synthetic", json.dumps({"n": 30, "seed": 0, "n_deployed": 10}),
        "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"])
    assert type(cli.model.strategy).__name__ == "Shouting"
    example = get_dataset("synthetic", n=5).pool()[0]
    assert cli.model.strategy.training_inputs(example)[0].question == example.question.upper()

    # A curve: one cell, fixed hyper-parameters; its row records the plug-in and its format version.
    curve = tmp_path / "curve.yaml"
    space = {"lr": 1e-3, "batch_size": 4, "epochs": 1}
    curve.write_text(yaml.safe_dump(tiny_config(strategies=["shouting"], sizes=[6], training_seeds=[0],
                                                tuning={"n_trials": 0, "space": space})))
    assert main(["curve", "--config", str(curve), "--run-dir", str(tmp_path / "run")]) == 0
    (row,), bad = read_rows(tmp_path / "run" / "results.jsonl")
    assert bad == 0 and row["strategy"] == "shouting" and row["strategy_version"] == 3
    assert row["n_eval"] == len(row["examples"]) > 0
