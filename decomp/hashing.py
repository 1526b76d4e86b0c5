"""The project's hashes of JSON values and its seeded orders, in one place.

Their values are stored in committed rows, study names and cache folders, so each is fixed byte for byte:
sha256 of `json.dumps(obj, sort_keys=True)` (default separators, ASCII), hex, cut to `n` characters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any


def json_digest(obj: Any, n: int | None = None, *, default: Callable[[Any], Any] | None = str) -> str:
    """sha256 hex of `obj` as sorted-key JSON, cut to `n` characters (None: all 64).

    `default=str` hashes values JSON cannot hold (paths, dates) by their text; `default=None` refuses
    them (TypeError), for keys that must be plain JSON.
    """
    text = json.dumps(obj, sort_keys=True, default=default)
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def seeded_rank(seed: object, key: str) -> str:
    """A sort key that orders `key`s pseudo-randomly, fixed by `seed` alone: the sha256 hex of
    "<seed>:<key>". Unlike a shuffle, a key's place never depends on which other keys are sorted with it."""
    return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()


def seeded_int(seed: object, key: str, digits: int | None = None) -> int:
    """`seeded_rank` as an integer, from its first `digits` hex digits (None: all)."""
    return int(seeded_rank(seed, key)[:digits], 16)
