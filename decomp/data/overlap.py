"""Adaptation data must share no question and no passage with what a curve evaluates on.

A passage is compared paragraph by paragraph (a HotpotQA paragraph recurs under many questions; DROP has one
paragraph per passage), whitespace- and case-folded; a question by its folded text. The protected set of a
(dataset, protocol) is what that protocol evaluates on, and for `gold` and `splits` (whose evaluation folds
are the pool) the whole pool: adaptation must not have read a question any fold scores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from decomp.data.schema import Example
from decomp.errors import ConfigError


def _print(text: str) -> str:
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()[:16]


def paragraph_prints(example: Example) -> set[str]:
    return {_print(p.text) for p in example.context}


def passage_print(example: Example) -> str:
    """One print for the whole context (used to pick whole passages)."""
    return _print(example.passage)


def question_print(example: Example) -> str:
    """A question's identity: its folded text, and for a one-paragraph context (DROP) its passage too, since
    generic DROP questions ("How many yards was the longest touchdown?") recur over different passages."""
    if len(example.context) == 1:
        return _print(f"{example.question}\n{example.context[0].text}")
    return _print(example.question)


@dataclass
class Protected:
    """Prints of the questions and paragraphs a set of (dataset, protocol) pairs evaluates on."""

    questions: dict[str, str] = field(default_factory=dict)  # print -> "dataset/protocol: example id"
    paragraphs: dict[str, str] = field(default_factory=dict)

    def add(self, label: str, examples: Iterable[Example]) -> None:
        for e in examples:
            self.questions.setdefault(question_print(e), f"{label}: {e.id}")
            for p in paragraph_prints(e):
                self.paragraphs.setdefault(p, f"{label}: {e.id}")

    def touches(self, example: Example) -> bool:
        return question_print(example) in self.questions or any(p in self.paragraphs
                                                               for p in paragraph_prints(example))

    def check(self, examples: Sequence[Example], what: str) -> None:
        """Stop at the first example that shares a question or a paragraph, naming both sides."""
        for e in examples:
            q = question_print(e)
            if q in self.questions:
                raise ConfigError(f"{what}: source {e.source!r} question {e.id!r} ({e.question[:80]!r}) is also "
                                  f"evaluated by {self.questions[q]}")
            shared = next((p for p in sorted(paragraph_prints(e)) if p in self.paragraphs), None)
            if shared is not None:
                raise ConfigError(f"{what}: source {e.source!r} question {e.id!r} reads passage "
                                  f"{e.group!r} ({e.passage[:80]!r}), which {self.paragraphs[shared]} is "
                                  "evaluated on")


PROTOCOL_SETS = {"gold": "pool", "splits": "pool", "deployed": "deployed"}


def protected_examples(dataset: str, protocol: str, data_dir=None, **options) -> list[Example]:
    """What `protocol` on `dataset` evaluates on (the pool for `gold` and `splits`)."""
    from decomp.data.datasets import get_dataset

    if protocol not in PROTOCOL_SETS:
        raise ConfigError(f"protects: unknown protocol {protocol!r}; known: {', '.join(PROTOCOL_SETS)}")
    ds = get_dataset(dataset, data_dir=data_dir, **options)
    return list(getattr(ds, PROTOCOL_SETS[protocol])())


def protected(pairs: dict[str, Sequence[str]], data_dir=None) -> Protected:
    found = Protected()
    for dataset, protocols in sorted(pairs.items()):
        for protocol in protocols:
            found.add(f"{dataset}/{protocol}", protected_examples(dataset, protocol, data_dir))
    return found

