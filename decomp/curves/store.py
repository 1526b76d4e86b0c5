"""Where result rows live: `results.jsonl` in a run folder, one JSON line per row (`decomp.curves.rows`), and
`superseded.jsonl` beside it. Every read and write of them goes through here.

One parser (`decomp.io.JsonLines`) and one lock: every change to a results file (an append, a supersede's
rewrite) holds an exclusive flock on it and ends with fsync, so concurrent workers never interleave rows and
a finished row survives a crash; a worker's claim on a run is the same kind of lock on its own file. Policy
for a line cut short by a killed worker (it can end up mid-file, since the next append starts on a fresh
line): it is skipped and counted, and every reader reports the count. Any other unreadable line is an error
naming file and line.

Superseding (`decomp curve --supersede NAME`, after a strategy's format version changed): a curve refuses to
resume rows of another strategy version (`preflight.check_versions`), so the old rows are moved, not
deleted, to `superseded.jsonl` (their prediction files to `predictions/superseded/<name>.v<version>.jsonl`),
and the resumed curve recomputes exactly those cells. The leaderboard reads only `results.jsonl`, so
superseded rows stay on record without entering any figure.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from decomp.curves.predictions import predictions_path
from decomp.curves.rows import RESULTS, check_row
from decomp.errors import DataError
from decomp.io import JsonLines

SUPERSEDED = "superseded.jsonl"


def results_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / RESULTS


# --- reading ----------------------------------------------------------------------------------------------
def numbered_rows(path: str | Path, checked: bool = True) -> tuple[list[tuple[int, dict]], int]:
    """(line number, row) for each complete row of one results file, and the cut-short lines skipped.
    `checked`: each row passes `check_row` (off only for rows an older code wrote, e.g. in a benchmark)."""
    lines = JsonLines(path, skip_cut_short=True)
    rows = []
    for n, row in lines:
        if checked:
            check_row(row, file=str(path), line=n)
        rows.append((n, row))
    return rows, lines.skipped


def read_rows(path: str | Path, checked: bool = True) -> tuple[list[dict], int]:
    """The rows of one results file (none if it does not exist yet), and how many cut-short lines were skipped."""
    path = Path(path)
    if not path.exists():
        return [], 0
    rows, skipped = numbered_rows(path, checked)
    return [row for _, row in rows], skipped


def read_runs(runs: str | Path) -> tuple[list[dict], int]:
    """The checked rows of every results file under `runs` (or of that one file), sorted by run_id, and the
    cut-short lines skipped. A run id found twice, or no row at all, is an error."""
    runs = Path(runs)
    if runs.is_file():
        files = [runs]
    elif runs.is_dir():
        files = sorted(runs.rglob(RESULTS))
    else:
        raise DataError("no such file or folder", file=str(runs))
    rows, seen, skipped = [], {}, 0
    for path in files:
        got, bad = numbered_rows(path)
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


def _rows_by_line(path: Path, lines: Sequence[str]) -> dict[int, dict]:
    """The row on each line (1-based) of text being changed under the lock, leniently: a line that is no
    JSON object with a run_id (cut short by a killed worker) holds none and is left as it is."""
    return {n: row for n, row in JsonLines(path, broken="yield", lines=lines)
            if isinstance(row, dict) and "run_id" in row}


# --- writing ----------------------------------------------------------------------------------------------
@contextmanager
def _exclusive(f: IO, wait: bool = True) -> Iterator[bool]:
    """Hold an exclusive flock on open file `f` (the OS drops it if the process dies); without `wait`, yield
    False at once when another process holds it."""
    try:
        fcntl.flock(f, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        held = True
    except BlockingIOError:
        held = False
    try:
        yield held
    finally:
        if held:
            fcntl.flock(f, fcntl.LOCK_UN)


def _sync(f: IO) -> None:
    f.flush()
    os.fsync(f.fileno())


def append_row(path: str | Path, row: dict) -> bool:
    """Append `row` unless a row with its run_id is already there; True when it was written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(row, sort_keys=True, default=str) + "\n"
    with open(path, "a+", encoding="utf-8") as f, _exclusive(f):
        f.seek(0)
        text = f.read()
        if row["run_id"] in {r["run_id"] for r in _rows_by_line(path, text.split("\n")).values()}:
            return False
        f.write(("\n" if text and not text.endswith("\n") else "") + line)
        _sync(f)
        return True


@contextmanager
def claim(run_dir: str | Path, run_id: str) -> Iterator[bool]:
    """Yield True when this process holds the run's lock (the OS drops it if the process dies), else False."""
    folder = Path(run_dir) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in run_id)
    with open(folder / f"{name}.lock", "w") as f, _exclusive(f, wait=False) as mine:
        yield mine


def supersede(run_dir: str | Path, versions: dict[str, int]) -> list[str]:
    """Move the rows of the strategies in `versions` whose `strategy_version` is not the given one out of the
    results file; their run ids, in file order. The results file is rewritten under the lock rows are appended
    under, after the moved rows are safely in `superseded.jsonl`: an interruption can leave a row in both
    files (the next run moves it again and keeps one copy there), never in neither."""
    run_dir = Path(run_dir)
    path = results_path(run_dir)
    if not path.exists() or not versions:
        return []
    numbered_rows(path)  # a malformed row is an error naming its line, before anything moves
    with open(path, "r+", encoding="utf-8") as f, _exclusive(f):  # no row lands while the file is rewritten
        lines = f.read().splitlines(keepends=True)
        rows = _rows_by_line(path, lines)
        outdated = [n for n, row in rows.items() if _outdated(row, versions)]
        if not outdated:
            return []
        _append_new(run_dir / SUPERSEDED, [(lines[n - 1], rows[n]) for n in outdated])  # first: never in neither
        for n in outdated:  # named by version: a second change of the strategy does not overwrite it
            source = predictions_path(run_dir, rows[n]["run_id"])
            if source.exists():
                target = source.parent / "superseded" / f"{source.stem}.v{rows[n].get('strategy_version', 1)}.jsonl"
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        kept = [line for n, line in enumerate(lines, start=1) if n not in set(outdated)]
        f.seek(0)
        f.write("".join(kept))
        f.truncate()
        _sync(f)
    return [rows[n]["run_id"] for n in outdated]


def _outdated(row: dict, versions: dict[str, int]) -> bool:
    return row.get("strategy") in versions and row.get("strategy_version", 1) != versions[row["strategy"]]


def _append_new(path: Path, moved: list[tuple[str, dict]]) -> None:
    """Append the (line, row) pairs whose row (run id, strategy version) is not already in `path`."""
    def key(row: dict) -> tuple:
        return row["run_id"], row.get("strategy_version", 1)

    have = {key(r) for r in _rows_by_line(path, path.read_text(encoding="utf-8").splitlines()).values()} \
        if path.exists() else set()
    new = [line if line.endswith("\n") else line + "\n" for line, row in moved if key(row) not in have]
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(new))
        _sync(f)
