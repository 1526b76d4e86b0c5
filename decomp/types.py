"""Records shared by strategies, readers and scoring: reader inputs and predictions, keyed by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReaderInput:
    """One question a reader answers over one context.

    `uid` is unique per input (the example id, plus `#<step>` for a sub-question) and is how
    answers map back to inputs: never by position.
    `answers` holds the gold alternatives, each a tuple of span strings; empty at inference.
    """

    uid: str
    example_id: str
    question: str
    context: str
    answers: tuple[tuple[str, ...], ...] = ()
    step: int = 0  # 0: the whole question; k: sub-question k of a decomposition


@dataclass
class Prediction:
    """A strategy's answer to one example and the trace of how it was reached."""

    example_id: str
    answer: str
    trace: list[dict] = field(default_factory=list)  # one dict per asked (sub-)question
    spans: tuple[str, ...] = ()  # a multi-valued answer (e.g. a set from a symbolic step), if any

    def answer_spans(self) -> tuple[str, ...]:
        """The answer as the metrics take it: its spans where it has several, else the string."""
        return self.spans if len(self.spans) > 1 else (self.answer,)


ReaderAnswer = str | tuple[str, ...]
"""What a reader answers for one input: its spans (a multi-span answer), or one string."""


def as_spans(answer: str | Sequence[str]) -> tuple[str, ...]:
    """A reader's answer as a tuple of spans: a string is one span; blank spans are dropped."""
    spans = (answer,) if isinstance(answer, str) else tuple(answer)
    return tuple(s.strip() for s in spans if s.strip())


def join_spans(spans: Sequence[str]) -> str:
    """The text shown for a set of spans (and substituted for `#k` in later steps)."""
    return ", ".join(spans)
