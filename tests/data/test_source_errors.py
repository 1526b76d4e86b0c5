"""Bad input that used to pass or to end in a raw error: each must name the file and where in it."""

from __future__ import annotations

import gzip
import json

import pytest

from decomp.data.sources.break_ import load_break_csv
from decomp.data.sources.drop import load_drop
from decomp.data.sources.hotpotqa import load_hotpotqa_file
from decomp.errors import DataError

BREAK_ROW = {"question_id": "DROP_dev_1_q1", "question_text": "How many games did they win?",
             "decomposition": "return games ;return #1 that they won ;return number of #2",
             "operators": "['select', 'filter', 'aggregate']", "split": "dev"}


@pytest.mark.parametrize("drop", ["operators", "split", "decomposition"])
@pytest.mark.parametrize("lenient", [False, True])
def test_break_csv_without_a_required_column_fails_even_lenient(tmp_path, drop, lenient):
    columns = [c for c in BREAK_ROW if c != drop]
    path = tmp_path / "dev.csv"
    path.write_text(",".join(columns) + "\n" + ",".join(f'"{BREAK_ROW[c]}"' for c in columns) + "\n")
    with pytest.raises(DataError, match=rf"missing column\(s\) \['{drop}'\]") as err:
        load_break_csv(path, lenient=lenient)
    assert err.value.file == str(path)


def test_break_csv_with_every_column_loads_its_operators(tmp_path):
    path = tmp_path / "dev.csv"
    path.write_text(",".join(BREAK_ROW) + "\n" + ",".join(f'"{v}"' for v in BREAK_ROW.values()) + "\n")
    (row,) = load_break_csv(path).rows
    assert [s.operator for s in row.steps] == ["select", "filter", "aggregate"]


GOOD_DROP = json.dumps({"context": "Passage: The Bears won 3 games.\nQuestion: How many games?\nAnswer:",
                        "ref_text": "3"}).encode()


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_drop_line_that_is_not_utf8_is_skipped_when_lenient_and_located_when_strict(tmp_path, suffix):
    path = tmp_path / f"drop{suffix}"
    data = GOOD_DROP + b"\n" + b'{"context": "Passage: caf\xe9\n' + b"\n" + GOOD_DROP + b"\n"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    loaded = load_drop(path, lenient=True)
    assert len(loaded.examples) == 2 and len(loaded.skipped) == 1
    assert loaded.skipped[0].startswith(f"{path}, row 2: not UTF-8")
    with pytest.raises(DataError, match="not UTF-8") as err:
        load_drop(path)
    assert (err.value.file, err.value.row) == (str(path), 2)


def test_drop_gzip_cut_short_keeps_what_was_read_when_lenient(tmp_path):
    path = tmp_path / "drop.jsonl.gz"
    whole = gzip.compress(b"\n".join([GOOD_DROP] * 200) + b"\n")
    path.write_bytes(whole[: len(whole) - 40])  # a copy interrupted before the end
    loaded = load_drop(path, lenient=True)
    assert 0 < len(loaded.examples) < 200 and len(loaded.skipped) == 1
    assert "unreadable after this line" in loaded.skipped[0] and str(path) in loaded.skipped[0]
    with pytest.raises(DataError, match="unreadable after this line") as err:
        load_drop(path)
    assert err.value.file == str(path) and err.value.row == len(loaded.examples) + 1


def hotpot_record(i: int, **changes) -> dict:
    record = {"_id": f"5a{i:022d}", "question": f"Who wrote book {i}?", "answer": "Ann", "type": "bridge",
              "level": "easy", "supporting_facts": [["Book", 0]], "context": [["Book", [" Ann wrote it."]]]}
    record.update(changes)
    return {k: v for k, v in record.items() if v is not None}


def test_hotpotqa_one_line_array_errors_name_the_record_index(tmp_path):
    path = tmp_path / "dev.json"  # the official files are one JSON array on one line
    path.write_text(json.dumps([hotpot_record(0), hotpot_record(1), hotpot_record(2, question=None)]))
    with pytest.raises(DataError, match=r"row 1 \(record \[2\]\), field 'question'") as err:
        load_hotpotqa_file(path)
    assert err.value.file == str(path)
    table = load_hotpotqa_file(path, lenient=True)
    assert len(table.examples) == 2 and table.skipped == [f"{path}, row 1 (record [2]), field 'question': missing"]
    path.write_text(json.dumps([hotpot_record(0), hotpot_record(1)])[:-30])
    with pytest.raises(DataError, match=r"row 1 \(record \[1\]\): broken JSON array"):
        load_hotpotqa_file(path)
