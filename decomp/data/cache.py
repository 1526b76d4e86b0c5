"""Arrow caching of prepared example sets through `datasets` (keyed by inputs and code version)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from decomp import __version__
from decomp.data.schema import Example
from decomp.hashing import json_digest

CACHE_FORMAT = "examples-v1"  # bump when Example.to_dict changes shape


def file_fingerprint(paths: Iterable[str | Path]) -> str:
    """Hash of file names, sizes and contents: a changed input file gives a new cache entry."""
    h = hashlib.sha256()
    for path in sorted(str(p) for p in paths):
        h.update(path.encode())
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()[:16]


def examples_fingerprint(examples: Sequence[Example]) -> str:
    """Content hash of an example set, recorded with results as the data hash."""
    h = hashlib.sha256()
    for e in examples:
        h.update(json.dumps(e.to_dict(), sort_keys=True).encode())
    return h.hexdigest()[:16]


def default_cache_dir() -> Path:
    return Path(os.environ.get("DECOMP_CACHE_DIR", Path.home() / ".cache" / "decomp"))


def cached_examples(name: str, key: dict, build: Callable[[], list[Example]],
                    cache_dir: str | Path | None = None) -> list[Example]:
    """Return `build()`, cached as an Arrow dataset under `cache_dir/name-<hash of key>`.

    The entry is written to a temporary folder and renamed, so an interrupted write never leaves a
    half-written cache behind.
    """
    import datasets

    full_key = {"key": key, "format": CACHE_FORMAT, "version": __version__}
    digest = json_digest(full_key, 16, default=None)
    target = Path(cache_dir or default_cache_dir()) / f"{name}-{digest}"
    if (target / "dataset_info.json").exists():
        table = datasets.load_from_disk(str(target))
        return [Example.from_dict(row) for row in table]
    examples = build()
    if not examples:
        return examples
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    datasets.disable_progress_bars()  # a bar per small cache write is noise in every command's output
    try:
        datasets.Dataset.from_list([e.to_dict() for e in examples]).save_to_disk(str(tmp))
    finally:
        datasets.enable_progress_bars()
    try:
        tmp.rename(target)
    except OSError:  # another process won the race; its entry is equivalent
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return examples
