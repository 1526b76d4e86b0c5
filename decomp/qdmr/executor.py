"""Symbolic execution of QDMR steps for the explicit-hybrid strategy (`ExplicitHybrid.execute` runs each step).

A reader answers select/project/filter steps; this module answers the symbolic ones (arithmetic, counts,
comparisons, superlatives, booleans, sorting, set operations) from the answers of earlier steps, each a
list of strings. A step it cannot parse, or whose inputs it cannot read unambiguously, yields None and the
caller asks the reader instead: the executor never guesses.

Conventions (DROP's): differences are magnitudes; "first/last of #k" are positions in the reader's list
(which follows passage order); a count of one answer that itself states a number ("3,000 soldiers") is
that number. A "which ... of #1 , #2" comparison answers with the winner's label: the question's
candidate ("..., the Federales or the Americans?") that matches it, else the words by which the winner's
step text (with its `#k` expanded) differs from the other compared steps' ("casualties of the Federales"
against "casualties of the Americans" gives "Federales"), else None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from decomp.qdmr.steps import Step, references_of
from decomp.qdmr.values import (
    NUMBER_WORDS,
    SCALES,
    as_answer,
    calculate,
    compare_values,
    date_difference,
    format_number,
    has_month,
    is_bare_year,
    normalize,
    parse_date,
    parse_number,
    parse_numbers,
    parse_yes_no,
    rank_values,
    same_answers,
    same_value,
)

SYMBOLIC_OPERATORS = frozenset({"arithmetic", "aggregate", "comparison", "comparative", "superlative",
                                "boolean", "sort", "union", "intersection", "discard"})

_HIGH = ("highest higher more most larger largest greater greatest bigger biggest longer longest taller "
         "tallest over above").split()
_LOW = "lowest lower less least fewer fewest smaller smallest shorter shortest under below".split()
_EARLY = "first earlier earliest before sooner".split()
_LATE = "last later latest after".split()
_SUPERLATIVES = [w for w in _HIGH + _LOW + _EARLY + _LATE if w.endswith("st")]
_ORDINALS = {w: i for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth tenth"
                                        .split(), 1)}
_TOP_K = {"two": 2, "three": 3, "four": 4, "five": 5}
_REFS = r"#\d+(?:\s*(?:,|and)\s*#\d+)*"
# Units an arithmetic step may name: date units and scales change the result, the others only label it.
_UNITS = set("days weeks months years millions thousands billions dollars percent percentage points yards "
             "people".split())
_STOP = set("the a an of that which who whom when where what did does do was were is are in on at to by for "
            "from with and or has had have be been being it its their his her".split())


def _full(pattern: str, text: str) -> re.Match | None:
    return re.fullmatch(pattern, text, re.IGNORECASE)


class _Context:
    """The inputs one step may read: earlier answers, the whole program and the question."""

    def __init__(self, previous: Mapping[int, Sequence[str]], steps: Sequence[Step] | None,
                 question: str | None) -> None:
        self.previous = {k: [v.strip() for v in vs if v and v.strip()] for k, vs in previous.items()}
        self.steps, self.question = steps, question

    def values(self, ref: str) -> list[str]:
        return self.previous[int(ref.lstrip("#"))]


def is_symbolic(step: Step) -> bool:
    """Whether the step's operator is one the executor answers (others go to the reader)."""
    return step.operator in SYMBOLIC_OPERATORS


def execute(step: Step, previous: Mapping[int, Sequence[str]], *, steps: Sequence[Step] | None = None,
            question: str | None = None) -> list[str] | None:
    """The answer of a symbolic step from earlier answers (`previous[k]` is step k's), or None.

    `steps` (the whole program, 1-based as `#k`) and `question` are only needed to name the winner of a
    "which ... of #1 , #2" comparison and the unit of a date difference.
    """
    if not is_symbolic(step) or any(k not in previous for k in references_of(step.text)):
        return None
    ctx = _Context(previous, steps, question)
    text = re.sub(r"\s+", " ", step.text).strip().rstrip("?. ")
    for handler in _HANDLERS:
        handled, result = handler(text, ctx)
        if handled:
            return result
    return None


# ---- words of order ------------------------------------------------------------------------------------

def _direction(word: str) -> int | None:
    """+1 for words that pick the largest or latest value, -1 for the smallest or earliest."""
    word = word.lower()
    if word in _HIGH or word in _LATE:
        return 1
    if word in _LOW or word in _EARLY:
        return -1
    return None


def _pick(groups: list[list[int]], direction: int, rank: int = 1) -> list[int] | None:
    if rank > len(groups):
        return None
    return groups[-rank] if direction > 0 else groups[rank - 1]


def _rank(word: str | None) -> int | None:
    if word is None:
        return 1
    word = word.lower()
    match = _full(r"(\d+)(?:st|nd|rd|th)", word)
    return int(match.group(1)) if match else _ORDINALS.get(word)


def _format(value: float, decimals: int) -> list[str]:
    return [format_number(value, decimals)]


def _listed(answer: str | None) -> list[str] | None:
    return None if answer is None else [answer]


# ---- conditions shared by comparative and boolean steps ----------------------------------------------------

def _condition(cond: str, ctx: _Context) -> Callable[[list[str]], bool | None] | None:
    """A test of one value against a condition such as "higher than 30", "at least #3", "between 4 and 9",
    "the same as #2" or "Cahul"; None if the condition is not understood."""
    cond = re.sub(r"^(?:is|are|was|were) ", "", cond)
    if _full(r"(?:the )?(?:\w+ )?(?:" + "|".join(_SUPERLATIVES) + ")", cond):
        return None  # superlatives compare across the set, not value by value
    match = _full(r"between (.+) and (.+)", cond)
    if match:
        low, high = (_operand(x, ctx) for x in match.groups())
        return None if low is None or high is None else (
            lambda v: _both(_compare(v, low), _compare(v, high), lambda a, b: a >= 0 and b <= 0))
    match = _full(r"(at least|at most|no more than|no less than|(\w+)(?: than)?) (.+)", cond)
    if match and (match.group(2) is None or _direction(match.group(2)) is not None):
        other = _operand(match.group(3), ctx)
        if other is None:
            return None
        test = {"at least": lambda c: c >= 0, "no less than": lambda c: c >= 0, "at most": lambda c: c <= 0,
                "no more than": lambda c: c <= 0}.get(match.group(1))
        if test is None:
            sign = _direction(match.group(2))
            test = (lambda c: c > 0) if sign > 0 else (lambda c: c < 0)
        return lambda v: _apply(_compare(v, other), test)
    match = _full(r"(?:(?:the )?same as|equal to|the) (.+)|(.+)", cond)
    target = match.group(1) or match.group(2)
    other = _operand(target, ctx, literal=True)
    if other is None:
        return None
    if "#" in target:
        return lambda v: same_answers(v, other)
    # A literal may list several items ("Mavrovouni and Skouriotissa") or be one name that contains "and".
    items = [t for t in re.split(r"\s*,\s*|\s+and\s+", target) if t]
    return lambda v: same_answers(v, other) or same_answers(v, items)


def _operand(text: str, ctx: _Context, literal: bool = False) -> list[str] | None:
    """A reference's answers or a literal value; a literal must read as a number or date unless `literal`."""
    text = text.strip()
    if _full(r"#\d+", text):
        return ctx.values(text)
    if "#" in text:
        return None
    if literal or parse_number(text) is not None or parse_date(text) is not None:
        return [text]
    return None


def _compare(values: list[str], other: list[str]) -> int | None:
    return compare_values(values[0], other[0]) if len(values) == 1 and len(other) == 1 else None


def _apply(c: int | None, test: Callable[[int], bool]) -> bool | None:
    return None if c is None else test(c)


def _both(a: int | None, b: int | None, test: Callable[[int, int], bool]) -> bool | None:
    return None if a is None or b is None else test(a, b)


# ---- handlers: each returns (matched, answer); the first whose pattern matches decides -------------------

def _union(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    if not _full(r"#\d+(?:\s*(?:,|and)\s*#\d+)+", text):
        return False, None
    return True, [v for ref in re.findall(r"#\d+", text) for v in ctx.values(ref)]


def _comparison(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"which (?:\w+ )?(?:is |was |are |were |happened |came |comes )?(?:the )?(.+?) of ("
                  + _REFS + ")", text)
    if not match or "," not in match.group(2) and " and " not in match.group(2):
        return False, None
    words, refs = match.group(1).lower().split(), re.findall(r"#\d+", match.group(2))
    values = [ctx.values(r) for r in refs]
    if any(len(v) != 1 for v in values):
        return True, None
    if words in (["true"], ["false"]):
        flags = [parse_yes_no(v[0]) for v in values]
        winners = [i for i, f in enumerate(flags) if f is (words == ["true"])]
        return True, (None if None in flags or len(winners) != 1 else _label(refs, winners[0], ctx))
    if words == ["second"]:  # "which was second of #1 , #2": the later one
        rank, direction = 2, -1
    else:
        rank = _rank(words[0]) if len(words) == 2 else 1
        direction = _direction(words[-1]) if len(words) <= 2 else None
    groups = rank_values([v[0] for v in values])
    if direction is None or rank is None or groups is None:
        return True, None
    winner = _pick(groups, direction, rank)
    return True, (_label(refs, winner[0], ctx) if winner and len(winner) == 1 else None)


def _where(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(#\d+) where (#\d+) (.+)", text)
    if not match:
        return False, None
    base, keys, cond = ctx.values(match.group(1)), ctx.values(match.group(2)), match.group(3)
    if len(base) != len(keys):
        return True, None
    sup = _full(r"(?:is |are )?(?:the )?(?:(\w+) )?(" + "|".join(_SUPERLATIVES) + ")", cond)
    if sup:
        groups, rank = rank_values(keys), _rank(sup.group(1))
        chosen = _pick(groups, _direction(sup.group(2)), rank) if groups and rank else None
        return True, None if chosen is None else [base[i] for i in sorted(chosen)]
    test = _condition(cond, ctx)
    if test is None:
        return True, None
    kept = [test([k]) for k in keys]
    return True, None if None in kept else [b for b, keep in zip(base, kept, strict=True) if keep]


def _boolean(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(?:if|is|are) (?:(both|either) )?(#\d+(?:\s*(?:,|and|or)\s*#\d+)+) "
                  r"(?:are|is|were|was) (?:both )?(true|false)", text)
    if match:
        refs = re.findall(r"#\d+", match.group(2))
        flags = [parse_yes_no(ctx.values(r)[0]) if len(ctx.values(r)) == 1 else None for r in refs]
        if None in flags:
            return True, None
        joined = any(flags) if (match.group(1) or "").lower() == "either" or " or " in match.group(2) \
            else all(flags)
        return True, ["yes" if joined == (match.group(3).lower() == "true") else "no"]
    match = (_full(r"if (#\d+) (?:is|was|are|were) (.+)", text)
             or _full(r"(?:is|was|are|were) (#\d+) (.+)", text))
    if not match:
        return False, None
    test = _condition(match.group(2), ctx)
    result = test(ctx.values(match.group(1))) if test else None
    return True, None if result is None else ["yes" if result else "no"]


def _sort(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(#\d+) sorted by (?:(ascending|descending) (?:order of )?)?(#\d+)"
                  r"(?: (?:in |from )?(.+))?", text)
    if not match:
        return False, None
    base, keys = ctx.values(match.group(1)), ctx.values(match.group(3))
    order = (match.group(2) or match.group(4) or "ascending").lower().replace("alphaetical", "alphabetical")
    descending = _full(r"(?:descending|high(?:est)? to low(?:est)?|largest to smallest)"
                       r"(?: alphabetical)?(?: order)?", order)
    if not descending and not _full(r"(?:ascending|low(?:est)? to high(?:est)?|smallest to largest)"
                                    r"(?: alphabetical)?(?: order)?|alphabetical order", order):
        return True, None
    if len(base) != len(keys):
        return True, None
    if "alphabetical" in order:
        groups = [[i] for i in sorted(range(len(keys)), key=lambda i: normalize(keys[i]))]
    else:
        groups = rank_values(keys)
    if groups is None:
        return True, None
    indices = [i for g in (reversed(groups) if descending else groups) for i in g]
    return True, [base[i] for i in indices]


def _intersection(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(#\d+ )?.*?\bboth (#\d+) and (#\d+)(?: have in common)?", text)
    if not match:
        return False, None
    first, second = ctx.values(match.group(2)), ctx.values(match.group(3))
    common = [a for a in first if any(same_value(a, b) for b in second)]
    if match.group(1):
        base = ctx.values(match.group(1).strip())
        return True, [b for b in base if any(same_value(b, c) for c in common)]
    # Asked what two answers share, an empty result means their wording differs, not that nothing is shared.
    return True, common or None


def _discard(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(.+?) besides (.+)", text)
    if not match:
        return False, None
    head, rest = match.groups()
    if head.lower().startswith("percent") and "#" not in head and _full(r"#\d+", rest):
        numbers = parse_numbers(ctx.values(rest))
        if numbers is None or len(numbers) != 1 or not 0 <= numbers[0].value <= 100:
            return True, None
        return True, _format(100 - numbers[0].value, numbers[0].decimals)
    if not _full(r"#\d+", head):
        return True, None
    base = ctx.values(head)
    removed = ctx.values(rest) if _full(r"#\d+", rest) else (
        None if "#" in rest else [r.strip() for r in re.split(r"\s*,\s*|\s+and\s+", rest) if r.strip()])
    # Every item discarded must be one of the base's; one that is not is a description we cannot match.
    if removed is None or not all(any(same_value(b, r) for b in base) for r in removed):
        return True, None
    return True, [b for b in base if not any(same_value(b, r) for r in removed)]


def _arithmetic(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(?:the )?(difference|sum|total|division|multiplication|product)(?: in (\w+))?"
                  r"(?: of)? (.+?)(?: in (\w+))?", text)
    if not match:
        return False, None
    op, args = match.group(1).lower(), match.group(3)
    unit = (match.group(2) or match.group(4) or "").lower() or None
    if unit is not None and unit not in _UNITS:
        return True, None
    parts = re.split(r"\s*,\s*|\s+and\s+", args)
    if not all(_full(r"#\d+", p) or _full(r"\d+(?:\.\d+)?", p) for p in parts):
        return True, None
    operands = [ctx.values(p) if p.startswith("#") else [p] for p in parts]
    if op in ("sum", "total"):
        return True, _listed(calculate("sum", [v for vs in operands for v in vs], unit))
    if len(operands) != 2 or any(len(vs) != 1 for vs in operands):
        return True, None
    values = [vs[0] for vs in operands]
    if op == "difference" and any(has_month(v) for v in values):
        return True, _date_difference(values, unit, ctx)
    if unit in ("days", "weeks", "months") and any(is_bare_year(v) for v in values):
        return True, None  # bare years cannot give a difference in days or months
    return True, _listed(calculate("multiplication" if op == "product" else op, values, unit))


def _date_difference(values: list[str], unit: str | None, ctx: _Context) -> list[str] | None:
    if unit is None and ctx.question:
        match = re.search(r"\bhow many (days|weeks|months|years)\b", ctx.question, re.IGNORECASE)
        unit = match.group(1).lower() if match else None
    dates = [parse_date(v) for v in values]
    if unit not in ("days", "weeks", "months", "years") or None in dates:
        return None
    difference = date_difference(dates[0], dates[1], unit)
    return None if difference is None else _format(difference, 2)


def _aggregate(text: str, ctx: _Context) -> tuple[bool, list[str] | None]:
    match = _full(r"(?:the )?(?:(\w+) )?(number|count|average|mean|first|last|"
                  + "|".join(_SUPERLATIVES) + r") of (#\d+)(?: in (\w+))?", text)
    if not match:
        return False, None
    qualifier, word, unit = ((g or "").lower() or None for g in match.group(1, 2, 4))
    values = ctx.values(match.group(3))
    if qualifier and word in ("number", "count", "average", "mean", "first", "last"):
        return True, None
    if word in ("number", "count"):
        return True, _count(values, unit)
    if unit:
        return True, None
    if word in ("average", "mean"):
        return True, _listed(calculate("average", values))
    if word in ("first", "last"):
        if not values:
            return True, None
        return True, [as_answer(values[0] if word == "first" else values[-1])]
    groups = rank_values(values)
    if groups is None:
        return True, None
    ordered = [i for g in (reversed(groups) if _direction(word) > 0 else groups) for i in g]
    if qualifier in _TOP_K:
        return True, [as_answer(values[i]) for i in ordered[:_TOP_K[qualifier]]] \
            if len(ordered) >= _TOP_K[qualifier] else None
    rank = _rank(qualifier)
    chosen = _pick(groups, _direction(word), rank) if rank else None
    return True, None if not chosen else [as_answer(values[chosen[0]])]


def _count(values: list[str], unit: str | None) -> list[str] | None:
    """How many answers there are, except that one answer stating a count ("3,000 soldiers", "seven")
    is that count; a single yardage or percentage ("25-yard") is one item, not 25, and a lone "1990"
    may be a year or a count, so it is left to the reader."""
    if len(values) == 1:
        if is_bare_year(values[0]):
            return None
        number, text = parse_number(values[0]), values[0].lower()
        if (number is not None and number.value >= 0 and number.value == int(number.value)
                and re.match(r"\d|(?:" + "|".join(NUMBER_WORDS) + r")\b", text)
                and not re.search(r"\d-[a-z]|%|\b(?:yards?|percent)\b", text)):
            scale = SCALES.get((unit or "").rstrip("s"))
            if unit and not (scale and scale >= 1000 and number.scaled):
                return None
            return _format(number.value / (scale or 1), len(str(scale or 1)) - 1)
    return None if unit else [str(len(values))]


def _label(refs: list[str], winner: int, ctx: _Context) -> list[str] | None:
    """The name of compared step `refs[winner]`: see the module docstring for the rule."""
    if ctx.steps is None or any(int(r[1:]) > len(ctx.steps) for r in refs):
        return None
    middles = _middles([_expand(int(r[1:]), ctx.steps) for r in refs])
    if middles is None:
        return None
    candidates = _candidates(ctx.question, len(refs)) if ctx.question else []
    best = []
    for middle in middles:
        scores = [_overlap(c, middle) for c in candidates]
        top = max(scores, default=0)
        best.append(scores.index(top) if top > 0 and scores.count(top) == 1 else None)
    if None not in best and len(set(best)) == len(best):
        return [candidates[best[winner]]]
    return [middles[winner]]


def _expand(k: int, steps: Sequence[Step], depth: int = 0) -> str:
    """Step k's text with every `#j` replaced by step j's expanded text."""
    text = steps[k - 1].text
    if depth > len(steps):
        return text
    return re.sub(r"#(\d+)", lambda m: _expand(int(m.group(1)), steps, depth + 1)
                  if int(m.group(1)) < k else m.group(0), text)


def _middles(texts: list[str]) -> list[str] | None:
    """The words by which each text differs from the others: the common prefix and suffix removed, cut
    back where that would leave a text with no content word ("officers in ..." against
    "non-commissioned officers in ..." gives "officers" and "non-commissioned officers")."""
    tokens = [t.split() for t in texts]
    lower = [[w.lower() for w in t] for t in tokens]
    shortest = min(len(t) for t in lower)
    p = 0
    while p < shortest and len({t[p] for t in lower}) == 1:
        p += 1
    s = 0
    while s < shortest - p and len({t[-1 - s] for t in lower}) == 1:
        s += 1
    for cut_p, cut_s in [(p, x) for x in range(s, -1, -1)] + [(x, 0) for x in range(p - 1, -1, -1)]:
        middles = [_strip_stop(t[cut_p:len(t) - cut_s]) for t in tokens]
        if all(middles):
            return middles if len({m.lower() for m in middles}) == len(middles) else None
    return None


def _strip_stop(words: list[str]) -> str:
    while words and words[0].lower() in _STOP:
        words = words[1:]
    while words and words[-1].lower() in _STOP:
        words = words[:-1]
    return " ".join(words).replace(" 's", "'s")


def _candidates(question: str, n: int) -> list[str]:
    """The `n` alternatives a question offers ("..., the Federales or the Americans?", "...: A, B or C?",
    "Which mall, Wilton Mall or Viaport Rotterdam, has had more owners?"); [] if it offers none."""
    q = question.strip().rstrip("?.! ")
    at = q.lower().rfind(" or ")
    if at < 0:
        return []
    right, left = q[at + 4:].split(",")[0], q[:at].rstrip(" ,")
    colon = left.rfind(":")
    if colon >= 0:
        lefts = left[colon + 1:].split(",") if n > 2 else [left[colon + 1:]]
    elif "," in left:
        lefts = left.split(",")[-(n - 1):]
    else:
        return []
    candidates = [c.strip() for c in [*lefts, right] if c.strip()]
    return candidates if len(candidates) == n else []


def _overlap(candidate: str, middle: str) -> int:
    """How many content words of the candidate appear (up to inflection) in the middle."""
    def content(text: str) -> list[str]:
        return [w for w in re.findall(r"\w+", text.lower()) if w not in _STOP]
    words = content(middle)
    return sum(any(a == b or len(a) >= 4 and len(b) >= 4 and a[:4] == b[:4] for b in words)
               for a in content(candidate))


_HANDLERS = (_union, _comparison, _boolean, _where, _sort, _intersection, _discard, _arithmetic, _aggregate)
