"""What every synthetic template builds (a question, its gold steps and their answers); drawing one."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from decomp.data.schema import Answer, Date
from decomp.data.synthetic.vocab import MONTHS
from decomp.qdmr.steps import references_of


@dataclass
class Built:
    """One generated question. `steps` are BREAK-style (text, operator, gold answer of the step)."""

    question: str
    steps: list[tuple[str, str, Answer]]
    question_type: str
    support: tuple[tuple[str, int], ...] = ()  # (paragraph title, sentence index), HotpotQA-like only


@dataclass(frozen=True)
class Template:
    """A question family: `make(rng, world)` returns None when the world cannot support it."""

    name: str
    answer_type: str
    hops: int
    make: Callable[[random.Random, object], Built | None]


def fmt(value: int | Decimal) -> str:
    """A number as DROP writes it: no exponent, no trailing `.0`."""
    if isinstance(value, Decimal) and value != value.to_integral_value():
        return format(value, "f")
    return str(int(value))


def number(value: int | Decimal) -> Answer:
    return Answer(number=fmt(value))


def spans(texts: Iterable[str]) -> Answer:
    """A (possibly multi-) span answer, duplicates dropped, first-mention order kept."""
    return Answer(spans=tuple(dict.fromkeys(texts)))


def span(text: str) -> Answer:
    return Answer.span(text)


def yesno(flag: bool) -> Answer:
    return Answer.span("yes" if flag else "no")


def year(value: int | str) -> Answer:
    return Answer(date=Date(year=str(value)))


def on(date: Date) -> Answer:
    return Answer(date=date)


def date_key(date: Date) -> tuple[int, int, int]:
    return int(date.year), MONTHS.index(date.month) + 1 if date.month else 0, int(date.day or 0)


def depth(step_texts: Sequence[str]) -> int:
    """The longest chain of `#k` references (a step without references has depth 1)."""
    depths: list[int] = []
    for text in step_texts:
        depths.append(1 + max((depths[k - 1] for k in references_of(text)), default=0))
    return max(depths, default=0)


def ask(rng: random.Random, templates: Sequence[Template], type_weights: dict[str, float],
        hops: Sequence[int], world: object, avoid: Collection[str] = (),
        tries: int = 12) -> tuple[Template, Built] | None:
    """Draw an answer type by weight, then a template of that type (preferring ones not in `avoid`)."""
    allowed = [t for t in templates if t.hops in hops and type_weights.get(t.answer_type, 0) > 0]
    for _ in range(tries):
        types = sorted({t.answer_type for t in allowed})
        if not types:
            return None
        answer_type = rng.choices(types, [type_weights[t] for t in types])[0]
        pool = [t for t in allowed if t.answer_type == answer_type]
        template = rng.choice([t for t in pool if t.name not in avoid] or pool)
        built = template.make(rng, world)
        if built is not None:
            return template, built
    return None
