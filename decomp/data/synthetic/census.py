"""DROP-like census paragraphs: population counts, racial and age make-up as percentages."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from decomp.data.synthetic.build import Built, Template, fmt, number, span, spans, year, yesno
from decomp.data.synthetic.vocab import Namer

RACES = ("White", "African American", "Asian", "Native American", "Pacific Islander", "multiracial")
AGES = ("under 18", "18 to 44", "45 to 64", "65 or older")
AGE_PHRASE = {"under 18": "under 18", "18 to 44": "aged 18 to 44", "45 to 64": "aged 45 to 64",
              "65 or older": "aged 65 or older"}


@dataclass
class Census:
    place: str
    population: dict[int, int]  # census year -> people, earlier year first
    race: dict[str, Decimal]
    age: dict[str, Decimal]
    text: str

    def facts(self) -> dict:
        return {"place": self.place, "population": {str(y): p for y, p in self.population.items()},
                "race": {k: fmt(v) for k, v in self.race.items()},
                "age": {k: fmt(v) for k, v in self.age.items()}}


def _shares(rng: random.Random, k: int, least: int) -> list[Decimal]:
    """k distinct percentages of at least `least` tenths, each with a non-zero decimal, summing to 100."""
    while True:
        cuts = sorted(rng.sample(range(1, 1000), k - 1))
        parts = [b - a for a, b in zip([0] + cuts, cuts + [1000], strict=True)]
        if min(parts) >= least and len(set(parts)) == k and all(p % 10 for p in parts):
            return [Decimal(p) / 10 for p in parts]


def census(rng: random.Random, namer: Namer, sentences: int) -> Census:
    place, unit = namer.town(), rng.choice(("town", "city"))
    later = rng.choice((1990, 2000, 2010, 2020))
    now = rng.randint(1500, 9800)
    before = rng.choice([p for p in range(now * 7 // 10, now * 13 // 10) if p != now])
    race = dict(zip(rng.sample(RACES, 4), _shares(rng, 4, 8), strict=True))
    age = dict(zip(AGES, _shares(rng, 4, 60), strict=True))
    listed = [f"{v}% {k}" for k, v in race.items()]
    text = [f"As of the census of {later}, {place} had a population of {now}, "
            f"{'up' if now > before else 'down'} from {before} in {later - 10}.",
            f"The racial makeup of the {unit} was {', '.join(listed[:-1])} and {listed[-1]}.",
            f"In {place}, {age['under 18']}% of residents were under 18, {age['18 to 44']}% were 18 to 44, "
            f"{age['45 to 64']}% were 45 to 64, and {age['65 or older']}% were 65 or older."]
    extras = [f"There were {rng.randint(300, now // 2)} households, of which "
              f"{Decimal(rng.randint(201, 449)) / 10}% had children living with them.",
              f"The median age was {rng.randint(28, 48)} years.",
              f"About {Decimal(rng.randint(31, 249)) / 10}% of the population lived below the poverty line.",
              f"The {unit} covers {Decimal(rng.randint(21, 399)) / 10} square miles."]
    text += extras[:max(0, sentences - len(text))]
    return Census(place, {later - 10: before, later: now}, race, age, " ".join(text))


class Group(NamedTuple):
    noun: str  # "racial group" / "age group"
    shares: dict[str, Decimal]
    step: Callable[[str], str]  # label -> the select step reading its share
    who: str  # "people" / "residents"
    name: Callable[[str], str]  # label -> a noun phrase for the people in the group


def _group(rng: random.Random, c: Census) -> Group:
    if rng.random() < 0.5:
        return Group("racial group", c.race, lambda g: f"percent of people that were {g}", "people",
                     lambda g: f"{g} residents")
    return Group("age group", c.age, lambda a: f"percent of residents {AGE_PHRASE[a]}", "residents",
                 lambda a: f"residents {AGE_PHRASE[a]}")


def _phrase(label: str) -> str:
    return AGE_PHRASE.get(label, label)


# --- one hop ------------------------------------------------------------------------------------------

def share_lookup(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    label = rng.choice(list(g.shares))
    return Built(f"What percent of {g.who} were {_phrase(label)}?",
                 [(g.step(label), "select", number(g.shares[label]))], "lookup")


def group_lookup(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    label = rng.choice(list(g.shares))
    return Built(f"Which {g.noun} made up {g.shares[label]}% of {g.who}?",
                 [(f"{g.noun} that made up {g.shares[label]} percent of {g.who}", "select", span(label))],
                 "lookup")


def year_lookup(rng: random.Random, c: Census) -> Built | None:
    y = rng.choice(list(c.population))
    return Built(f"In which year did {c.place} have a population of {c.population[y]}?",
                 [(f"year when {c.place} had a population of {c.population[y]}", "select", year(y))], "date")


def grew_lookup(rng: random.Random, c: Census) -> Built | None:
    (y1, p1), (y2, p2) = c.population.items()
    return Built(f"Did the population of {c.place} grow between {y1} and {y2}?",
                 [(f"if the population of {c.place} grew between {y1} and {y2}", "boolean", yesno(p2 > p1))],
                 "boolean")


# --- two hops -----------------------------------------------------------------------------------------

def _pair(rng: random.Random, c: Census) -> tuple[Group, str, str, Decimal, Decimal]:
    group = _group(rng, c)
    a, b = rng.sample(list(group.shares), 2)
    return group, a, b, group.shares[a], group.shares[b]


def complement(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    label = rng.choice(list(g.shares))
    return Built(f"How many percent of {g.who} were not {_phrase(label)}?",
                 [(g.step(label), "select", number(g.shares[label])),
                  ("difference of 100 and #1", "arithmetic", number(100 - g.shares[label]))], "arithmetic")


def share_arithmetic(rng: random.Random, c: Census) -> Built | None:
    g, a, b, x, y = _pair(rng, c)
    if rng.random() < 0.5:
        if x < y:
            a, b, x, y = b, a, y, x
        return Built(f"How many more percent of {g.who} were {_phrase(a)} than {_phrase(b)}?",
                     [(g.step(a), "select", number(x)), (g.step(b), "select", number(y)),
                      ("difference of #1 and #2", "arithmetic", number(x - y))], "arithmetic")
    return Built(f"What percent of {g.who} were either {_phrase(a)} or {_phrase(b)}?",
                 [(g.step(a), "select", number(x)), (g.step(b), "select", number(y)),
                  ("sum of #1 and #2", "arithmetic", number(x + y))], "arithmetic")


def population_change(rng: random.Random, c: Census) -> Built | None:
    (y1, p1), (y2, p2) = c.population.items()
    grew = p2 > p1
    return Built(f"By how many people did the population of {c.place} {'grow' if grew else 'shrink'} "
                 f"from {y1} to {y2}?",
                 [(f"population of {c.place} in {y1}", "select", number(p1)),
                  (f"population of {c.place} in {y2}", "select", number(p2)),
                  ("difference of #2 and #1" if grew else "difference of #1 and #2", "arithmetic",
                   number(abs(p2 - p1)))], "arithmetic")


def group_compare(rng: random.Random, c: Census) -> Built | None:
    g, a, b, x, y = _pair(rng, c)
    larger = rng.random() < 0.6
    return Built(f"Which {g.noun} was {'larger' if larger else 'smaller'}: {g.name(a)} or {g.name(b)}?",
                 [(g.step(a), "select", number(x)), (g.step(b), "select", number(y)),
                  (f"which is {'higher' if larger else 'lower'} of #1 , #2", "comparison",
                   span(a if (x > y) == larger else b))], "comparison")


def year_compare(rng: random.Random, c: Census) -> Built | None:
    (y1, p1), (y2, p2) = c.population.items()
    larger = rng.random() < 0.5
    size = "larger" if larger else "smaller"
    return Built(f"In which year was the population of {c.place} {size}, {y1} or {y2}?",
                 [(f"population of {c.place} in {y1}", "select", number(p1)),
                  (f"population of {c.place} in {y2}", "select", number(p2)),
                  (f"which is {'higher' if larger else 'lower'} of #1 , #2", "comparison",
                   year(y1 if (p1 > p2) == larger else y2))], "date")


def more_than(rng: random.Random, c: Census) -> Built | None:
    g, a, b, x, y = _pair(rng, c)
    return Built(f"Were more {g.who} {_phrase(a)} than {_phrase(b)}?",
                 [(g.step(a), "select", number(x)), (g.step(b), "select", number(y)),
                  ("if #1 is higher than #2", "boolean", yesno(x > y))], "boolean")


# --- three hops ---------------------------------------------------------------------------------------

def _all(g: Group) -> list:
    return [(f"{g.noun}s", "select", spans(g.shares)),
            ("percent of #1", "project", spans(map(str, g.shares.values())))]


def share_range(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    hi, lo = max(g.shares.values()), min(g.shares.values())
    return Built(f"How many percentage points larger was the largest {g.noun} than the smallest?",
                 [(f"percents of the {g.noun}s", "select", spans(map(str, g.shares.values()))),
                  ("highest of #1", "aggregate", number(hi)), ("lowest of #1", "aggregate", number(lo)),
                  ("difference of #2 and #3", "arithmetic", number(hi - lo))], "arithmetic")


def extreme_group(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    largest = rng.random() < 0.5
    pick = (max if largest else min)(g.shares, key=g.shares.get)
    return Built(f"Which {g.noun} was the {'largest' if largest else 'smallest'}?",
                 _all(g) + [(f"#1 where #2 is {'highest' if largest else 'lowest'}", "superlative",
                                        span(pick))], "superlative")


def above_threshold(rng: random.Random, c: Census) -> Built | None:
    g = _group(rng, c)
    ordered = sorted(g.shares.values())
    low, high = ordered[-3], ordered[-2]  # keep the top two groups: a multi-span answer
    cuts = range(int(low) + 1, int(high) + (0 if high == int(high) else 1))
    if not cuts:
        return None
    cut = rng.choice(cuts)
    whole = "population" if g.who == "people" else "residents"
    return Built(f"Which {g.noun}s made up more than {cut}% of the {whole}?",
                 _all(g) + [(f"#1 where #2 is higher than {cut}", "comparative",
                             spans(k for k, v in g.shares.items() if v > cut))], "multispan")


def sum_threshold(rng: random.Random, c: Census) -> Built | None:
    g, a, b, x, y = _pair(rng, c)
    total, want = x + y, rng.random() < 0.5
    cut = int(total) - rng.randint(1, 5) if want else int(total) + rng.randint(1, 5)
    if cut <= 0:
        return None
    return Built(f"Did {g.name(a)} and {g.name(b)} together make up more than {cut}% of the population?",
                 [(g.step(a), "select", number(x)), (g.step(b), "select", number(y)),
                  ("sum of #1 and #2", "arithmetic", number(total)),
                  (f"if #3 is higher than {cut}", "boolean", yesno(total > cut))], "boolean")


TEMPLATES = (
    Template("census-share", "number", 1, share_lookup),
    Template("census-group", "spans", 1, group_lookup),
    Template("census-year", "date", 1, year_lookup),
    Template("census-grew", "yesno", 1, grew_lookup),
    Template("census-complement", "number", 2, complement),
    Template("census-share-arithmetic", "number", 2, share_arithmetic),
    Template("census-population-change", "number", 2, population_change),
    Template("census-group-compare", "spans", 2, group_compare),
    Template("census-year-compare", "date", 2, year_compare),
    Template("census-more-than", "yesno", 2, more_than),
    Template("census-range", "number", 3, share_range),
    Template("census-extreme-group", "spans", 3, extreme_group),
    Template("census-above-threshold", "spans", 3, above_threshold),
    Template("census-sum-threshold", "yesno", 3, sum_threshold),
)
