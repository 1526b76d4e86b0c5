"""Generated text -> answer spans in DROP/HotpotQA form: cut at the stop rule, split at the span
separator the generative reader uses, numbers and dates written as the datasets write them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from decomp.qdmr.values import MONTHS, format_number, has_month, parse_date, parse_number
from decomp.readers.seq2seq import parse_spans

# Each month's full name: the longest of its spellings.
_MONTH_TITLES = {i: name.title() for name, i in sorted(MONTHS.items(), key=lambda kv: len(kv[0]))}
_NUMERIC = re.compile(r"[-+]?\$?\d[\d,]*(?:\.\d+)?\s*%?")
_NUMBER_WORD = re.compile(r"[a-z]+(?:[- ][a-z]+)?", re.IGNORECASE)
_DATE_WORDS = re.compile(r"\b(?:\d{1,4}(?:st|nd|rd|th)?|of|" + "|".join(MONTHS) + r")\b\.?|,", re.IGNORECASE)
_ECHO = re.compile(r"^\s*(?:the\s+)?answer\s*(?:is)?\s*:?\s*", re.IGNORECASE)


def cut(text: str, stop: Sequence[str]) -> str:
    """`text` up to the first stop string (generation stops after the token that holds it)."""
    ends = [text.index(s) for s in stop if s and s in text]
    return text[:min(ends)] if ends else text


def answer_form(span: str) -> str:
    """A number alone in DROP's digits ("1,234" -> "1234", "seven" -> "7"), a date alone as DROP writes
    dates ("October 3, 1990" -> "3 October 1990"); any other span unchanged."""
    span = span.strip().strip("\"'").strip()
    if _NUMERIC.fullmatch(span) or (_NUMBER_WORD.fullmatch(span) and not has_month(span)):
        number = parse_number(span)
        if number is not None:
            return format_number(number.value, max(number.decimals, 2))
    if has_month(span) and not _DATE_WORDS.sub("", span).strip():
        date = parse_date(span)
        if date is not None and date.month is not None:
            parts = [str(date.day) if date.day else "", _MONTH_TITLES[date.month], str(date.year or "")]
            return " ".join(p for p in parts if p)
    return span


def answer_spans(text: str, stop: Sequence[str]) -> tuple[str, ...]:
    """The answer spans of a generated continuation."""
    text = _ECHO.sub("", cut(text, stop).strip(), count=1)
    return tuple(dict.fromkeys(answer_form(s) for s in parse_spans(text)))
