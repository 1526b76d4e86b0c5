"""Checks before any training: every path a run will write to can be written, so that a read-only results file
or an unwritable folder is a one-line `decomp: error:` at start-up, not a traceback after the first cell trained.

Each check really opens the path (permission bits do not say what root, ACLs or a read-only mount allow) and
changes nothing: an existing file is opened for appending and closed, a folder gets a temporary file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from decomp.errors import ConfigError


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def writable_folder(folder: Path, what: str = "run folder") -> None:
    """Create `folder` (and its parents) if needed and prove a file can be made in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to the {what} {folder}: {_reason(exc)}") from None


def writable_file(path: Path) -> None:
    """An existing file can be appended to (a missing one is covered by its folder's check)."""
    if not path.exists():
        return
    try:
        with open(path, "a"):
            pass
    except OSError as exc:
        raise ConfigError(f"cannot write to {path}: {_reason(exc)}") from None


def check_run_dir(run_dir: Path, storage_url: str) -> None:
    """The run folder, its results file, its claim locks and a file storage (SQLite or journal) are writable."""
    from decomp.curves.store import results_path

    writable_folder(run_dir)
    writable_file(results_path(run_dir))
    if (run_dir / "locks").exists():
        writable_folder(run_dir / "locks", "locks folder")
    for prefix in ("sqlite:///", "journal:"):
        if storage_url.startswith(prefix):
            storage = Path(storage_url.removeprefix(prefix))
            writable_folder(storage.parent, "storage folder")  # SQLite and the journal write beside the file
            writable_file(storage)


def check_versions(results: Path, versions: dict[str, int],
                          strategy_versions: dict[str, int] | None = None) -> None:
    """Rows already in `results` were made by the reader versions this code has (a row without one is
    version 1) and, for the strategies in `strategy_versions`, by their format versions: a curve resumed across
    a change of what its reader or strategy answers would mix two of them in one curve."""
    from decomp.curves.store import numbered_rows

    if not results.exists():
        return
    advice = "give the run another run_dir (or move the old rows away)"
    supersede = "; or `--supersede NAME` recomputes that strategy's rows, keeping the old in superseded.jsonl"
    for line, row in numbered_rows(results)[0]:
        kind, strategy = row.get("reader"), row.get("strategy")
        made = (row.get("reader_args") or {}).get("reader_version", 1)
        if kind in versions and made != versions[kind] and strategy != "prior":
            raise ConfigError(f"{results}: line {line} ({row.get('run_id')}) was made by {kind} reader version "
                              f"{made}, this code's is {versions[kind]}: resuming would mix two readers in one "
                              f"curve; {advice}")
        expected = (strategy_versions or {}).get(strategy)
        if expected is not None and row.get("strategy_version", 1) != expected:
            raise ConfigError(f"{results}: line {line} ({row.get('run_id')}) was made by strategy {strategy!r} "
                              f"version {row.get('strategy_version', 1)}, this code's is {expected}: resuming "
                              f"would mix two versions of it in one curve; {advice}{supersede}")


def check_starting_points(results: Path, inits: dict[str, dict | None]) -> None:
    """Rows already in `results` started from the same adapted model (or plain model) as this config's readers:
    a curve resumed across starting points would mix two readers in one curve."""
    from decomp.curves.store import numbered_rows

    if not results.exists():
        return
    for line, row in numbered_rows(results)[0]:
        kind = row.get("reader")
        if kind not in inits or row.get("strategy") == "prior":
            continue
        made = ((row.get("reader_args") or {}).get("init") or {}).get("hash")
        wanted = (inits[kind] or {}).get("hash")
        if made != wanted:
            raise ConfigError(f"{results}: line {line} ({row.get('run_id')}) started from "
                              f"{'adapted model ' + made if made else 'a model not adapted'}, this config's "
                              f"{kind} reader from {'adapted model ' + wanted if wanted else 'a model not adapted'}: "
                              "resuming would mix two starting points in one curve; give the run another run_dir")
