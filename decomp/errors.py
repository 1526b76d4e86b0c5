"""Errors that tell the user where the bad input is."""

from __future__ import annotations


class DecompError(Exception):
    """Base class of the harness's own errors."""


class DataError(DecompError, ValueError):
    """A malformed input record, located by file, row/line and field."""

    def __init__(self, message: str, *, file: str | None = None, row: int | str | None = None,
                 field: str | None = None) -> None:
        self.file, self.row, self.field, self.reason = file, row, field, message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if field is not None:
            where.append(f"field '{field}'")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ConfigError(DecompError, ValueError):
    """A bad configuration value or command-line flag."""
