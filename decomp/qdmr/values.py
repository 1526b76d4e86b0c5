"""Reading numbers and dates out of reader answers, comparing them, and writing numbers DROP-style."""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december")
MONTHS = {name: i for i, name in enumerate(_MONTH_NAMES, start=1)} | {
    name[:3]: i for i, name in enumerate(_MONTH_NAMES, start=1)} | {"sept": 9}
# "may", "march" or "Jan" alone are more often a verb or noise than a date.
_LONE_MONTHS = set(_MONTH_NAMES) - {"may", "march"}

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
          "sixteen seventeen eighteen nineteen").split()
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
NUMBER_WORDS = {w: i for i, w in enumerate(_UNITS)} | _TENS
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}

_SCALE = r"(?:\s+(?P<scale>hundred|thousand|million|billion)s?\b)?"
# A numeral is not part of a word: "49ers", "1990s" and "2nd" are not numbers, "42-yard" and "12%" are.
_NUMERAL = re.compile(r"(?<![\w.,])(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?![\w.,]\d|[A-Za-z\d])"
                      + _SCALE, re.IGNORECASE)
_WORD = re.compile(r"\b(?:(?P<tens>" + "|".join(_TENS) + r")(?:[- ](?P<unit>" + "|".join(_UNITS[1:10])
                   + r"))?|(?P<single>" + "|".join(_UNITS) + r"))\b" + _SCALE, re.IGNORECASE)
_MONTH = r"(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>\d{3,4})(?:\s*(?P<era>BCE|BC|AD|CE)\b)?"
_DAY = r"(?P<{}>\d{{1,2}})(?:st|nd|rd|th)?"
_DATE = re.compile(
    r"(?<![\w.,])(?:" + _DAY.format("day1") + r"\s+(?:of\s+)?" + _MONTH.format("month1")
    + r"|" + _MONTH.format("month2") + r"(?:\s+" + _DAY.format("day2") + r"(?![\d:]))?)"
    + r"(?:,?\s+" + _YEAR + r")?(?![\w])"
    + r"|(?<![\w.,$\-–])" + _YEAR.replace("year", "year2").replace("era", "era2") + r"(?![\w.,]\d|[\w%-])",
    re.IGNORECASE)


@dataclass(frozen=True)
class Number:
    """A number read from an answer; `decimals` is how many it was written with, `scaled` whether it
    carried a scale word ("4.5 million"), which arithmetic "in millions" needs."""

    value: float
    decimals: int = 0
    scaled: bool = False


@dataclass(frozen=True)
class PartialDate:
    """A date with any of its parts unknown ("August 1990", "May 5", "1990")."""

    year: int | None = None
    month: int | None = None
    day: int | None = None


def parse_number(text: str) -> Number | None:
    """The one number in `text` ("3,000 people", "42-yard", "12.5%", "seven"); None if none or several."""
    found: list[Number] = []
    for m in _NUMERAL.finditer(text):
        scale = SCALES[m["scale"].lower()] if m["scale"] else 1
        frac = m["frac"] or ""
        value = float(m["int"].replace(",", "") + ("." + frac if frac else "")) * scale
        found.append(Number(value, max(0, len(frac) - len(str(scale)) + 1), scale >= 1000))
    for m in _WORD.finditer(text):
        if m["tens"]:
            value = _TENS[m["tens"].lower()] + (NUMBER_WORDS[m["unit"].lower()] if m["unit"] else 0)
        else:
            value = NUMBER_WORDS[m["single"].lower()]
        scale = SCALES[m["scale"].lower()] if m["scale"] else 1
        found.append(Number(float(value * scale), 0, scale >= 1000))
    if len(found) != 1:
        return None
    number = found[0]
    return Number(-number.value, number.decimals, number.scaled) if text.strip().startswith("-") else number


def _dates(text: str) -> list[PartialDate]:
    dates = []
    for m in _DATE.finditer(text):
        month_name = m["month1"] or m["month2"]
        day = m["day1"] or m["day2"]
        year_text, era = (m["year"], m["era"]) if month_name else (m["year2"], m["era2"])
        if month_name and not (day or year_text) and month_name.lower() not in _LONE_MONTHS:
            continue
        year = int(year_text) if year_text else None
        if year is not None and era and era.upper().startswith("B"):
            year = -year
        if day is not None and not 1 <= int(day) <= 31:
            continue
        dates.append(PartialDate(year, MONTHS[month_name.lower()] if month_name else None,
                                 int(day) if day else None))
    return dates


def has_month(text: str) -> bool:
    return any(d.month is not None for d in _dates(text))


def parse_date(text: str) -> PartialDate | None:
    """The one date in `text` ("17 August 1990", "August 17, 1990", "May 5", "1990"); None otherwise."""
    dates = _dates(text)
    return dates[0] if len(dates) == 1 else None


def compare_dates(a: PartialDate, b: PartialDate) -> int | None:
    """-1, 0 or 1; None when the known parts cannot decide (e.g. "August 1990" against "17 August 1990")."""
    for x, y in ((a.year, b.year), (a.month, b.month), (a.day, b.day)):
        if x is None and y is None:
            continue
        if x is None or y is None:
            return None
        if x != y:
            return -1 if x < y else 1
    return 0


def date_difference(a: PartialDate, b: PartialDate, unit: str) -> float | None:
    """|b - a| in years, months, weeks or days, from the parts that unit needs; None if they are missing."""
    if unit == "years":
        return abs(b.year - a.year) if a.year is not None and b.year is not None else None
    if unit == "months":
        if a.month is None or b.month is None or (a.year is None) != (b.year is None):
            return None
        return abs(12 * ((b.year or 0) - (a.year or 0)) + b.month - a.month)
    if None in (a.month, a.day, b.month, b.day):
        return None
    if a.year is None and b.year is None:
        # Without years the count is only certain when no 29 February can fall between the two dates.
        if (a.month <= 2) != (b.month <= 2):
            return None
        years = (2001, 2001)
    elif a.year is None or b.year is None or a.year <= 0 or b.year <= 0:
        return None
    else:
        years = (a.year, b.year)
    try:
        days = abs((datetime.date(years[1], b.month, b.day) - datetime.date(years[0], a.month, a.day)).days)
    except ValueError:
        return None
    return days / 7 if unit == "weeks" else float(days)


def format_number(value: float, decimals: int = 2) -> str:
    """DROP's style: integers without ".0", otherwise at most `decimals` places, trailing zeros dropped."""
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.{decimals}f}".rstrip("0").rstrip(".")


def normalize(text: str) -> str:
    """Lower case without articles, punctuation or extra spaces, for matching answers as set members."""
    text = re.sub(r"[^\w\s]", " ", text.lower())
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


def parse_yes_no(text: str) -> bool | None:
    return {"yes": True, "true": True, "no": False, "false": False}.get(normalize(text))


def parse_numbers(texts: Sequence[str]) -> list[Number] | None:
    """Each text's number; None if one has none, or if some carry a scale word ("4.5 million") while
    others are small bare numbers that may already be in that scale."""
    numbers = [parse_number(t) for t in texts]
    if any(n is None for n in numbers):
        return None
    if any(n.scaled for n in numbers) and any(not n.scaled and abs(n.value) < 1000 for n in numbers):
        return None
    return numbers


def _keys(texts: Sequence[str]) -> tuple[list, Callable[..., int | None]] | None:
    """Comparable keys (dates when a text names a month, else numbers) and their comparator."""
    if any(has_month(t) for t in texts):
        dates = [parse_date(t) for t in texts]
        return None if None in dates else (dates, compare_dates)
    numbers = parse_numbers(texts)
    if numbers is None:
        return None
    return [n.value for n in numbers], lambda a, b: (a > b) - (a < b)


def compare_values(a: str, b: str) -> int | None:
    """-1, 0 or 1 comparing two answers as dates or numbers; None if they cannot be compared."""
    keyed = _keys([a, b])
    return None if keyed is None else keyed[1](*keyed[0])


def rank_values(texts: Sequence[str]) -> list[list[int]] | None:
    """Indices of `texts` grouped by equal value, smallest (earliest) first; None unless every pair of
    texts can be compared as numbers or as dates."""
    keyed = _keys(texts)
    if keyed is None:
        return None
    keys, cmp = keyed
    if any(cmp(a, b) is None for a in keys for b in keys):
        return None
    order = sorted(range(len(keys)), key=functools.cmp_to_key(lambda i, j: cmp(keys[i], keys[j])))
    groups: list[list[int]] = []
    for i in order:
        if groups and cmp(keys[groups[-1][0]], keys[i]) == 0:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def same_value(a: str, b: str) -> bool:
    """Whether two answers name the same thing: equal after normalising, or equal numbers when one of
    them is a bare number ("40" and "40-yard"; but not "2 touchdowns" and "2 field goals")."""
    na, nb = normalize(a), normalize(b)
    if na == nb:
        return True
    if not (re.fullmatch(r"[\d.]+", na.replace(" ", "")) or re.fullmatch(r"[\d.]+", nb.replace(" ", ""))):
        return False
    x, y = parse_number(a), parse_number(b)
    return x is not None and y is not None and x.value == y.value


def same_answers(a: Sequence[str], b: Sequence[str]) -> bool | None:
    """Whether two answers are equal: as numbers or dates when each is one comparable value, else as
    sets of items; None if one is empty."""
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1 and compare_values(a[0], b[0]) is not None:
        return compare_values(a[0], b[0]) == 0
    return (all(any(same_value(x, y) for y in b) for x in a)
            and all(any(same_value(x, y) for x in a) for y in b))


def is_bare_year(text: str) -> bool:
    """"1990" alone: a year as much as a number."""
    return re.fullmatch(r"\d{4}", text.strip()) is not None and int(text) >= 1000


def calculate(op: str, texts: Sequence[str], unit: str | None = None) -> str | None:
    """`op` (sum, difference, multiplication, division, average) of the texts' numbers, DROP-formatted.

    Sums and differences keep the inputs' decimals, averages at least 2 and divisions 4 (a ratio is often
    scaled to a percentage next). A difference is a magnitude. `unit` "millions" (thousands, billions)
    expresses the result in that scale, which every input must have been written with.
    """
    numbers = parse_numbers(texts)
    if not numbers or op not in ("sum", "average") and len(numbers) != 2:
        return None
    xs, decimals = [n.value for n in numbers], max(n.decimals for n in numbers)
    if op == "sum":
        result = sum(xs)
    elif op == "difference":
        result = abs(xs[0] - xs[1])
    elif op == "multiplication":
        result, decimals = xs[0] * xs[1], sum(n.decimals for n in numbers)
    elif op == "average":
        result, decimals = sum(xs) / len(xs), max(2, decimals)
    elif op == "division" and xs[1] != 0:
        result, decimals = xs[0] / xs[1], max(4, decimals)
    else:
        return None
    scale = SCALES.get((unit or "").rstrip("s"))
    if scale and scale >= 1000:
        if not all(n.scaled for n in numbers):
            return None
        result, decimals = result / scale, decimals + len(str(scale)) - 1
    return format_number(result, decimals)


def as_answer(item: str) -> str:
    """The number of a numeric item ("40-yard" gives "40"), DROP-formatted; any other item unchanged."""
    number = parse_number(item)
    return item if number is None or has_month(item) else format_number(number.value, number.decimals)
