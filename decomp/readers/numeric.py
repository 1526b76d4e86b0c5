"""Answers beyond spans for the extractive reader, as DROP readers produce them (NAQANet, Dua et al. 2019;
NABERT+; MTMSN, Hu et al. 2019): an answer-type head chooses among a passage span, a count (0-9), a signed sum
of the passage's numbers (a sign per number: 0, + or -) and yes/no; opted in (`question_spans`), a span of the
question too. Training marginalises over every derivation that yields a gold answer (maximum marginal
likelihood), so a question whose answer is both a span and a number in the passage trains both heads by what
they predict.

Pure functions here: numbers in a text, the derivations of a gold answer, rendering a computed number. The
heads and the loss live in `decomp.readers.extractive`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

ANSWER_TYPES = ("span", "count", "arithmetic", "yesno")
SPAN, COUNT, ARITHMETIC, YESNO = range(len(ANSWER_TYPES))
# Opt-in (`question_spans`), last so that the type head of a reader without it keeps its classes and shape.
QUESTION_SPAN = len(ANSWER_TYPES)
MAX_QUESTION_SPANS = 8  # occurrences of the gold answer in the question kept as labels
NO_SPAN = -1
MAX_COUNT = 9  # the count head's classes are 0..9
MAX_NUMBERS = 24  # number slots per window (the first ones in window order)
MAX_DERIVATIONS = 8  # sign vectors kept per window (fewest non-zero signs first)
SIGN_ZERO, SIGN_PLUS, SIGN_MINUS = 0, 1, 2
NO_DERIVATION = -1

WORD_NUMBERS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
WORD_NUMBERS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
                     "ninety": 90, "hundred": 100})
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\d])|\b(" +
                     "|".join(sorted(WORD_NUMBERS, key=len, reverse=True)) + r")\b", re.IGNORECASE)


def answer_types(question_spans: bool) -> tuple[str, ...]:
    """The type head's classes, in order."""
    return (*ANSWER_TYPES, "question_span") if question_spans else ANSWER_TYPES


def find_numbers(text: str) -> list[tuple[int, int, float]]:
    """(start, end, value) of every number written in digits ("1,200", "3.5") or as a word ("two")."""
    found = []
    for m in _NUMBER.finditer(text):
        digits, word = m.group(1), m.group(2)
        value = float(digits.replace(",", "")) if digits else float(WORD_NUMBERS[word.lower()])
        start, end = m.span(1) if digits else m.span(2)
        found.append((start, end, value))
    return found


def parse_number(text: str) -> float | None:
    """A gold answer string as a number ("1,200" -> 1200.0, "two" -> 2.0), or None."""
    t = text.strip().lower().replace(",", "")
    if t in WORD_NUMBERS:
        return float(WORD_NUMBERS[t])
    try:
        return float(t)
    except ValueError:
        return None


def render_number(value: float) -> str:
    """DROP's way of writing a computed number: an integer without a point, else at most two decimals."""
    if abs(value - round(value)) < 1e-6:
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def gold_numbers(answers: Sequence[Sequence[str]]) -> list[float]:
    """The numeric values among the gold alternatives that are one string each."""
    values = [parse_number(a[0]) for a in answers if len(a) == 1]
    return list(dict.fromkeys(v for v in values if v is not None))


def count_label(answers: Sequence[Sequence[str]]) -> int:
    """The count head's class for the first gold number in 0..9, or -1."""
    for v in gold_numbers(answers):
        if v == int(v) and 0 <= v <= MAX_COUNT:
            return int(v)
    return -1


def yesno_label(answers: Sequence[Sequence[str]]) -> int:
    """1 for a gold 'yes', 0 for 'no', else -1."""
    for a in answers:
        if len(a) == 1 and a[0].strip().lower() in ("yes", "no"):
            return int(a[0].strip().lower() == "yes")
    return -1


def derivations(values: Sequence[float], targets: Sequence[float]) -> list[list[int]]:
    """Sign vectors over `values` (SIGN_ZERO/PLUS/MINUS) whose signed sum is a target: one number, the sum or
    difference of two, the sum of three (NAQANet's space, trimmed to what DROP asks); fewest numbers first,
    at most MAX_DERIVATIONS."""
    found: list[list[int]] = []
    n = len(values)

    def hit(total: float) -> bool:
        return any(abs(total - t) < 1e-6 for t in targets)

    def add(signs: dict[int, int]) -> bool:
        vector = [SIGN_ZERO] * n
        for i, s in signs.items():
            vector[i] = s
        if vector not in found:
            found.append(vector)
        return len(found) >= MAX_DERIVATIONS

    for i in range(n):
        if hit(values[i]) and add({i: SIGN_PLUS}):
            return found
    for i, j in itertools.combinations(range(n), 2):
        if values[i] == values[j]:
            continue  # the same number twice (repeated mention) adds nothing a single one cannot say
        if hit(values[i] + values[j]) and add({i: SIGN_PLUS, j: SIGN_PLUS}):
            return found
        if hit(values[i] - values[j]) and add({i: SIGN_PLUS, j: SIGN_MINUS}):
            return found
        if hit(values[j] - values[i]) and add({j: SIGN_PLUS, i: SIGN_MINUS}):
            return found
    if not found:
        for i, j, k in itertools.combinations(range(min(n, 12)), 3):
            if hit(values[i] + values[j] + values[k]) and add({i: SIGN_PLUS, j: SIGN_PLUS, k: SIGN_PLUS}):
                return found
    return found


def signed_sum(values: Sequence[float], signs: Sequence[int]) -> float | None:
    """The value a sign vector computes, or None when every sign is zero."""
    if all(s == SIGN_ZERO for s in signs):
        return None
    return sum(v if s == SIGN_PLUS else -v for v, s in zip(values, signs, strict=False) if s != SIGN_ZERO)
