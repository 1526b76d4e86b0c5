"""The one row model: the writer checks rows with the reader's checks; cut-short lines are skipped and counted."""

from __future__ import annotations

import json

import pytest

from decomp.curves.rows import append_row, check_row, claim, done_ids, read_rows
from decomp.errors import DataError
from decomp.io import JsonLines, write_atomic
from tests.leaderboard.test_rows import make_row


def row(run_id: str, **extra) -> dict:
    return make_row(run_id, {"q1": 1.0, "q2": 0.0}, **extra)


def test_append_skips_present_run_ids(tmp_path):
    path = tmp_path / "results.jsonl"
    assert append_row(path, row("a", em=100.0))
    assert not append_row(path, row("a", em=0.0))
    assert append_row(path, row("b"))
    rows, bad = read_rows(path)
    assert [r["run_id"] for r in rows] == ["a", "b"] and rows[0]["em"] == 100.0 and bad == 0


def test_truncated_last_line_is_skipped_and_the_next_row_starts_a_new_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(row("a")) + "\n" + json.dumps(row("b"))[:50])  # killed mid-write
    assert done_ids(path) == {"a"}
    assert append_row(path, row("b"))
    rows, bad = read_rows(path)
    assert [r["run_id"] for r in rows] == ["a", "b"] and bad == 1


def test_a_broken_complete_line_is_an_error_naming_file_and_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(row("a")) + "\n" + '{"run_id": "b",}\n')
    with pytest.raises(DataError, match="row 2.*not valid JSON"):
        read_rows(path)


def test_row_contract_fields_are_checked_and_optional_for_older_rows():
    check_row(row("old"))  # a row written before these fields existed
    full = row("new", budget={"kind": "converged", "min_steps": 10, "max_steps": 100, "steps_trained": 40,
                              "stop_reason": "early_stop", "patience": 3},
               trials=[{"number": 0, "state": "COMPLETE", "params": {"lr": 1e-4}, "value": 50.0},
                       {"number": 1, "state": "PRUNED", "params": {"lr": 1e-3}, "value": None}],
               search="random", eval_sample={"seed": 0, "n_passages": 2, "n_questions": 2, "method": "m"},
               n_eval_passages=2, context="gold", n_distractors=2, learner="finetune", n_demonstrations=None,
               executor_answers={"1": 3, "2": 1}, precision="32-true", strategy_version=1)
    full["examples"]["q1"].update(prediction="Bears", passage="p1")
    check_row(full)
    for field, bad in [("budget", {"kind": "forever"}), ("trials", [{"number": 0}]), ("search", "grid"),
                       ("eval_sample", {"seed": 0}), ("learner", "osmosis"), ("executor_answers", {"1": -1}),
                       ("n_eval_passages", -1), ("n_distractors", -1)]:
        with pytest.raises(DataError) as err:
            check_row({**full, field: bad})
        assert err.value.field == field
    broken = json.loads(json.dumps(full))
    broken["examples"]["q1"]["prediction"] = 7
    with pytest.raises(DataError, match="examples.q1.prediction"):
        check_row(broken)


def test_jsonl_reader_policies(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n{"a": "cut\n[1, 2]\n')
    lines = JsonLines(path, skip_cut_short=True)
    assert list(lines) == [(1, {"a": 1}), (5, [1, 2])] and lines.skipped == 2
    with pytest.raises(DataError, match="row 3"):
        list(JsonLines(path))
    got = list(JsonLines(path, broken="yield"))
    assert [n for n, _ in got] == [1, 3, 4, 5] and isinstance(got[1][1], DataError)


def test_write_atomic_replaces_whole_files_and_leaves_no_temp(tmp_path):
    path = tmp_path / "deep" / "out.txt"
    write_atomic(path, "one")
    write_atomic(path, "two")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert path.read_text() == "two" and (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in path.parent.iterdir()) == ["out.txt"]


def test_claim_is_exclusive_and_released(tmp_path):
    with claim(tmp_path, "cell/seed=0") as first:
        with claim(tmp_path, "cell/seed=0") as second, claim(tmp_path, "cell/seed=1") as other:
            assert first and not second and other
    with claim(tmp_path, "cell/seed=0") as again:
        assert again
