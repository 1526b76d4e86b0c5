"""`decomp curve --supersede NAME`: a strategy's rows of another version move aside and are recomputed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decomp.cli import main
from decomp.curves.predictions import predictions_path
from decomp.curves.runner import check_supersede_names
from decomp.curves.store import SUPERSEDED, read_rows, supersede
from decomp.errors import ConfigError
from decomp.strategies import REGISTRY


def _rows_with_old_prior(tmp_path: Path) -> tuple[Path, list[str]]:
    """A run folder holding a reader row, two `prior` rows of version 2 and one of this code's version."""
    committed = Path(__file__).parents[2] / "leaderboard" / "runs" / "drop-cpu" / "results.jsonl"
    rows = [json.loads(line) for line in committed.read_text().splitlines() if line.strip()]
    none = next(r for r in rows if r["strategy"] == "none")
    priors = [r for r in rows if r["strategy"] == "prior"][:3]
    priors[2] = {**priors[2], "strategy_version": REGISTRY["prior"].format_version}
    priors[0], priors[1] = ({**p, "strategy_version": 2} for p in priors[:2])
    lines = [json.dumps(r, sort_keys=True) + "\n" for r in (priors[0], none, priors[1], priors[2])]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "results.jsonl").write_text("".join(lines))
    for r in priors:
        path = predictions_path(run_dir, r["run_id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"example_id": "x", "run": r["run_id"]}) + "\n")
    return run_dir, lines


def test_outdated_rows_move_whole_and_the_rest_stay_in_order(tmp_path):
    run_dir, lines = _rows_with_old_prior(tmp_path)
    old = [json.loads(lines[0])["run_id"], json.loads(lines[2])["run_id"]]
    assert supersede(run_dir, {"prior": REGISTRY["prior"].format_version}) == old
    assert (run_dir / "results.jsonl").read_text() == lines[1] + lines[3]
    assert (run_dir / SUPERSEDED).read_text() == lines[0] + lines[2]  # the same bytes, nothing rewritten
    for run_id in old:
        moved = predictions_path(run_dir, run_id)
        assert not moved.exists()
        assert json.loads((moved.parent / "superseded" / f"{moved.stem}.v2.jsonl").read_text())["run"] == run_id
    assert predictions_path(run_dir, json.loads(lines[3])["run_id"]).exists()  # the current version's stays
    # Nothing left to move; and a row left in both files by an interruption is kept once in superseded.jsonl.
    assert supersede(run_dir, {"prior": REGISTRY["prior"].format_version}) == []
    with open(run_dir / "results.jsonl", "a") as f:
        f.write(lines[0])
    assert supersede(run_dir, {"prior": REGISTRY["prior"].format_version}) == old[:1]
    assert (run_dir / SUPERSEDED).read_text() == lines[0] + lines[2]
    assert [r["run_id"] for r in read_rows(run_dir / "results.jsonl")[0]] == [json.loads(x)["run_id"]
                                                                             for x in lines[1::2]]


def test_only_the_named_strategies_move(tmp_path):
    run_dir, lines = _rows_with_old_prior(tmp_path)
    none = json.loads(lines[1])
    assert supersede(run_dir, {"none": none["strategy_version"]}) == []  # its own version: nothing to do
    assert supersede(run_dir, {}) == []
    assert (run_dir / "results.jsonl").read_text() == "".join(lines) and not (run_dir / SUPERSEDED).exists()


def test_a_name_outside_the_curve_is_refused_by_its_flag():
    with pytest.raises(ConfigError, match=r"--supersede 'priors': not a strategy of curve 'drop-cpu' "
                                          r"\(its strategies: prior, none\)"):
        check_supersede_names(["prior", "priors"], ["prior", "none"], "drop-cpu")


def test_the_curve_refuses_old_rows_and_recomputes_them_when_told(write_config, tmp_path, capsys):
    config = write_config(strategies=["prior"], sizes=[4, 8], training_seeds=[0])
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    results = run_dir / "results.jsonl"
    made = [json.loads(line) for line in results.read_text().splitlines()]
    results.write_text("".join(json.dumps({**r, "strategy_version": 2}, sort_keys=True) + "\n" for r in made))
    capsys.readouterr()
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 2
    assert "--supersede NAME" in capsys.readouterr().err
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--supersede", "nope"]) == 2
    assert "--supersede 'nope': not a strategy of curve" in capsys.readouterr().err
    assert not (run_dir / SUPERSEDED).exists()  # refused before anything moved
    fresh = tmp_path / "fresh"
    assert main(["curve", "--config", str(config), "--run-dir", str(fresh), "--supersede", "nope"]) == 2
    assert not fresh.exists()  # nor made a run folder
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--supersede", "prior"]) == 0
    assert "2 row(s) of prior of another version moved" in capsys.readouterr().err
    again = {r["run_id"]: r for r in read_rows(results)[0]}
    assert set(again) == {r["run_id"] for r in made}
    assert {r["strategy_version"] for r in again.values()} == {REGISTRY["prior"].format_version}
    assert all(again[r["run_id"]]["em"] == r["em"] for r in made)  # remade by the code that made them
    assert len((run_dir / SUPERSEDED).read_text().splitlines()) == 2
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--supersede", "prior"]) == 0
    assert "no row of prior is of another version" in capsys.readouterr().err
    assert len((run_dir / SUPERSEDED).read_text().splitlines()) == 2
