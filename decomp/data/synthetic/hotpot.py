"""HotpotQA-like lookups and bridge questions (1 to 3 hops), and the phrasing comparisons share."""

from __future__ import annotations

import random
from functools import partial

from decomp.data.synthetic.build import Built, Template, number, span, year, yesno
from decomp.data.synthetic.library import OTHER_JOBS, WORDS, Library, Person, Work, with_article


def built(question: str, question_type: str, steps: list, *support: tuple[str, int]) -> Built:
    return Built(question, steps, question_type, support)


def new_work(rng: random.Random, lib: Library, kind: str | None = None) -> Work:
    return lib.work(kind or rng.choice(tuple(WORDS)))


def new_person(rng: random.Random, lib: Library, job: str | None = None,
               country: str | None = None) -> Person:
    return lib.person(job or rng.choice(OTHER_JOBS), (1920, 1995), country)


def other_than(rng: random.Random, options, not_this):
    return rng.choice([o for o in options if o != not_this])


def maker_of(w: Work) -> str:
    return f"the {WORDS[w.kind]['maker']} of {w.title}"


def producer_of(w: Work) -> str:
    return f"the {WORDS[w.kind]['producer']} that {WORDS[w.kind]['produced']} {w.title}"


def maker_step(w: Work) -> tuple:
    return maker_of(w), "select", span(w.maker.title)


def producer_step(w: Work) -> tuple:
    return producer_of(w), "select", span(w.producer.title)


# --- one hop ------------------------------------------------------------------------------------------

def year_lookup(rng: random.Random, lib: Library) -> Built:
    if rng.random() < 0.5:
        p = new_person(rng, lib)
        lib.show(p)
        return built(f"In which year was {p.title} born?", "lookup",
                     [(f"the year {p.title} was born", "select", year(p.born.year))], (p.title, 0))
    w = new_work(rng, lib)
    lib.show(w)
    out = WORDS[w.kind]["out"]
    return built(f"In which year was {w.title} {out}?", "lookup",
                 [(f"the year {w.title} was {out}", "select", year(w.year))], (w.title, 0))


def maker_lookup(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    lib.show(w)
    if rng.random() < 0.3:
        words = WORDS[w.kind]
        return built(f"Which {words['producer']} {words['produced']} {w.title}?", "lookup",
                     [producer_step(w)], (w.title, 1))
    verb = "directed" if w.kind == "film" else "wrote"
    return built(f"Who {verb} {w.title}?", "lookup",
                 [(f"who {verb} {w.title}", "select", span(w.maker.title))], (w.title, 0))


def size_lookup(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    if rng.random() < 0.3:
        c = w.producer
        lib.show(c)
        return built(f"About how many people does {c.title} employ?", "lookup",
                     [(f"the number of people {c.title} employs", "select", number(c.employees))],
                     (c.title, 1))
    lib.show(w)
    question = (f"How many minutes does {w.title} run?" if w.kind == "film"
                else f"How many pages does {w.title} have?")
    return built(question, "lookup", [(f"the number of {WORDS[w.kind]['size']} of {w.title}", "select",
                                       number(w.size))], (w.title, 1))


def check_lookup(rng: random.Random, lib: Library) -> Built:
    want = rng.random() < 0.5
    if rng.random() < 0.5:
        w = new_work(rng, lib)
        lib.show(w)
        genre = with_article(w.genre if want else other_than(rng, WORDS[w.kind]["genres"], w.genre))
        return built(f"Is {w.title} {genre} {w.kind}?", "lookup",
                     [(f"if {w.title} is {genre} {w.kind}", "boolean", yesno(want))], (w.title, 0))
    p = new_person(rng, lib)
    lib.show(p)
    country = p.country if want else other_than(rng, lib.countries, p.country)
    return built(f"Was {p.title} born in {country}?", "lookup",
                 [(f"if {p.title} was born in {country}", "boolean", yesno(want))], (p.title, 1))


# --- bridge -------------------------------------------------------------------------------------------

def bridge_year(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    if rng.random() < 0.5:
        lib.show(w, w.maker)
        return built(f"In which year was {maker_of(w)} born?", "bridge",
                     [maker_step(w), ("the year #1 was born", "project", year(w.maker.born.year))],
                     (w.title, 0), (w.maker.title, 0))
    lib.show(w, w.producer)
    return built(f"In which year was {producer_of(w)} founded?", "bridge",
                 [producer_step(w), ("the year #1 was founded", "project", year(w.producer.founded))],
                 (w.title, 1), (w.producer.title, 0))


def bridge_place(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    m, c = w.maker, w.producer
    question, second, bridge, sentence = rng.choice((
        (f"In which country was {maker_of(w)} born?", ("the country where #1 was born", span(m.country)),
         m, 1),
        (f"In which city was {maker_of(w)} born?", ("the city where #1 was born", span(m.city)), m, 1),
        (f"In which city is {producer_of(w)} headquartered?",
         ("the city where #1 is headquartered", span(c.city)), c, 1),
        (f"Who founded {producer_of(w)}?", ("who founded #1", span(c.founder.title)), c, 0),
    ))
    lib.show(w, bridge)
    first = maker_step(w) if bridge is m else producer_step(w)
    return built(question, "bridge", [first, (second[0], "project", second[1])],
                 (w.title, 0 if bridge is m else 1), (bridge.title, sentence))


def bridge_staff(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    lib.show(w, w.producer)
    return built(f"About how many people does {producer_of(w)} employ?", "bridge",
                 [producer_step(w),
                  ("the number of people #1 employs", "project", number(w.producer.employees))],
                 (w.title, 1), (w.producer.title, 1))


def bridge_check(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    lib.show(w, w.maker)
    want = rng.random() < 0.5
    country = w.maker.country if want else other_than(rng, lib.countries, w.maker.country)
    return built(f"Was {maker_of(w)} born in {country}?", "bridge",
                 [maker_step(w), (f"if #1 was born in {country}", "boolean", yesno(want))],
                 (w.title, 0), (w.maker.title, 1))


# --- three-hop bridges --------------------------------------------------------------------------------

def founder_chain(rng: random.Random, lib: Library, answer: str) -> Built:
    w = new_work(rng, lib)
    c, f = w.producer, w.producer.founder
    lib.show(w, c, f)
    about = f"the founder of {producer_of(w)}"
    question, last, sentence = {
        "date": (f"In which year was {about} born?", ("the year #2 was born", year(f.born.year)), 0),
        "spans": (f"In which country was {about} born?", ("the country where #2 was born", span(f.country)),
                  1),
    }[answer]
    return built(question, "bridge", [producer_step(w), ("the founder of #1", "project", span(f.title)),
                                      (last[0], "project", last[1])],
                 (w.title, 1), (c.title, 0), (f.title, sentence))


def years_after(rng: random.Random, lib: Library) -> Built:
    w = new_work(rng, lib)
    words = WORDS[w.kind]
    if rng.random() < 0.5:
        lib.show(w, w.maker)
        first = [maker_step(w), ("the year #1 was born", "project", year(w.maker.born.year))]
        question = f"How many years after the birth of its {words['maker']} was {w.title} {words['out']}?"
        then, support = int(w.maker.born.year), ((w.title, 0), (w.maker.title, 0))
    else:
        lib.show(w, w.producer)
        first = [producer_step(w), ("the year #1 was founded", "project", year(w.producer.founded))]
        question = f"How many years after its {words['producer']} was founded was {w.title} {words['out']}?"
        then, support = w.producer.founded, ((w.title, 0), (w.title, 1), (w.producer.title, 0))
    released = (f"the year {w.title} was {words['out']}", "select", year(w.year))
    return built(question, "bridge",
                 first + [released, ("difference of #3 and #2", "arithmetic", number(w.year - then))],
                 *support)


TEMPLATES = (
    Template("hotpot-year", "date", 1, year_lookup),
    Template("hotpot-maker", "spans", 1, maker_lookup),
    Template("hotpot-size", "number", 1, size_lookup),
    Template("hotpot-check", "yesno", 1, check_lookup),
    Template("hotpot-bridge-year", "date", 2, bridge_year),
    Template("hotpot-bridge-place", "spans", 2, bridge_place),
    Template("hotpot-bridge-staff", "number", 2, bridge_staff),
    Template("hotpot-bridge-check", "yesno", 2, bridge_check),
    Template("hotpot-founder-year", "date", 3, partial(founder_chain, answer="date")),
    Template("hotpot-founder-country", "spans", 3, partial(founder_chain, answer="spans")),
    Template("hotpot-years-after", "number", 3, years_after),
)
