from __future__ import annotations

import json

from decomp.curves.rows import append_row, claim, done_ids, read_rows


def test_append_skips_present_run_ids(tmp_path):
    path = tmp_path / "results.jsonl"
    assert append_row(path, {"run_id": "a", "em": 1.0})
    assert not append_row(path, {"run_id": "a", "em": 2.0})
    assert append_row(path, {"run_id": "b", "em": 3.0})
    rows, bad = read_rows(path)
    assert [r["run_id"] for r in rows] == ["a", "b"] and rows[0]["em"] == 1.0 and bad == 0


def test_truncated_last_line_is_skipped_and_the_next_row_starts_a_new_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps({"run_id": "a"}) + "\n" + '{"run_id": "b", "em"')  # killed mid-write
    assert done_ids(path) == {"a"}
    assert append_row(path, {"run_id": "b"})
    rows, bad = read_rows(path)
    assert [r["run_id"] for r in rows] == ["a", "b"] and bad == 1


def test_claim_is_exclusive_and_released(tmp_path):
    with claim(tmp_path, "cell/seed=0") as first:
        with claim(tmp_path, "cell/seed=0") as second, claim(tmp_path, "cell/seed=1") as other:
            assert first and not second and other
    with claim(tmp_path, "cell/seed=0") as again:
        assert again
