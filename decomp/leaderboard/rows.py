"""Read the result rows a leaderboard is built from: every `results.jsonl` under a folder.

The row model and its checks are `decomp.curves.rows`, their storage `decomp.curves.store` (the curve writer
checks every row with the same `check_row` before appending it). A row that would silently distort the
report (a missing field, a score out of range, a run counted twice) is an error naming the file, line and
field. The one tolerated defect is a line cut short by a worker killed mid-write: it is skipped and counted.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from decomp.curves.rows import check_row
from decomp.curves.store import read_runs

__all__ = ["check_row", "load_rows", "read_runs"]


def load_rows(runs: str | Path) -> list[dict]:
    """The checked rows of every results.jsonl under `runs` (or of that one file), sorted by run_id.
    Lines cut short are skipped with a warning saying how many."""
    rows, skipped = read_runs(runs)
    if skipped:
        warnings.warn(f"{runs}: skipped {skipped} line(s) cut short (a worker killed mid-write)", stacklevel=2)
    return rows
