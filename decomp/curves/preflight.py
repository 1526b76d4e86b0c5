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
    from decomp.curves.rows import results_path

    writable_folder(run_dir)
    writable_file(results_path(run_dir))
    if (run_dir / "locks").exists():
        writable_folder(run_dir / "locks", "locks folder")
    for prefix in ("sqlite:///", "journal:"):
        if storage_url.startswith(prefix):
            storage = Path(storage_url.removeprefix(prefix))
            writable_folder(storage.parent, "storage folder")  # SQLite and the journal write beside the file
            writable_file(storage)
