"""Read the result rows a leaderboard is built from: every `results.jsonl` under a folder.

The row model and its checks are `decomp.curves.rows` (the curve writer checks every row with the same
`check_row` before appending it). A row that would silently distort the report (a missing field, a score
out of range, a run counted twice) is an error naming the file, line and field. The one tolerated defect
is a line cut short by a worker killed mid-write: it is skipped and counted (see decomp.curves.rows).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from decomp.curves.rows import RESULTS, check_row, read_file
from decomp.errors import DataError

__all__ = ["check_row", "load_rows", "read_rows"]


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
        got, bad = read_file(path)
        skipped += bad
        for line, row in got:
            if row["run_id"] in seen:
                raise DataError(f"duplicate run_id {row['run_id']!r}, also at {seen[row['run_id']]}",
                                file=str(path), row=line, field="run_id")
            seen[row["run_id"]] = f"{path}:{line}"
            rows.append(row)
    if not rows:
        raise DataError(f"no result rows found (looked for {RESULTS} files"
                        f"{' recursively' if runs.is_dir() else ''}; {skipped} truncated line(s) skipped)",
                        file=str(runs))
    return sorted(rows, key=lambda r: r["run_id"]), skipped
