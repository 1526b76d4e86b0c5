from __future__ import annotations

import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from decomp.cli import main
from decomp.curves import signatures
from decomp.curves.config import Budget, load_config, parse_config
from decomp.errors import ConfigError
from tests.curves.conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]


def test_shipped_configs_parse_with_prior_and_an_honest_search_label():
    for path in sorted((REPO / "configs" / "curves").glob("*.yaml")):
        config = load_config(path)
        cells = config.cells()
        assert len(cells) == len(config.readers) * len(config.strategies) * len(config.sizes) * len(
            config.folds) * len(config.subset_seeds)
        assert len({c.key for c in cells}) == len(cells)
        assert "prior" in [s.name for s in config.strategies], path
        assert config.search != "tpe" or config.n_trials > config.startup_trials, path
        # a converged budget can stop early; a fixed one says so
        assert config.budget.kind == ("converged" if config.budget.patience else "fixed")


def test_parsed_values_are_typed_and_defaults_filled():
    config = parse_config(tiny_config(budget={"max_steps": 30, "patience": 2}, sizes=[0, 4, "all"]))
    assert config.budget == Budget(max_steps=30, min_steps=0, patience=2, val_every=None)
    assert config.budget.kind == "converged" and config.sizes == [0, 4, "all"]
    assert config.search == "random"  # 2 trials <= 4 TPE startup trials
    assert config.tuning.grace_period == 2 and config.pruner == {"n_startup_trials": 3, "n_warmup_steps": 0}
    tpe = parse_config(tiny_config(tuning={**tiny_config()["tuning"], "n_trials": 6, "startup_trials": 2}))
    assert tpe.search == "tpe"
    fixed = parse_config(tiny_config(tuning={"n_trials": 0, "space": {"lr": 1e-4, "batch_size": 4}}))
    assert fixed.search == "fixed" and fixed.budget.kind == "fixed"


def test_unknown_strategy_names_the_field():
    with pytest.raises(ConfigError, match=r"strategies\[1\].*unknown strategy 'telepathy'"):
        parse_config(tiny_config(strategies=["none", "telepathy"]), "x.yaml")


def test_bad_strategy_options_name_the_field():
    with pytest.raises(ConfigError, match=r"strategies\[0\]\.options"):
        parse_config(tiny_config(strategies=[{"name": "explicit", "options": {"supervision": "psychic"}}]))


def test_a_strategy_reading_decompositions_under_the_deployed_protocol_needs_predicted_ones():
    deployed = {**tiny_config()["data"], "protocol": "deployed"}
    with pytest.raises(ConfigError, match=r"strategies\[1\].*deployed protocol has no gold decompositions"):
        parse_config(tiny_config(data=deployed, strategies=["none", "explicit"]), "x.yaml")
    assert parse_config(tiny_config(data=deployed, strategies=["none"]))


READER = tiny_config()["readers"]["extractive"]
SPACE = {"lr": 1e-4, "batch_size": 8}


@pytest.mark.parametrize(("change", "field", "hint"), [
    ({"readers": {"extractive": {**READER, "doc_strid": 1}}}, "readers.extractive.doc_strid", "doc_stride"),
    ({"readers": {"extractive": {**READER, "max_length": "long"}}}, "readers.extractive.max_length", "int"),
    ({"readers": {"extractive": {**READER, "lr": 1e-3}}}, "readers.extractive.lr", "set per cell"),
    ({"readers": {"extractiv": {}}}, "readers.extractiv", "extractive"),
    ({"data": {"eval_limt": 5}}, "data.eval_limt", "eval_limit"),
    ({"data": {"k": 5}}, "data.k", "set per cell"),
    ({"tuning": {"n_trial": 2, "space": SPACE}}, "tuning.n_trial", "n_trials"),
    ({"tuning": {"space": {**SPACE, "lrr": 1}}}, "tuning.space.lrr", "'lr'"),
    ({"tuning": {"space": SPACE, "pruner": {"n_startup": 1}}}, "tuning.pruner.n_startup", "n_startup_trials"),
    ({"budget": {"max_steps": 9, "min_step": 2}}, "budget.min_step", "min_steps"),
    ({"budget": {"max_steps": "many"}}, "budget.max_steps", "int"),
    ({"budget": {"max_steps": 5, "min_steps": 5, "patience": 2}}, "budget.patience", "nothing to decide"),
    ({"budget": {"max_steps": 5, "min_steps": 9, "patience": None}}, "budget.min_steps", "exceeds"),
    ({"epochs": 3}, "epochs", "unknown key"),
    ({"strategies": [{"name": "none", "optons": {}}]}, r"strategies\[0\].optons", "options"),
])
def test_unknown_keys_and_bad_types_name_the_path_and_the_nearest_name(change, field, hint):
    with pytest.raises(ConfigError, match=f"curve config curve.yaml: field '{field}': .*{hint}"):
        parse_config(tiny_config(**change), "curve.yaml")


@pytest.mark.parametrize(("change", "field"), [
    ({"sizes": [-1]}, "sizes"),
    ({"tuning": {"space": {"lr": 1e-4}}}, "tuning.space"),
    ({"tuning": {"space": {"lr": {"low": 0, "high": 1, "log": True}, "batch_size": 8}}}, "tuning.space.lr"),
    ({"tuning": {"metric": "loss", "space": SPACE}}, "tuning.metric"),
    ({"tuning": {"n_trials": 3, "startup_trials": 4, "search": "tpe", "space": SPACE}}, "tuning.search"),
    ({"budget": {"max_steps": 5, "min_steps": -1}}, "budget.min_steps"),
    ({"tuning": {"n_trials": 0, "space": {"lr": {"low": 1e-4, "high": 1e-3}, "batch_size": 8}}}, "tuning.n_trials"),
    ({"sizes": [1, 4], "budget": {"max_steps": 9, "patience": 2}}, "sizes"),
    ({"budget": {"max_steps": 9, "rule_epochs": 1}}, "budget.rule_epochs"),  # no min_val_questions: no rule
    ({"budget": {"max_steps": 9, "rule_epochs": 0, "min_val_questions": 5}}, "budget.rule_epochs"),
])
def test_bad_values_are_named(change, field):
    with pytest.raises(ConfigError, match=f"field '{field}'"):
        parse_config(tiny_config(**change), "curve.yaml")


def test_missing_section_is_named():
    raw = tiny_config()
    del raw["budget"]
    with pytest.raises(ConfigError, match="field 'budget': is required"):
        parse_config(raw, "curve.yaml")


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "absent.yaml")
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "bad.yaml")


@pytest.mark.parametrize(("args", "field"), [({"doc_strid": 1}, "doc_strid"), ({"max_length": "long"}, "max_length")])
def test_curve_command_rejects_a_bad_reader_argument_at_load_writing_nothing(tmp_path, capsys, args, field):
    raw = tiny_config(readers={"extractive": {**READER, **args}})
    config, run_dir = tmp_path / "curve.yaml", tmp_path / "run"
    config.write_text(yaml.safe_dump(raw))
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert f"field 'readers.extractive.{field}'" in err and "decomp: error: curve config" in err
    assert not run_dir.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["curve.yaml"]


# What the `decomp curve` command path runs, in a fresh interpreter: its exit code and which heavy packages were
# imported by the time the bad config was rejected.
CURVE_COMMAND = """
import json, sys
from decomp.cli import main
rc = main(["curve", "--config", sys.argv[1], "--run-dir", sys.argv[2]])
print(json.dumps({"rc": rc, "imported": [m for m in ("torch", "transformers", "lightning") if m in sys.modules]}))
"""


@pytest.mark.parametrize(("readers", "message"), [
    ({"extractive": {"model": "tiny-bert", "doc_strid": 1}},
     "field 'readers.extractive.doc_strid': unknown key; did you mean 'doc_stride'?"),
    ({"extractiv": {"model": "tiny-bert"}}, "field 'readers.extractiv': unknown reader; did you mean 'extractive'?"),
])
def test_curve_command_rejects_a_misspelt_key_without_importing_torch(tmp_path, readers, message):
    config, run_dir = tmp_path / "bad.yaml", tmp_path / "run"
    config.write_text(yaml.safe_dump(tiny_config(readers=readers)))
    proc = subprocess.run([sys.executable, "-c", CURVE_COMMAND, str(config), str(run_dir)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result == {"rc": 2, "imported": []}, proc.stderr
    assert f"decomp: error: curve config {config}: {message}" in proc.stderr
    assert not run_dir.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.slow
def test_signatures_from_source_are_what_jsonargparse_reads_from_the_classes():
    from jsonargparse._parameter_resolvers import get_signature_parameters

    from decomp.data.module import DecompDataModule
    from decomp.readers import REGISTRY

    def on_class(cls: type) -> dict:
        return {p.name: (p.default, p.annotation) for p in get_signature_parameters(cls, None, logger=False)}

    assert signatures.reader_kinds() == sorted(REGISTRY)
    pairs = [(REGISTRY[kind], signatures.signature(*signatures.reader_sources()[kind])) for kind in REGISTRY]
    for cls, params in [(DecompDataModule, signatures.signature(*signatures.DATA_CLASS)), *pairs]:
        expected = on_class(cls)
        assert {p.name for p in params} == set(expected), cls
        for p in params:
            default, annotation = expected[p.name]
            assert p.default == (None if p.required else default), (cls, p)
            # jsonargparse leaves `kwargs.get("max_length", 1024)` untyped; the source reads the base's type.
            assert annotation is inspect.Parameter.empty or eval(p.annotation, dict(signatures.NAMES)) == annotation


def test_a_reader_source_does_not_state_is_checked_against_its_class(monkeypatch):
    # A plug-in with no readable source (or a default that is no literal): the class decides, same message.
    monkeypatch.setattr(signatures, "signature", lambda module, name: None)
    assert signatures.reader_arguments("extractive") is None and signatures.data_arguments() is None
    raw = tiny_config(readers={"extractive": {**READER, "doc_strid": 1}})
    with pytest.raises(ConfigError, match="field 'readers.extractive.doc_strid': unknown key; did you mean 'doc_st"):
        parse_config(raw, "curve.yaml")


# Checks a curve YAML in a fresh interpreter: the typed readers section, and which heavy packages it imported.
CHECK_COMMAND = """
import json, sys
from decomp.curves.config import load_config
readers = {}
for path in sys.argv[1:]:
    readers.update(load_config(path).readers)
print(json.dumps({"readers": readers, "imported": [m for m in ("torch", "transformers", "lightning")
                                                   if m in sys.modules]}))
"""


def _check_in_fresh_interpreter(paths: list[Path], pythonpath: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHECK_COMMAND, *map(str, paths)], cwd=pythonpath,
                          env={**os.environ, "PYTHONPATH": str(pythonpath)}, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_checking_every_shipped_curve_config_imports_no_torch():
    result = _check_in_fresh_interpreter(sorted((REPO / "configs" / "curves").glob("*.yaml")), REPO)
    assert result["imported"] == [] and set(result["readers"]) == {"extractive", "generative", "causal",
                                                                    "causal-icl"}


def test_a_reader_argument_added_in_source_is_checked_with_no_other_step(tmp_path):
    # A copy of the package whose extractive reader gained an argument: the next check types it, from source.
    shutil.copytree(REPO / "decomp", tmp_path / "decomp", ignore=shutil.ignore_patterns("__pycache__"))
    reader = tmp_path / "decomp" / "readers" / "extractive.py"
    old = "n_best: int = 20,"
    assert reader.read_text().count(old) == 1
    reader.write_text(reader.read_text().replace(old, f"{old} span_penalty: float = 1.0,"))
    config = tmp_path / "curve.yaml"
    config.write_text(yaml.safe_dump(tiny_config(readers={"extractive": {**READER, "span_penalty": "5e-1"}})))
    result = _check_in_fresh_interpreter([config], tmp_path)
    assert result["readers"]["extractive"]["span_penalty"] == 0.5 and result["imported"] == []
    with pytest.raises(ConfigError, match="readers.extractive.span_penalty': unknown key"):
        load_config(config)  # this checkout's reader has no such argument


def test_cells_are_every_combination_in_seed_major_order():
    # Seed-major: a curve stopped early holds every reader, size and strategy of its first subset seeds.
    readers = {"extractive": tiny_config()["readers"]["extractive"], "generative": {"model": "tiny-t5"}}
    config = parse_config(tiny_config(readers=readers, sizes=[6, 10], folds=[0, 1], subset_seeds=[3, 1],
                                      strategies=["none", {"name": "explicit", "options": {"supervision": "oracle"}}]))
    keys = [c.key for c in config.cells()]
    assert keys[:5] == ["extractive/none/k=6/fold=0/subset=3",
                        "extractive/explicit[supervision=oracle]/k=6/fold=0/subset=3",
                        "extractive/none/k=10/fold=0/subset=3",
                        "extractive/explicit[supervision=oracle]/k=10/fold=0/subset=3",
                        "generative/none/k=6/fold=0/subset=3"]
    assert keys == [f"{r}/{s}/k={k}/fold={f}/subset={ss}" for ss in (3, 1) for f in (0, 1) for r in readers
                    for k in (6, 10) for s in ("none", "explicit[supervision=oracle]")]
    cell = config.cells()[1]
    assert (cell.reader, cell.strategy.name, cell.strategy.options, cell.k, cell.fold, cell.subset_seed) == (
        "extractive", "explicit", {"supervision": "oracle"}, 6, 0, 3)
