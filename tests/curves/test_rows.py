"""The one row model and its one store: the writer checks rows with the reader's checks; cut-short lines are
skipped and counted; appends hold the file's lock."""

from __future__ import annotations

import fcntl
import json
import threading
from pathlib import Path

import pytest

from decomp.curves.rows import RESULTS, check_row
from decomp.curves.store import append_row, claim, read_rows
from decomp.errors import DataError
from decomp.io import JsonLines, write_atomic
from tests.leaderboard.test_rows import make_row

ROOT = Path(__file__).resolve().parents[2]


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
    assert [r["run_id"] for r in read_rows(path)[0]] == ["a"]
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


def test_an_append_waits_for_a_writer_holding_the_file_and_skips_a_row_it_wrote(tmp_path):
    path = tmp_path / "results.jsonl"
    appended = []
    with open(path, "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # another worker (or a supersede) is writing
        writer = threading.Thread(target=lambda: appended.append(append_row(path, row("a"))))
        writer.start()
        writer.join(timeout=0.3)
        assert writer.is_alive() and path.read_text() == ""  # blocked: nothing interleaves
        f.write(json.dumps(row("a"), sort_keys=True) + "\n")
        f.flush()
        fcntl.flock(f, fcntl.LOCK_UN)
    writer.join()
    assert appended == [False] and [r["run_id"] for r in read_rows(path)[0]] == ["a"]


def test_row_files_are_parsed_and_locked_only_in_the_store():
    # One parser and one lock for result rows: decomp.curves.store (study.py's lock guards Optuna's storage).
    sources = [p for folder in (ROOT / "decomp", ROOT / "benchmarks") for p in folder.rglob("*.py")]
    locking = {p.relative_to(ROOT).as_posix() for p in sources if "fcntl.flock" in p.read_text()}
    assert locking == {"decomp/curves/store.py", "decomp/curves/study.py"}
    rows_read = [p for p in sources if RESULTS in p.read_text() or "results_path" in p.read_text()]
    assert not [p.name for p in rows_read if "json.loads(line" in p.read_text()]
