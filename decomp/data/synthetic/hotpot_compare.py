"""HotpotQA-like comparisons: a fact of each of two entities, then a yes/no, date, number or span verdict."""

from __future__ import annotations

import random

from decomp.data.synthetic.build import Built, Template, date_key, number, on, span, year, yesno
from decomp.data.synthetic.hotpot import built, maker_of, maker_step, new_person, new_work, other_than
from decomp.data.synthetic.library import OTHER_JOBS, WORDS, Library, Work, with_article

# --- two hops -----------------------------------------------------------------------------------------

def same_trait(rng: random.Random, lib: Library) -> Built:
    want = rng.random() < 0.5
    if rng.random() < 0.5:
        p1 = new_person(rng, lib)
        country = p1.country if want else other_than(rng, lib.countries, p1.country)
        p2 = new_person(rng, lib, country=country)
        lib.show(p1, p2)
        return built(f"Were {p1.title} and {p2.title} born in the same country?", "comparison",
                     [(f"the country where {p1.title} was born", "select", span(p1.country)),
                      (f"the country where {p2.title} was born", "select", span(p2.country)),
                      ("if #1 and #2 are the same", "boolean", yesno(want))], (p1.title, 1), (p2.title, 1))
    job = rng.choice(OTHER_JOBS)
    p1 = new_person(rng, lib, job)
    p2 = new_person(rng, lib, job if want else other_than(rng, OTHER_JOBS, job))
    lib.show(p1, p2)
    return built(f"Are {p1.title} and {p2.title} both {job}s?", "comparison",
                 [(f"if {p1.title} is {with_article(job)}", "boolean", yesno(True)),
                  (f"if {p2.title} is {with_article(job)}", "boolean", yesno(want)),
                  ("if both #1 and #2 are true", "boolean", yesno(want))], (p1.title, 0), (p2.title, 0))


def _dated_pair(rng: random.Random, lib: Library, kinds: tuple[str, ...] = ("company", "person", "work")
                ) -> tuple[str, list, list, str]:
    """Two entities of one kind with distinct dates: (kind, entities, their date answers, when-verb)."""
    kind = rng.choice(kinds)
    while True:
        if kind == "company":
            words = WORDS[rng.choice(tuple(WORDS))]
            pair = [lib.company(words["company"], 2020, words["founder_job"]) for _ in range(2)]
            dates, verb = [year(c.founded) for c in pair], "founded"
        elif kind == "person":
            pair = [new_person(rng, lib) for _ in range(2)]
            dates, verb = [on(p.born) for p in pair], "born"
        else:
            work = rng.choice(tuple(WORDS))
            pair = [new_work(rng, lib, work) for _ in range(2)]
            dates, verb = [year(w.year) for w in pair], WORDS[work]["out"]
        if dates[0] != dates[1]:
            lib.show(*pair)
            return kind, pair, dates, verb


def earlier(rng: random.Random, lib: Library) -> Built:
    kind, pair, dates, verb = _dated_pair(rng, lib)
    first = rng.random() < 0.6
    pick = (min if first else max)((0, 1), key=lambda i: date_key(dates[i].date))
    a, b = (e.title for e in pair)
    if kind == "company":
        question = f"Which was founded {'earlier' if first else 'more recently'}, {a} or {b}?"
    elif kind == "person":
        question = f"Who was born {'first' if first else 'later'}, {a} or {b}?"
    else:
        question = f"Which {pair[0].kind} was {verb} {'first' if first else 'later'}, {a} or {b}?"
    return built(question, "comparison",
                 [(f"when was {a} {verb}", "select", dates[0]), (f"when was {b} {verb}", "select", dates[1]),
                  (f"which is {'first' if first else 'last'} of #1 , #2", "comparison",
                   span(pair[pick].title))], (a, 0), (b, 0))


def years_apart(rng: random.Random, lib: Library) -> Built:
    _, pair, dates, verb = _dated_pair(rng, lib, ("company", "work"))
    a, b = (e.title for e in pair)
    y1, y2 = (int(d.date.year) for d in dates)
    return built(f"How many years apart were {a} and {b} {verb}?", "comparison",
                 [(f"the year {a} was {verb}", "select", dates[0]),
                  (f"the year {b} was {verb}", "select", dates[1]),
                  ("difference of #1 and #2" if y1 > y2 else "difference of #2 and #1", "arithmetic",
                   number(abs(y1 - y2)))], (a, 0), (b, 0))


def older_date(rng: random.Random, lib: Library) -> Built:
    _, (p1, p2), _, _ = _dated_pair(rng, lib, ("person",))
    older = rng.random() < 0.6
    pick = (min if older else max)((p1, p2), key=lambda p: date_key(p.born))
    return built(f"When was the {'older' if older else 'younger'} of {p1.title} and {p2.title} born?",
                 "comparison", [(f"when was {p1.title} born", "select", on(p1.born)),
                                (f"when was {p2.title} born", "select", on(p2.born)),
                                (f"the {'earliest' if older else 'latest'} of #1 , #2", "comparison",
                                 on(pick.born))], (p1.title, 0), (p2.title, 0))


def _maker_pair(rng: random.Random, lib: Library, country=None) -> tuple[Work, Work]:
    """Two works of one kind whose makers differ in birth date (`country(w1)`: the second maker's)."""
    kind = rng.choice(tuple(WORDS))
    w1 = lib.work(kind)
    w2 = lib.work(kind, country(w1) if country else None)
    while w2.maker.born == w1.maker.born:
        w2 = lib.work(kind, country(w1) if country else None)
    lib.show(w1, w2, w1.maker, w2.maker)
    return w1, w2


def makers_same_country(rng: random.Random, lib: Library) -> Built:
    want = rng.random() < 0.5
    w1, w2 = _maker_pair(rng, lib, lambda w: w.maker.country if want
                         else other_than(rng, lib.countries, w.maker.country))
    makers = f"{WORDS[w1.kind]['maker']}s"
    return built(f"Were the {makers} of {w1.title} and {w2.title} born in the same country?",
                 "comparison", [maker_step(w1), maker_step(w2),
                                ("the country where #1 was born", "project", span(w1.maker.country)),
                                ("the country where #2 was born", "project", span(w2.maker.country)),
                                ("if #3 and #4 are the same", "boolean", yesno(want))],
                 (w1.title, 0), (w2.title, 0), (w1.maker.title, 1), (w2.maker.title, 1))


def older_maker(rng: random.Random, lib: Library) -> Built:
    w1, w2 = _maker_pair(rng, lib)
    older = rng.random() < 0.6
    pick = (min if older else max)((w1, w2), key=lambda w: date_key(w.maker.born))
    return built(f"Which {w1.kind} has the {'older' if older else 'younger'} {WORDS[w1.kind]['maker']}, "
                 f"{w1.title} or {w2.title}?", "comparison",
                 [maker_step(w1), maker_step(w2), ("when was #1 born", "project", on(w1.maker.born)),
                  ("when was #2 born", "project", on(w2.maker.born)),
                  (f"which is {'first' if older else 'last'} of #3 , #4", "comparison", span(pick.title))],
                 (w1.title, 0), (w2.title, 0), (w1.maker.title, 0), (w2.maker.title, 0))


def maker_age_gap(rng: random.Random, lib: Library) -> Built | None:
    w1, w2 = sorted(_maker_pair(rng, lib), key=lambda w: int(w.maker.born.year))  # the older maker first
    y1, y2 = int(w1.maker.born.year), int(w2.maker.born.year)
    if y1 == y2:
        return None
    return built(f"How many years older is {maker_of(w1)} than {maker_of(w2)}?", "comparison",
                 [maker_step(w1), maker_step(w2), ("the year #1 was born", "project", year(y1)),
                  ("the year #2 was born", "project", year(y2)),
                  ("difference of #4 and #3", "arithmetic", number(y2 - y1))],
                 (w1.title, 0), (w2.title, 0), (w1.maker.title, 0), (w2.maker.title, 0))


TEMPLATES = (
    Template("hotpot-same-trait", "yesno", 2, same_trait),
    Template("hotpot-earlier", "spans", 2, earlier),
    Template("hotpot-years-apart", "number", 2, years_apart),
    Template("hotpot-older-date", "date", 2, older_date),
    Template("hotpot-makers-same-country", "yesno", 3, makers_same_country),
    Template("hotpot-older-maker", "spans", 3, older_maker),
    Template("hotpot-maker-age-gap", "number", 3, maker_age_gap),
)
