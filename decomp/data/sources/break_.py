"""BREAK (QDMR / QDMR-high-level / logical-forms) CSV files, or the hub dataset `break_data`."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from decomp.errors import DataError
from decomp.qdmr.steps import Step, clean_text, parse_decomposition

HUB_NAME = "break_data"
COLUMNS = ("question_id", "question_text", "decomposition", "operators", "split")


@dataclass(frozen=True)
class BreakRow:
    """One BREAK question. `steps` is empty where BREAK hides the decomposition (test split)."""

    question_id: str
    question: str
    steps: tuple[Step, ...]
    split: str
    row: int  # 1-based data row in the file (header excluded), for error messages and joins
    invalid: str = ""  # lenient loading: why the decomposition was rejected (the question is kept)

    @property
    def dataset(self) -> str:
        """The source dataset prefix of the id: DROP, HOTPOT, CWQ, ..."""
        return self.question_id.split("_", 1)[0]


@dataclass
class BreakTable:
    """The rows of one BREAK file and, under lenient loading, the problems skipped (each counted).

    A row with an unusable question is dropped; a row with an invalid decomposition is kept with
    `steps=()` and `invalid` set, so joins still see the question but no gold pool includes it.
    """

    path: str
    rows: list[BreakRow]
    skipped: list[str]

    def for_dataset(self, dataset: str) -> list[BreakRow]:
        return [r for r in self.rows if r.dataset == dataset]

    def problems(self, dataset: str) -> list[str]:
        """Lenient-load problems of one dataset's rows, and of rows dropped before their id was known."""
        kept = {r.row for r in self.rows}
        dropped = [p for p in self.skipped if not any(f"row {k}," in p for k in kept)]
        return [r.invalid for r in self.for_dataset(dataset) if r.invalid] + dropped


def _row(record: dict, path: str, row: int, lenient: bool, problems: list[str]) -> BreakRow:
    for column in ("question_id", "question_text"):
        if not (record.get(column) or "").strip():
            raise DataError("empty value", file=path, row=row, field=column)
    decomposition = (record.get("decomposition") or "").strip()
    steps, invalid = (), ""
    if decomposition:
        try:
            steps = parse_decomposition(decomposition, record.get("operators"), file=path, row=row)
        except DataError as exc:
            if not lenient:
                raise
            # The question itself is sound and still joins; only its decomposition is unusable.
            invalid = str(exc)
            problems.append(invalid)
    return BreakRow(record["question_id"].strip(), clean_text(record["question_text"]), steps,
                    (record.get("split") or "").strip(), row, invalid)


def _read(records, path: str, lenient: bool) -> BreakTable:
    rows, problems = [], []
    for i, record in enumerate(records, start=1):
        try:
            rows.append(_row(record, path, i, lenient, problems))
        except DataError as exc:
            if not lenient:
                raise
            problems.append(str(exc))
    return BreakTable(path, rows, problems)


def _require_columns(found, path: str) -> None:
    """Every column, even when lenient: without `operators` every step's operator would silently be none."""
    missing = [c for c in COLUMNS if c not in (found or ())]
    if missing:
        raise DataError(f"missing column(s) {missing}; found {list(found or ())}", file=path, row=0)


def load_break_csv(path: str | Path, *, lenient: bool = False) -> BreakTable:
    """Read one BREAK CSV; every `#k` and operator list is validated (DataError names the row)."""
    path = str(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        _require_columns(reader.fieldnames, path)
        return _read(reader, path, lenient)


def load_break_hub(config: str = "QDMR-high-level", split: str = "validation", *,
                   lenient: bool = False) -> BreakTable:
    """Load BREAK from the Hugging Face hub (`break_data`); needs network access to the hub."""
    import datasets

    ds = datasets.load_dataset(HUB_NAME, config, split=split)
    _require_columns(ds.column_names, f"{HUB_NAME}/{config}/{split}")
    return _read(iter(ds), f"{HUB_NAME}/{config}/{split}", lenient)


def load_break(source: str | Path, *, lenient: bool = False) -> BreakTable:
    """A local CSV path, or `break_data:<config>:<split>` for the hub."""
    text = str(source)
    if text.startswith(HUB_NAME + ":"):
        _, config, split = (text.split(":") + ["validation"])[:3]
        return load_break_hub(config, split, lenient=lenient)
    return load_break_csv(source, lenient=lenient)
