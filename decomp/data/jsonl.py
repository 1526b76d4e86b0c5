"""Reading JSON-lines files with errors that name the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from decomp.errors import DataError


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, object]]:
    """(1-based line number, decoded record) for each non-blank line; a broken line raises DataError."""
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"broken JSON ({exc.msg})", file=str(path), row=line_no) from None
