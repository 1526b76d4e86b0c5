"""Predicted decompositions on disk: one JSON line per question, read by the `predicted` source.

Each line: {"id": <example id>, "steps": [{"text": ..., "operator": ...}, ...], "source": <decomposer>}.
Steps may also be given as one BREAK string under "decomposition" (with an optional "operators" list).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from decomp.data.schema import Example
from decomp.errors import ConfigError, DataError
from decomp.io import iter_jsonl, write_atomic
from decomp.qdmr.steps import Step, parse_decomposition, references_of, validate_references

SOURCES = ("gold", "predicted")


def _steps(record: dict, path: str, line: int) -> tuple[Step, ...]:
    if "steps" in record:
        steps = record["steps"]
        if not isinstance(steps, list) or not steps:
            raise DataError("must be a non-empty list", file=path, row=line, field="steps")
        try:
            texts = [s["text"] if isinstance(s, dict) else str(s) for s in steps]
            validate_references(texts)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(str(exc), file=path, row=line, field="steps") from None
        ops = [s.get("operator", "none") if isinstance(s, dict) else "none" for s in steps]
        return tuple(Step(t, o, references_of(t)) for t, o in zip(texts, ops, strict=True))
    if "decomposition" in record:
        return parse_decomposition(record["decomposition"], record.get("operators"), file=path, row=line)
    raise DataError("needs 'steps' or 'decomposition'", file=path, row=line, field="steps")


def read_decompositions(path: str | Path) -> dict[str, tuple[Step, ...]]:
    """Read a predicted-decompositions JSONL file; a bad line raises DataError naming it."""
    path = str(path)
    if not Path(path).is_file():
        raise ConfigError(f"predicted decompositions file not found: {path}")
    out: dict[str, tuple[Step, ...]] = {}
    for line_no, record in iter_jsonl(path):
        if not isinstance(record, dict) or not record.get("id"):
            raise DataError("missing", file=path, row=line_no, field="id")
        out[str(record["id"])] = _steps(record, path, line_no)
    return out


def write_decompositions(path: str | Path, items: Iterable[tuple[str, Sequence[Step]]], source: str) -> None:
    """Write (id, steps) pairs in the format `read_decompositions` reads (atomically)."""
    write_atomic(path, "".join(json.dumps({"id": example_id, "source": source,
                                           "steps": [{"text": s.text, "operator": s.operator} for s in steps]}) + "\n"
                                for example_id, steps in items))


def apply_decompositions(examples: Sequence[Example], source: str, path: str | Path | None) -> list[Example]:
    """Keep gold decompositions, or replace them by predicted ones (every example must have one)."""
    if source not in SOURCES:
        raise ConfigError(f"decompositions must be one of {SOURCES}, got {source!r}")
    if source == "gold":
        return list(examples)
    if path is None:
        raise ConfigError("decompositions=predicted needs predicted_file (a JSONL of predicted decompositions)")
    predicted = read_decompositions(path)
    missing = [e.id for e in examples if e.id not in predicted]
    if missing:
        raise ConfigError(f"{path} has no decomposition for {len(missing)} example(s), e.g. {missing[:3]}")
    return [replace(e, decomposition=predicted[e.id], sub_answers=()) for e in examples]
