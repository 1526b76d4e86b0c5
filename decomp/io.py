"""The project's one JSON-lines reader, one atomic file writer, and one reader of the files a command is given.

JSONL policy: a blank line holds no record; a broken line is an error naming the file and line, except,
where the caller allows it (`skip_cut_short`), a line *cut short* (a prefix of a JSON value, which a
process killed mid-write leaves behind): it is skipped and counted, never guessed at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from decomp.errors import ConfigError, DataError


def is_cut_short(line: str, error: json.JSONDecodeError) -> bool:
    """True when `line` failed to parse only because it ends too early (its value was never closed)."""
    text = line.rstrip()
    return error.pos >= len(text) or error.msg.startswith("Unterminated string")


@dataclass
class JsonLines:
    """Iterate (1-based line number, record) over a JSONL file (or its already-read `lines`, e.g. of a
    decompressed file).

    `broken`: "raise" (a DataError naming file and line), or "yield" (the DataError in the record's place,
    for lenient loaders that collect bad rows). With `skip_cut_short`, cut-short lines are skipped and
    counted in `skipped` instead.
    """

    path: str | Path
    broken: str = "raise"
    skip_cut_short: bool = False
    lines: Iterable[str] | None = None
    skipped: int = 0

    def __iter__(self) -> Iterator[tuple[int, object]]:
        self.skipped = 0
        if self.lines is not None:
            yield from self._records(self.lines)
            return
        with open(self.path, encoding="utf-8", newline="") as f:
            # Split on line ends only: U+2028 and friends may sit inside a JSON string.
            yield from self._records(f)

    def _records(self, lines: Iterable[str]) -> Iterator[tuple[int, object]]:
        for line_no, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, json.loads(line)
            except json.JSONDecodeError as exc:
                if self.skip_cut_short and is_cut_short(line, exc):
                    self.skipped += 1
                    continue
                error = DataError(f"broken JSON line (not valid JSON: {exc.msg} at column {exc.colno})",
                                  file=str(self.path), row=line_no)
                if self.broken != "yield":
                    raise error from None
                yield line_no, error


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, object]]:
    """(line number, record) for each non-blank line; a broken line raises DataError."""
    return iter(JsonLines(path))


@contextmanager
def atomic_writer(path: str | Path, binary: bool = False, tmp_name: str | None = None, *,
                  sync: bool = True) -> Iterator[IO]:
    """A file to write whose content replaces `path` only once it is whole: a reader sees the old file or the
    new one, never a part.

    A sibling temp file (same file system, so os.replace is atomic; `tmp_name`, default `.<name>.<pid>.tmp`),
    opened normally so the umask applies, flushed to disk before the rename (`sync=False`: not, for a cache whose
    reader checks what it reads); removed again if anything fails.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(tmp_name or f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8", "newline": ""})) as f:
            yield f
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_atomic(path: str | Path, text: str | bytes, *, sync: bool = True) -> None:
    """Write `text` to `path` so a reader sees the old file or the new one, never a part (`atomic_writer`)."""
    with atomic_writer(path, binary=isinstance(text, bytes), sync=sync) as f:
        f.write(text)


def read_given(path: Path, what: str) -> str:
    """The text of a file a command was given (`what` it is: "curve config", "fit spec"); one that cannot be read
    is an error naming it, not a traceback."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc.strerror}") from None
