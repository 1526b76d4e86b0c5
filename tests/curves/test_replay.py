"""A row embeds the resolved run spec it ran (`spec`), and `decomp replay` trains and tests it again from that
alone: the tiny curve's rows replay to the same scores, a tampered spec replays as written, and a row without
a spec (every committed row) still loads but is refused by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decomp.cli import main
from decomp.curves.config import RunSpec, config_spec, parse_config
from decomp.curves.replay import compare
from decomp.curves.rows import check_row
from decomp.curves.store import numbered_rows
from decomp.errors import ConfigError, DataError
from tests.curves.conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
FIXED = {"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}}


def _spec(**overrides) -> RunSpec:
    config = parse_config(tiny_config(**overrides), "tiny.yaml")
    return RunSpec(config, config.cells()[-1], 1, {"lr": 5e-4, "batch_size": 4})


def test_a_run_spec_reads_back_to_the_same_run():
    reader = {**tiny_config()["readers"]["extractive"], "negative_window_share": "5e-1"}  # as PyYAML reads 5e-1
    spec = _spec(readers={"extractive": reader}, tuning={**FIXED, "pruner": {"n_startup_trials": 1}})
    written = spec.to_dict()
    assert written["config"]["readers"]["extractive"]["negative_window_share"] == 0.5  # typed, not as written
    assert written["config"]["tuning"]["space"] == FIXED["space"] and written["config"]["budget"]["min_delta"] == 0
    back = RunSpec.from_dict(json.loads(json.dumps(written)), "row")
    assert back.to_dict() == written  # a fixed point: replaying a replay reads the same spec
    assert (back.cell, back.seed, back.params) == (spec.cell, spec.seed, spec.params)
    assert config_spec(back.config) == config_spec(spec.config) and back.config.cells() == spec.config.cells()


@pytest.mark.parametrize(("change", "field"), [
    ({"spec_version": 99}, "spec.spec_version"),
    ({"cell": {"reader": "extractive", "strategy": {"name": "none", "options": {}}, "k": 7, "fold": 0,
               "subset_seed": 0}}, "spec.cell"),
    ({"cell": {"reader": "extractive"}}, "spec.cell"),
    ({"training_seed": "0"}, "spec.training_seed"),
])
def test_a_bad_run_spec_names_the_field(change, field):
    with pytest.raises(ConfigError, match=rf"run spec row: field '{field}'"):
        RunSpec.from_dict({**_spec().to_dict(), **change}, "row")


def test_a_row_without_a_spec_loads_and_is_refused_by_file_and_line(tmp_path, capsys):
    results = sorted((REPO / "leaderboard" / "runs").rglob("results.jsonl"))[0]
    line, row = numbered_rows(results)[0][0]
    assert "spec" not in row  # the committed rows predate it, and still check
    assert main(["replay", "--row", f"{results}:{line}", "--out", str(tmp_path / "replay.jsonl")]) == 2
    err = capsys.readouterr().err
    assert f"{results}, row {line}, field 'spec'" in err and "cannot be replayed" in err
    assert not (tmp_path / "replay.jsonl").exists()
    with pytest.raises(DataError, match="field 'spec'"):
        check_row({**row, "spec": {"spec_version": 1}})
    # The results file itself is never an output.
    assert main(["replay", "--row", f"{results}:{line}", "--out", str(tmp_path / "results.jsonl")]) == 2


def test_scores_compare_within_the_tolerance():
    row = {"em": 50.0, "f1": 60.0, "examples": {"a": {"prediction": "x"}, "b": {"prediction": "y"}}}
    moved = {**row, "f1": 60.5, "examples": {"a": {"prediction": "x"}, "b": {"prediction": "z"}},
             "reader_args": {"reader_version": "2"}}
    lines, same = compare(row, moved, 0.0)
    assert not same and "predictions: 1 of 2 examples the same" in lines and any("+0.500" in x for x in lines)
    assert "differs: reader_version None -> '2'" in lines  # what may explain a moved score
    assert compare(row, moved, 0.5)[1] and compare(row, row, 0.0)[1]


@pytest.mark.slow
def test_every_row_of_a_tiny_curve_replays_from_its_spec_to_the_same_scores(write_config, tmp_path, capsys):
    config = write_config(strategies=["none", "prior"], sizes=[6], training_seeds=[0, 1], tuning=FIXED)
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    config.unlink()  # the replay reads the row alone
    results = run_dir / "results.jsonl"
    before = results.read_bytes()
    rows = numbered_rows(results)[0]
    assert len(rows) == 4 and all(row["spec"]["spec_version"] == 1 for _, row in rows)
    capsys.readouterr()
    for line, row in rows:
        out = tmp_path / f"replay-{line}.jsonl"
        assert main(["replay", "--row", f"{results}:{line}", "--out", str(out)]) == 0
        (replayed,) = [json.loads(text) for text in out.read_text().splitlines()]
        check_row(replayed)
        assert (replayed["em"], replayed["f1"]) == (row["em"], row["f1"])
        assert {i: e["prediction"] for i, e in replayed["examples"].items()} == {
            i: e["prediction"] for i, e in row["examples"].items()}
        assert (replayed["spec"], replayed["run_id"], replayed["data_hash"]) == (
            row["spec"], row["run_id"], row["data_hash"])
        assert replayed["replay_of"] == f"{results}:{line}"
        assert "same scores" in capsys.readouterr().out
    assert results.read_bytes() == before  # the replays went to their own files

    # A tampered spec is what replays: another training seed, by run id from another file.
    line, row = next((n, r) for n, r in rows if r["strategy"] == "none" and r["training_seed"] == 0)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text(json.dumps({**row, "spec": {**row["spec"], "training_seed": 7}}) + "\n")
    out = tmp_path / "replay-tampered.jsonl"
    assert main(["replay", "--row", str(tampered), "--run-id", row["run_id"], "--out", str(out)]) in (0, 1)
    replayed = json.loads(out.read_text())
    assert replayed["spec"] != row["spec"] and replayed["spec"]["training_seed"] == replayed["training_seed"] == 7
    assert replayed["reader_args"]["seed"] == 7 and row["reader_args"]["seed"] == 0  # the reader trained with it
