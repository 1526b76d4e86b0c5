"""Reading and checking results.jsonl files: every defect is located by file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from decomp.errors import DataError
from decomp.leaderboard.rows import check_row, load_rows, read_runs


def make_row(run_id: str, scores: dict, *, strategy: str = "none", k: int | str = 10, fold: int = 0,
             subset_seed: int = 0, training_seed: int = 0, dataset: str = "drop", reader: str = "extractive",
             decompositions: str = "gold", meta: dict | None = None, **extra) -> dict:
    """A valid result row. `scores`: example id -> score in [0, 1] (em = f1) or an (em, f1) pair; `meta`:
    example id -> labels (answer_type, question_type, operators)."""
    meta = meta or {}
    examples = {}
    for x, got in scores.items():
        em, f1 = got if isinstance(got, tuple) else (got, got)
        examples[x] = {"em": em, "f1": f1, **meta.get(x, {})}
    row = {
        "run_id": run_id, "curve": "test-curve", "dataset": dataset, "reader": reader, "strategy": strategy,
        "decompositions": decompositions, "k": k, "fold": fold, "subset_seed": subset_seed,
        "training_seed": training_seed, "em": 100 * sum(e["em"] for e in examples.values()) / len(examples),
        "f1": 100 * sum(e["f1"] for e in examples.values()) / len(examples), "n_eval": len(examples),
        "examples": examples, "git_commit": "abc123", "config_hash": "cfg1", "versions": {"numpy": "1.26"},
        "hardware": "cpu x86_64, 2 cores",
    }
    row.update(extra)
    return row


def write(path: Path, rows: list, tail: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows) + tail)
    return path


def row(run_id: str = "r1", **extra) -> dict:
    return make_row(run_id, {"q1": 1.0, "q2": 0.0}, **extra)


def test_reads_every_results_file_recursively_sorted_by_run_id(tmp_path):
    write(tmp_path / "b" / "results.jsonl", [row("r3"), row("r1")])
    write(tmp_path / "a" / "deeper" / "results.jsonl", [row("r2")])
    write(tmp_path / "a" / "other.jsonl", [row("ignored")])
    assert [r["run_id"] for r in load_rows(tmp_path)] == ["r1", "r2", "r3"]


def test_a_single_file_path_works(tmp_path):
    path = write(tmp_path / "results.jsonl", [row("r2"), row("r1")])
    assert [r["run_id"] for r in load_rows(path)] == ["r1", "r2"]


def test_bad_json_in_the_middle_names_file_and_line(tmp_path):
    path = write(tmp_path / "results.jsonl", [row("r1"), '{"run_id": "r2", oops}', row("r3")])
    with pytest.raises(DataError, match="not valid JSON") as err:
        load_rows(tmp_path)
    assert err.value.file == str(path) and err.value.row == 2
    assert str(path) in str(err.value) and "row 2" in str(err.value)


def test_lines_cut_short_are_skipped_and_counted_wherever_they_are(tmp_path):
    # A worker killed mid-write cuts its row; a resumed curve appends its next row on a fresh line.
    cut = json.dumps(row("r2"))
    write(tmp_path / "results.jsonl", [row("r1"), cut[:40], row("r3"), cut[:-1]], tail=json.dumps(row("r4"))[:40])
    rows, skipped = read_runs(tmp_path)
    assert [r["run_id"] for r in rows] == ["r1", "r3"] and skipped == 3
    with pytest.warns(UserWarning, match="skipped 3 line"):
        assert len(load_rows(tmp_path)) == 2


def test_a_complete_but_broken_line_is_an_error(tmp_path):
    write(tmp_path / "results.jsonl", [row("r1"), '{"run_id": "r2", "em": 1,}', row("r3")])
    with pytest.raises(DataError, match="row 2"):
        load_rows(tmp_path)


@pytest.mark.parametrize("field", ["run_id", "k", "em", "examples", "versions", "git_commit", "training_seed"])
def test_a_missing_field_is_named(tmp_path, field):
    bad = row("r2")
    del bad[field]
    write(tmp_path / "results.jsonl", [row("r1"), bad])
    with pytest.raises(DataError, match="missing required field") as err:
        load_rows(tmp_path)
    assert err.value.field == field and err.value.row == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"em": 150.0}, "em"),
    ({"f1": -1}, "f1"),
    ({"em": True}, "em"),
    ({"k": "ten"}, "k"),
    ({"k": 2.5}, "k"),
    ({"fold": "0"}, "fold"),
    ({"n_eval": 3}, "n_eval"),
    ({"examples": {}}, "examples"),
    ({"examples": {"q1": {"em": 1.0, "f1": 1.5}}, "n_eval": 1}, "examples.q1.f1"),
    ({"examples": {"q1": {"em": 1.0}}, "n_eval": 1}, "examples.q1.f1"),
    ({"examples": {"q1": {"em": 1, "f1": 1, "operators": "select"}}, "n_eval": 1}, "examples.q1.operators"),
    ({"versions": {"numpy": 1}}, "versions"),
    ({"hardware": 3}, "hardware"),
    ({"run_time_s": -2}, "run_time_s"),
    ({"strategy": ""}, "strategy"),
])
def test_a_bad_field_is_named(change, field):
    bad = row("r1")
    bad.update(change)
    with pytest.raises(DataError) as err:
        check_row(bad, file="f.jsonl", line=7)
    assert err.value.field == field and err.value.row == 7 and err.value.file == "f.jsonl"


def test_k_all_and_optional_fields_are_accepted():
    check_row(row(k="all", hparams={"lr": 1e-4}, run_time_s=3.5, supervision=None, predicted_file=None))


def test_duplicate_run_id_names_both_files(tmp_path):
    first = write(tmp_path / "a" / "results.jsonl", [row("r1")])
    second = write(tmp_path / "b" / "results.jsonl", [row("r2"), row("r1")])
    with pytest.raises(DataError, match="duplicate run_id") as err:
        load_rows(tmp_path)
    assert str(first) in str(err.value) and str(second) in str(err.value) and err.value.row == 2


def test_no_rows_names_the_folder(tmp_path):
    write(tmp_path / "results.jsonl", [])
    with pytest.raises(DataError, match="no result rows") as err:
        load_rows(tmp_path)
    assert err.value.file == str(tmp_path)
    with pytest.raises(DataError, match="no such file"):
        load_rows(tmp_path / "missing")
