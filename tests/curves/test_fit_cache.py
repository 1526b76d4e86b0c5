"""`decomp curve --fit-cache DIR`: a fit is trained once; a run that would train it again loads it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
import yaml

from decomp.cli import main
from decomp.curves.config import load_config
from decomp.curves.fit_cache import FitCache
from decomp.curves.predictions import predictions_path, read_predictions
from decomp.curves.store import read_rows
from decomp.errors import DataError

FIXED = {"n_trials": 0, "val_fraction": 0.3, "space": {"lr": 5e-4, "batch_size": 4}}
CONVERGED = {"min_steps": 2, "max_steps": 6, "patience": 1, "val_every": 2}


def _curve(write_config, **overrides) -> Path:
    return write_config(**{"strategies": ["none"], "sizes": [10], "training_seeds": [0], "tuning": FIXED,
                           "budget": CONVERGED, **overrides})


def _run(config: Path, run_dir: Path, cache: Path) -> dict:
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--fit-cache", str(cache)]) == 0
    (row,) = read_rows(run_dir / "results.jsonl")[0]
    return row


def test_a_second_curve_loads_the_fit_and_scores_it_the_same(write_config, tmp_path, capsys):
    cache = tmp_path / "fits"
    first = _run(_curve(write_config), tmp_path / "a", cache)
    assert "reused_fit" not in first["budget"] and first["budget"]["val_rounds"] >= 1
    (entry,) = sorted(cache.glob("*.json"))
    assert json.loads(entry.read_text())["trained_by"] == first["run_id"] and entry.with_suffix(".pt").exists()
    capsys.readouterr()
    # Another curve (another name and hash) with the same fit: loaded, not trained.
    config = tmp_path / "other.yaml"
    config.write_text(yaml.safe_dump({**yaml.safe_load(_curve(write_config).read_text()), "name": "other"}))
    second = _run(config, tmp_path / "b", cache)
    err = capsys.readouterr().err
    assert "fit loaded from the fit cache" in err and "validation at step" not in err
    assert second["run_id"] != first["run_id"]
    reused = second["budget"].pop("reused_fit")
    assert reused == {"key": entry.stem, "trained_by": first["run_id"]}
    assert second["budget"] == first["budget"]  # its validation rounds, steps and stop reason
    assert (second["em"], second["f1"], second["examples"]) == (first["em"], first["f1"], first["examples"])
    a = read_predictions(predictions_path(tmp_path / "a", first["run_id"]))
    b = read_predictions(predictions_path(tmp_path / "b", second["run_id"]))
    assert {i: r["prediction"] for i, r in a.items()} == {i: r["prediction"] for i, r in b.items()}


def test_what_changes_the_fit_changes_the_key(write_config):
    from decomp.curves.runner import _data_module, _reader

    config = load_config(_curve(write_config))
    cell = config.cells()[0]
    params = {"lr": 5e-4, "batch_size": 4}
    dm = _data_module(config, cell, 4, validation=True)
    reader = _reader(config, cell, params, 0)
    key = FitCache.key(reader, dm, 4, config.budget, config.metric, "32-true", None)
    assert key == FitCache.key(_reader(config, cell, params, 0), dm, 4, config.budget, config.metric, "32-true", None)
    fewer = SimpleNamespace(fit_set=dm.fit_set[1:], val_set=dm.val_set)
    changed = [FitCache.key(_reader(config, cell, params, 1), dm, 4, config.budget, config.metric, "32-true", None),
               FitCache.key(_reader(config, cell, {**params, "lr": 1e-4}, 0), dm, 4, config.budget, config.metric,
                            "32-true", None),
               FitCache.key(reader, fewer, 4, config.budget, config.metric, "32-true", None),
               FitCache.key(reader, dm, 8, config.budget, config.metric, "32-true", None),
               FitCache.key(reader, dm, 4, replace(config.budget, patience=2), config.metric, "32-true", None),
               FitCache.key(reader, dm, 4, config.budget, config.metric, "bf16-mixed", None)]
    assert len({key, *changed}) == 1 + len(changed)
    explicit = replace(cell, strategy=replace(cell.strategy, name="explicit-hybrid"))
    assert FitCache.key(_reader(config, explicit, params, 0), dm, 4, config.budget, config.metric, "32-true",
                        None) != key


def test_loaded_weights_are_the_saved_ones(write_config, tmp_path):
    from decomp.curves.runner import _reader

    config = load_config(_curve(write_config))
    cell, params = config.cells()[0], {"lr": 5e-4, "batch_size": 4}
    trained = _reader(config, cell, params, 0)
    with torch.no_grad():
        for p in trained.parameters():
            p.add_(0.01)  # as if trained
    cache = FitCache(tmp_path / "fits")
    assert cache.load("k1", trained) is None
    cache.save("k1", trained, {"kind": "converged", "steps_trained": 4}, trained_by="run-a")
    fresh = _reader(config, cell, params, 0)
    name, value = next(iter(trained.state_dict().items()))
    assert not torch.equal(fresh.state_dict()[name], value)
    assert cache.load("k1", fresh) == {"kind": "converged", "steps_trained": 4,
                                       "reused_fit": {"key": "k1", "trained_by": "run-a"}}
    assert all(torch.equal(fresh.state_dict()[k], v) for k, v in trained.state_dict().items())
    assert sorted(p.name for p in (tmp_path / "fits").iterdir()) == ["k1.json", "k1.pt"]  # no temporary left
    (tmp_path / "fits" / "k1.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match=r"fit cache entry .*k1.pt: cannot be loaded into this reader .*delete k1.pt "
                                        r"and k1.json"):
        cache.load("k1", fresh)


def test_an_unwritable_cache_is_refused_by_its_flag_before_the_run_starts(write_config, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    run_dir = tmp_path / "run"
    config = _curve(write_config)
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--fit-cache", str(blocker)]) == 2
    assert f"--fit-cache {blocker}: cannot write there" in capsys.readouterr().err
    assert not run_dir.exists()


def test_frozen_layers_enter_the_key_and_the_row_only_when_set(write_config, tmp_path):
    from decomp.curves.runner import _data_module, _reader
    from decomp.readers import frozen

    def key(reader_args: dict) -> str:
        readers = {"extractive": {"model": "tiny-bert", "max_length": 64, "doc_stride": 16, **reader_args}}
        config = load_config(_curve(write_config, readers=readers))
        cell = config.cells()[0]
        dm = _data_module(config, cell, 4, validation=True)
        reader = _reader(config, cell, {"lr": 5e-4, "batch_size": 4}, 0)
        return FitCache.key(reader, dm, 4, config.budget, config.metric, "32-true", None)

    assert key({}) == key({"frozen_layers": 0}) != key({"frozen_layers": 1})
    readers = {"extractive": {"model": "tiny-bert", "max_length": 64, "doc_stride": 16, "frozen_layers": 1}}
    frozen.reset_shared_cache()
    row = _run(_curve(write_config, readers=readers), tmp_path / "run", tmp_path / "cache")
    assert row["reader_args"]["frozen_layers"] == 1 and row["reader_args"]["frozen_cache_dtype"] == "float16"
    assert frozen.shared_cache().stats["memory"] > 0  # evaluation and later steps read what training computed
    frozen.reset_shared_cache()
