"""QDMR steps: parsing BREAK's decomposition strings and validating `#k` references."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from decomp.errors import DataError

REFERENCE = re.compile(r"#(\d+)")

# BREAK's operator vocabulary (high-level and low-level QDMR), used to validate operator lists.
OPERATORS = (
    "select", "project", "filter", "aggregate", "group", "superlative", "comparative", "union",
    "intersection", "discard", "sort", "boolean", "arithmetic", "comparison", "none",
)


@dataclass(frozen=True)
class Step:
    """One QDMR step. `references` are the 1-based indices of earlier steps it uses (`#k`)."""

    text: str
    operator: str = "none"
    references: tuple[int, ...] = ()

    def to_dict(self) -> dict:
        return {"text": self.text, "operator": self.operator, "references": list(self.references)}

    @classmethod
    def from_dict(cls, d: dict) -> Step:
        return cls(d["text"], d.get("operator", "none"), tuple(d.get("references", ())))


def clean_text(text: str) -> str:
    """Collapse BREAK's doubled spaces and the space it puts before punctuation after `#k`."""
    return re.sub(r"\s+", " ", text).strip()


def references_of(text: str) -> tuple[int, ...]:
    """The distinct `#k` references of a step, in order of first appearance."""
    seen: list[int] = []
    for match in REFERENCE.finditer(text):
        k = int(match.group(1))
        if k not in seen:
            seen.append(k)
    return tuple(seen)


def validate_references(steps: list[str] | tuple[str, ...]) -> None:
    """Raise ValueError if a step refers to itself, a later step or a step that does not exist."""
    for i, text in enumerate(steps, start=1):
        for k in references_of(text):
            if k < 1 or k > len(steps):
                raise ValueError(f"step {i} refers to #{k}, out of range 1..{len(steps)}")
            if k == i:
                raise ValueError(f"step {i} refers to itself (#{k})")
            if k > i:
                raise ValueError(f"step {i} refers forward to #{k}")


def split_steps(decomposition: str) -> list[str]:
    """Split a BREAK decomposition string (`return a ;return b #1`) into cleaned step texts."""
    steps = []
    for raw in decomposition.split(";"):
        text = clean_text(raw)
        if text.lower().startswith("return "):
            text = text[len("return "):]
        elif text.lower() == "return":
            text = ""
        if not text:
            raise ValueError(f"empty step in decomposition {decomposition!r}")
        steps.append(text)
    return steps


def parse_operators(operators: str | list[str]) -> list[str]:
    """Parse BREAK's operator column (a Python-literal list) and check each name."""
    if isinstance(operators, str):
        try:
            value = ast.literal_eval(operators)
        except (ValueError, SyntaxError) as exc:
            raise ValueError(f"unparseable operator list {operators!r}") from exc
    else:
        value = operators
    if not isinstance(value, (list, tuple)) or not all(isinstance(o, str) for o in value):
        raise ValueError(f"operators must be a list of names, got {operators!r}")
    # BREAK labels steps its operator classifier could not type as the string 'None'.
    value = ["none" if o == "None" else o for o in value]
    unknown = [o for o in value if o not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown operator(s) {unknown} (known: {', '.join(OPERATORS)})")
    return list(value)


def parse_decomposition(decomposition: str, operators: str | list[str] | None = None, *,
                        file: str | None = None, row: int | str | None = None) -> tuple[Step, ...]:
    """Parse and validate one BREAK decomposition; errors name the file, row and field."""
    try:
        texts = split_steps(decomposition)
        validate_references(texts)
    except ValueError as exc:
        raise DataError(str(exc), file=file, row=row, field="decomposition") from None
    if operators is None or operators == "":
        ops = ["none"] * len(texts)
    else:
        try:
            ops = parse_operators(operators)
        except ValueError as exc:
            raise DataError(str(exc), file=file, row=row, field="operators") from None
        if len(ops) != len(texts):
            raise DataError(f"{len(ops)} operators for {len(texts)} steps", file=file, row=row,
                            field="operators")
    return tuple(Step(t, o, references_of(t)) for t, o in zip(texts, ops, strict=True))


def to_break_string(steps: tuple[Step, ...] | list[Step]) -> str:
    """Render steps back in BREAK's `return a ;return b` form."""
    return " ;".join(f"return {s.text}" for s in steps)
