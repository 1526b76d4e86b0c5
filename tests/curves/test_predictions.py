"""Per-run predictions files: named from the run id, written whole, read back by example id."""

from __future__ import annotations

import pytest

from decomp.curves.predictions import predictions_path, read_predictions, write_predictions
from decomp.errors import DataError

RUN_ID = "drop-cpu-1a2b/drop/extractive/explicit-hybrid/k=16/fold=0/subset=0/seed=0"


def test_the_file_is_named_from_the_run_id_inside_the_run_folder(tmp_path) -> None:
    path = predictions_path(tmp_path, RUN_ID)
    assert path.parent == tmp_path / "predictions"
    assert path.name == "drop-cpu-1a2b__drop__extractive__explicit-hybrid__k=16__fold=0__subset=0__seed=0.jsonl"
    assert predictions_path(tmp_path, "a b/../c").name == "a-b__..__c.jsonl"  # never leaves the folder
    assert predictions_path(tmp_path, RUN_ID) != predictions_path(tmp_path, RUN_ID.replace("k=16", "k=64"))


def test_records_round_trip_by_example_id(tmp_path) -> None:
    records = [{"example_id": "b", "prediction": "2", "trace": [{"step": 1, "answer": "x, y"}], "em": 1.0},
               {"example_id": "a", "prediction": "Reed", "trace": [], "em": 0.0}]
    path = predictions_path(tmp_path, RUN_ID)
    write_predictions(path, records)
    assert read_predictions(path) == {"a": records[1], "b": records[0]}
    assert not list(path.parent.glob(".*.tmp"))  # written atomically, nothing left beside it


def test_duplicate_or_missing_ids_are_errors_naming_the_file_and_line(tmp_path) -> None:
    path = tmp_path / "p.jsonl"
    with pytest.raises(DataError, match="duplicate example ids"):
        write_predictions(path, [{"example_id": "a"}, {"example_id": "a"}])
    assert not path.exists()
    path.write_text('{"example_id": "a"}\n{"example_id": "a"}\n')
    with pytest.raises(DataError, match=r"p\.jsonl, row 2: example id 'a' appears twice"):
        read_predictions(path)
    path.write_text('{"example_id": "a"}\n{"prediction": "1"}\n')
    with pytest.raises(DataError, match=r"p\.jsonl, row 2: a prediction record needs an example_id"):
        read_predictions(path)
