"""`decomp curve --supersede NAME`: recompute a strategy's rows after its format version changed.

A curve refuses to resume rows of another strategy version (`preflight.check_versions`): one curve must not
mix two versions of what a strategy answers. When a strategy is fixed (a new `format_version`), its old rows
are moved, not deleted, to `<run_dir>/superseded.jsonl` (their prediction files to
`<run_dir>/predictions/superseded/<name>.v<version>.jsonl`), and the resumed curve recomputes exactly those
cells with this code.
Rows of the current version and of every other strategy stay where they are. The leaderboard reads only
`results.jsonl`, so superseded rows stay on record without entering any figure.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Sequence
from pathlib import Path

from decomp.curves.predictions import predictions_path
from decomp.curves.rows import read_file, results_path
from decomp.errors import ConfigError

SUPERSEDED = "superseded.jsonl"


def check_names(names: Sequence[str], strategies: Sequence[str], curve: str) -> None:
    """Every `--supersede` name is a strategy of the curve."""
    unknown = [n for n in names if n not in strategies]
    if unknown:
        raise ConfigError(f"--supersede {unknown[0]!r}: not a strategy of curve {curve!r} "
                          f"(its strategies: {', '.join(strategies)})")


def supersede(run_dir: str | Path, versions: dict[str, int]) -> list[str]:
    """Move the rows of the strategies in `versions` whose `strategy_version` is not the given one out of the
    results file; their run ids, in file order. The results file is rewritten under the lock rows are appended
    under, after the moved rows are safely in `superseded.jsonl`: an interruption can leave a row in both
    files (the next run moves it again and keeps one copy there), never in neither."""
    run_dir = Path(run_dir)
    path = results_path(run_dir)
    if not path.exists() or not versions:
        return []
    read_file(path)  # a malformed row is an error naming its line, before anything moves
    with open(path, "r+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # the lock `append_row` takes: no row lands while the file is rewritten
        try:
            lines = f.read().splitlines(keepends=True)
            moved_lines = [line for line in lines if _outdated(_row(line), versions)]
            if not moved_lines:
                return []
            _append_new(run_dir / SUPERSEDED, moved_lines)  # first: a row is never in neither file
            moved_rows = [_row(line) for line in moved_lines]
            for row in moved_rows:  # named by version: a second change of the strategy does not overwrite it
                source = predictions_path(run_dir, row["run_id"])
                if source.exists():
                    target = source.parent / "superseded" / f"{source.stem}.v{row.get('strategy_version', 1)}.jsonl"
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(source, target)
            f.seek(0)
            f.write("".join(line for line in lines if not _outdated(_row(line), versions)))
            f.truncate()
            f.flush()
            os.fsync(f.fileno())
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return [row["run_id"] for row in moved_rows]


def _outdated(row: dict | None, versions: dict[str, int]) -> bool:
    return row is not None and row.get("strategy") in versions and \
        row.get("strategy_version", 1) != versions[row["strategy"]]


def _append_new(path: Path, lines: list[str]) -> None:
    """Append the lines whose row (run id, strategy version) is not already in `path`."""
    def key(row: dict) -> tuple:
        return row["run_id"], row.get("strategy_version", 1)

    have = {key(r) for r in map(_row, path.read_text(encoding="utf-8").splitlines())
            if r} if path.exists() else set()
    new = [line if line.endswith("\n") else line + "\n" for line in lines if key(_row(line)) not in have]
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(new))
        f.flush()
        os.fsync(f.fileno())


def _row(line: str) -> dict | None:
    try:
        row = json.loads(line) if line.strip() else None
    except json.JSONDecodeError:
        return None  # a cut-short line is kept as it was: the row reader skips it
    return row if isinstance(row, dict) and "run_id" in row else None
