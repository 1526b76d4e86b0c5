"""Read and check the result rows a leaderboard is built from: every `results.jsonl` under a folder.

A row that would silently distort the report (a missing field, a score out of range, a run counted twice)
is an error naming the file, line and field. The one tolerated defect is a line cut short, which a worker
killed mid-write leaves behind (see decomp.curves.rows; a resumed curve starts its next row on a fresh
line, so the cut line can end up mid-file): it does not end its JSON object, and it is skipped and
counted. Any other unreadable line is an error.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from decomp.curves.rows import RESULTS
from decomp.errors import DataError

TEXT_FIELDS = ("run_id", "curve", "dataset", "reader", "strategy", "decompositions", "git_commit", "config_hash")
INT_FIELDS = ("fold", "subset_seed", "training_seed")
OPTIONAL_TEXT = ("hardware", "supervision", "predicted_file")


def load_rows(runs: str | Path) -> list[dict]:
    """The checked rows of every results.jsonl under `runs` (or of that one file), sorted by run_id.
    Lines cut short are skipped with a warning saying how many."""
    rows, skipped = read_rows(runs)
    if skipped:
        warnings.warn(f"{runs}: skipped {skipped} line(s) cut short (a worker killed mid-write)", stacklevel=2)
    return rows


def read_rows(runs: str | Path) -> tuple[list[dict], int]:
    """Like `load_rows`, returning the number of cut-short lines skipped instead of warning."""
    runs = Path(runs)
    if runs.is_file():
        files = [runs]
    elif runs.is_dir():
        files = sorted(runs.rglob(RESULTS))
    else:
        raise DataError("no such file or folder", file=str(runs))
    rows, seen, skipped = [], {}, 0
    for path in files:
        got, bad = _read_file(path)
        skipped += bad
        for line, row in got:
            where = f"{path}:{line}"
            if row["run_id"] in seen:
                raise DataError(f"duplicate run_id {row['run_id']!r}, also at {seen[row['run_id']]}",
                                file=str(path), row=line, field="run_id")
            seen[row["run_id"]] = where
            rows.append(row)
    if not rows:
        raise DataError(f"no result rows found (looked for {RESULTS} files"
                        f"{' recursively' if runs.is_dir() else ''}; {skipped} truncated line(s) skipped)",
                        file=str(runs))
    return sorted(rows, key=lambda r: r["run_id"]), skipped


def _read_file(path: Path) -> tuple[list[tuple[int, dict]], int]:
    lines = [(n, text) for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.strip()]
    rows = []
    skipped = 0
    for n, text in lines:
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            if not text.rstrip().endswith("}"):  # every complete row ends its object: a cut-short write
                skipped += 1
                continue
            raise DataError(f"not valid JSON ({exc.msg} at column {exc.colno})", file=str(path), row=n) from None
        check_row(row, file=str(path), line=n)
        rows.append((n, row))
    return rows, skipped


def check_row(row: object, *, file: str | None = None, line: int | None = None) -> None:
    """Raise DataError (naming file, line and field) unless `row` is a complete, well-typed result row."""

    def fail(field: str, message: str) -> DataError:
        return DataError(message, file=file, row=line, field=field)

    if not isinstance(row, dict):
        raise fail("row", f"expected a JSON object, got {type(row).__name__}")
    required = (*TEXT_FIELDS, *INT_FIELDS, "k", "em", "f1", "n_eval", "examples", "versions")
    for name in required:
        if name not in row:
            raise fail(name, "missing required field")
    for name in TEXT_FIELDS:
        if not isinstance(row[name], str) or not row[name]:
            raise fail(name, f"expected a non-empty string, got {row[name]!r}")
    for name in INT_FIELDS:
        if not _is_int(row[name]):
            raise fail(name, f"expected an integer, got {row[name]!r}")
    k = row["k"]
    if k != "all" and not (_is_int(k) and k >= 0):
        raise fail("k", f"expected a non-negative integer or 'all', got {k!r}")
    for name in ("em", "f1"):
        if not (_is_number(row[name]) and 0 <= row[name] <= 100):
            raise fail(name, f"expected a percentage in [0, 100], got {row[name]!r}")
    versions = row["versions"]
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise fail("versions", "expected a mapping of package -> version string")
    _check_examples(row["examples"], fail)
    if not _is_int(row["n_eval"]) or row["n_eval"] != len(row["examples"]):
        raise fail("n_eval", f"is {row['n_eval']!r} but the row has {len(row['examples'])} examples")
    _check_optional(row, fail)


def _check_examples(examples: object, fail) -> None:
    if not isinstance(examples, dict) or not examples:
        raise fail("examples", "expected a non-empty mapping of example id -> scores")
    for key, scores in examples.items():
        where = f"examples.{key}"
        if not key:
            raise fail("examples", "empty example id")
        if not isinstance(scores, dict):
            raise fail(where, "expected a mapping with em and f1")
        for name in ("em", "f1"):
            value = scores.get(name)
            if not (_is_number(value) and 0 <= value <= 1):
                raise fail(f"{where}.{name}", f"expected a score in [0, 1], got {value!r}")
        for name in ("answer_type", "question_type"):
            if scores.get(name) is not None and not isinstance(scores[name], str):
                raise fail(f"{where}.{name}", f"expected a string, got {scores[name]!r}")
        ops = scores.get("operators")
        if ops is not None and not (isinstance(ops, list) and all(isinstance(o, str) for o in ops)):
            raise fail(f"{where}.operators", f"expected a list of operator names, got {ops!r}")


def _check_optional(row: dict, fail) -> None:
    for name in OPTIONAL_TEXT:
        if row.get(name) is not None and not isinstance(row[name], str):
            raise fail(name, f"expected a string, got {row[name]!r}")
    if row.get("hparams") is not None and not isinstance(row["hparams"], dict):
        raise fail("hparams", f"expected a mapping, got {row['hparams']!r}")
    if row.get("run_time_s") is not None and not (_is_number(row["run_time_s"]) and row["run_time_s"] >= 0):
        raise fail("run_time_s", f"expected a non-negative number, got {row['run_time_s']!r}")
    if row.get("n_train") is not None and not (_is_int(row["n_train"]) and row["n_train"] >= 0):
        raise fail("n_train", f"expected a non-negative integer, got {row['n_train']!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value  # NaN != NaN
