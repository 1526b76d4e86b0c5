"""Each run's predictions with their traces, beside its row: `<run_dir>/predictions/<run id>.jsonl`.

A row keeps per example only what the leaderboard needs (scores, the answer, passage, operators); the
traces (each sub-question a strategy asked and what came back) are what a reader of the results checks an
effect against, so every run writes them, keyed by example id. The file is written atomically before the
row is appended: a run killed in between leaves a file that the re-run overwrites, never a row without one.
These files hold the questions and gold answers of the evaluation set, so they stay in the run folder and are
not committed with the rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from decomp.errors import DataError
from decomp.io import iter_jsonl, write_atomic

FOLDER = "predictions"


def predictions_path(run_dir: str | Path, run_id: str) -> Path:
    """The file of `run_id` (its `/` become `__`, anything outside [A-Za-z0-9._=-] becomes `-`)."""
    name = re.sub(r"[^A-Za-z0-9._=-]", "-", run_id.replace("/", "__"))
    return Path(run_dir) / FOLDER / f"{name}.jsonl"


def write_predictions(path: str | Path, records: list[dict]) -> None:
    """One JSON line per evaluated example (`prediction_record`: id, question, prediction, trace, gold, em, f1)."""
    ids = [r["example_id"] for r in records]
    if len(set(ids)) != len(ids):
        raise DataError(f"{path}: duplicate example ids among the predictions")
    write_atomic(path, "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in records))


def read_predictions(path: str | Path) -> dict[str, dict]:
    """example id -> record; a record without `example_id` or a repeated id is an error naming the line."""
    out: dict[str, dict] = {}
    for line, record in iter_jsonl(path):
        key = record.get("example_id") if isinstance(record, dict) else None
        if not isinstance(key, str) or not key:
            raise DataError("a prediction record needs an example_id", file=str(path), row=line)
        if key in out:
            raise DataError(f"example id {key!r} appears twice", file=str(path), row=line)
        out[key] = record
    return out
