"""The one example record every stage of the harness uses, whatever the source."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from decomp.qdmr.steps import Step

ANSWER_TYPES = ("number", "spans", "date", "yesno")


@dataclass(frozen=True)
class Date:
    day: str = ""
    month: str = ""
    year: str = ""

    def is_empty(self) -> bool:
        return not (self.day or self.month or self.year)

    def text(self) -> str:
        """DROP's rendering of a date: the non-empty parts joined by spaces (day month year)."""
        return " ".join(p for p in (self.day, self.month, self.year) if p)


@dataclass(frozen=True)
class Answer:
    """A DROP-style structured answer: exactly one of number, spans or date is set.

    HotpotQA answers are single spans (yes/no answers are spans `yes`/`no`, typed `yesno`).
    """

    number: str = ""
    spans: tuple[str, ...] = ()
    date: Date = Date()

    @property
    def type(self) -> str:
        if self.number:
            return "number"
        if self.spans:
            if len(self.spans) == 1 and self.spans[0].strip().lower() in ("yes", "no"):
                return "yesno"
            return "spans"
        if not self.date.is_empty():
            return "date"
        return "empty"

    def is_empty(self) -> bool:
        return self.type == "empty"

    def texts(self) -> tuple[str, ...]:
        """The answer as a tuple of strings, the form the DROP metric takes."""
        if self.number:
            return (self.number,)
        if self.spans:
            return tuple(self.spans)
        return (self.date.text(),) if not self.date.is_empty() else ()

    def text(self) -> str:
        """One display/target string (multi-span answers joined with ', ')."""
        return ", ".join(self.texts())

    def to_dict(self) -> dict:
        return {"number": self.number, "spans": list(self.spans),
                "date": {"day": self.date.day, "month": self.date.month, "year": self.date.year}}

    @classmethod
    def from_dict(cls, d: dict) -> Answer:
        date = d.get("date") or {}
        number = d.get("number", "")
        return cls(number=str(number) if number not in (None, "") else "",
                   spans=tuple(str(s) for s in d.get("spans") or ()),
                   date=Date(str(date.get("day", "") or ""), str(date.get("month", "") or ""),
                             str(date.get("year", "") or "")))

    @classmethod
    def span(cls, *texts: str) -> Answer:
        return cls(spans=tuple(texts))


@dataclass(frozen=True)
class Paragraph:
    """A titled paragraph (HotpotQA) or the single passage (DROP; empty title)."""

    title: str
    text: str
    sentences: tuple[str, ...] = ()  # kept when the source has them (supporting facts index them)

    def to_dict(self) -> dict:
        return {"title": self.title, "text": self.text, "sentences": list(self.sentences)}

    @classmethod
    def from_dict(cls, d: dict) -> Paragraph:
        return cls(d["title"], d["text"], tuple(d.get("sentences") or ()))


@dataclass(frozen=True)
class Example:
    """One multi-step QA question with its context, gold answers and (optional) gold decomposition.

    - `answers[0]` is the primary answer, the rest are validated alternatives (all count in scoring).
    - `decomposition` is empty when there is no gold QDMR (e.g. BREAK test questions).
    - `sub_answers[i]` is the gold answer of step i+1 where known (synthetic data, Successive Prompting).
    - `group` is the passage group used to split without leakage (DROP section, HotpotQA question id).
    """

    id: str
    source: str
    question: str
    context: tuple[Paragraph, ...]
    answers: tuple[Answer, ...]
    decomposition: tuple[Step, ...] = ()
    sub_answers: tuple[Answer | None, ...] = ()
    group: str = ""
    split: str = ""
    question_type: str = ""  # HotpotQA bridge/comparison, Successive-Prompting types, synthetic kinds
    supporting_facts: tuple[tuple[str, int], ...] = ()
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def answer_type(self) -> str:
        return self.answers[0].type if self.answers else "empty"

    @property
    def operators(self) -> tuple[str, ...]:
        return tuple(s.operator for s in self.decomposition)

    @property
    def passage(self) -> str:
        """The context as one string (paragraph titles kept, as readers see it)."""
        return "\n".join(f"{p.title}: {p.text}" if p.title else p.text for p in self.context)

    def supporting_titles(self) -> set[str]:
        """Titles of the supporting paragraphs: sentence-level facts, or IRCoT's paragraph flags (empty without)."""
        return {t for t, _ in self.supporting_facts} or set(self.meta.get("supporting_titles") or ())

    def gold_texts(self) -> list[tuple[str, ...]]:
        """Every acceptable answer, each as a tuple of span strings (input to the metrics)."""
        return [a.texts() for a in self.answers if not a.is_empty()]

    def with_decomposition(self, steps: tuple[Step, ...]) -> Example:
        return replace(self, decomposition=tuple(steps), sub_answers=())

    def to_dict(self) -> dict:
        """A JSON/Arrow-friendly dict: every field present, no None (Arrow infers one schema)."""
        return {
            "id": self.id, "source": self.source, "question": self.question,
            "context": [p.to_dict() for p in self.context],
            "answers": [a.to_dict() for a in self.answers],
            "decomposition": [s.to_dict() for s in self.decomposition],
            "sub_answers": [a.to_dict() if a is not None else Answer().to_dict()
                            for a in self.sub_answers],
            "group": self.group, "split": self.split, "question_type": self.question_type,
            "supporting_facts": [{"title": t, "sent_id": i} for t, i in self.supporting_facts],
            "meta": json.dumps(self.meta, sort_keys=True),
        }

    @classmethod
    def from_dict(cls, d: dict) -> Example:
        meta = d.get("meta") or {}
        subs = tuple(Answer.from_dict(a) for a in d.get("sub_answers") or ())
        return cls(
            id=d["id"], source=d["source"], question=d["question"],
            context=tuple(Paragraph.from_dict(p) for p in d["context"]),
            answers=tuple(Answer.from_dict(a) for a in d["answers"]),
            decomposition=tuple(Step.from_dict(s) for s in d.get("decomposition") or ()),
            sub_answers=tuple(None if a.is_empty() else a for a in subs),
            group=d.get("group", ""), split=d.get("split", ""),
            question_type=d.get("question_type", ""),
            supporting_facts=tuple((f["title"], int(f["sent_id"]))
                                   for f in d.get("supporting_facts") or ()),
            meta=json.loads(meta) if isinstance(meta, str) else dict(meta),
        )
