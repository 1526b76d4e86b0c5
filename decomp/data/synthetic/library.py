"""The HotpotQA-like world: people, companies and their works, each with a short titled paragraph.

Facts sit in fixed sentences so supporting facts can point at them: a person's birth date, nationality
and occupation in sentence 0, birthplace in 1; a work's year, genre and maker in 0, producer and size
in 1; a company's founding year and founder in 0, headquarters and staff in 1. Later sentences are filler.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from decomp.data.schema import Date
from decomp.data.synthetic.vocab import COUNTRIES, Namer, pronoun


@dataclass(frozen=True)
class Person:
    title: str
    gender: str
    occupation: str
    born: Date
    city: str
    country: str
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Company:
    title: str
    kind: str  # "film studio" / "publishing house"
    founded: int
    founder: Person
    city: str
    country: str
    employees: int
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class Work:
    title: str
    kind: str  # "film" / "novel"
    year: int
    genre: str
    maker: Person
    producer: Company
    size: int  # minutes / pages
    sentences: tuple[str, ...]


# How questions and steps talk about each kind of work.
WORDS = {
    "film": {"maker": "director", "made": "directed", "producer": "studio", "produced": "produced",
             "out": "released", "size": "minutes", "maker_job": "film director", "company": "film studio",
             "founder_job": "film producer",
             "genres": ("drama", "comedy", "thriller", "documentary", "musical", "western", "horror")},
    "novel": {"maker": "author", "made": "written", "producer": "publisher", "produced": "published",
              "out": "published", "size": "pages", "maker_job": "novelist", "company": "publishing house",
              "founder_job": "publisher",
              "genres": ("mystery", "historical", "romance", "crime", "fantasy", "adventure", "gothic")},
}
OTHER_JOBS = ("architect", "composer", "painter", "journalist", "photographer", "economist")


def with_article(word: str) -> str:
    return ("an " if word[0].lower() in "aeiou" else "a ") + word


class Library:
    """Entities made on demand; only those passed to `show` get a paragraph in the context."""

    def __init__(self, rng: random.Random, namer: Namer, max_sentences: int) -> None:
        self.rng, self.namer, self.filler = rng, namer, max_sentences - 2
        self.paragraphs: dict[str, tuple[str, ...]] = {}  # title -> sentences, of shown entities only
        self.kinds: dict[str, str] = {}  # title -> person / company / film / novel

    @property
    def countries(self) -> tuple[str, ...]:
        return self.namer.vocab.pools["country"]

    def show(self, *entities: Person | Company | Work) -> None:
        for e in entities:
            self.paragraphs.setdefault(e.title, e.sentences)
            self.kinds[e.title] = e.kind if isinstance(e, Work) else type(e).__name__.lower()

    def _fill(self, facts: list[str], options: list[str]) -> tuple[str, ...]:
        return tuple(facts + self.rng.sample(options, min(len(options), self.rng.randint(0, self.filler))))

    def _place(self, country: str | None = None) -> tuple[str, str]:
        country = country or self.namer.word("country")
        return self.rng.choice(COUNTRIES[country][1]), country

    def person(self, occupation: str, born: tuple[int, int], country: str | None = None) -> Person:
        name, gender = self.namer.person()
        date = self.namer.date(*born)
        city, country = self._place(country)
        he = pronoun(gender)
        other, since = self._place()[0], int(date.year) + self.rng.randint(20, 40)
        return Person(name, gender, occupation, date, city, country, self._fill(
            [f"{name} (born {date.text()}) is {with_article(COUNTRIES[country][0])} {occupation}.",
             f"{he} was born in {city}, {country}."],
            [f"{he} studied at the University of {other}.", f"{he} has lived in {other} since {since}.",
             f"{he} is known for a long career in {self._place()[1]}."]))

    def company(self, kind: str, before: int, founder_job: str) -> Company:
        name = self.namer.firm(("Pictures", "Films", "Studios") if kind == "film studio"
                               else ("Press", "Books", "Publishing"))
        founded = self.rng.randint(before - 90, before - 1)
        founder = self.person(founder_job, (founded - 60, founded - 25))
        city, country = self._place()
        staff = self.rng.randint(120, 9800)
        return Company(name, kind, founded, founder, city, country, staff, self._fill(
            [f"{name} is {with_article(kind)} founded in {founded} by {founder.title}.",
             f"It is headquartered in {city}, {country}, and employs about {staff} people."],
            [f"It opened a second office in {self._place()[0]} in {founded + self.rng.randint(5, 40)}.",
             f"{name} is one of the oldest companies of its kind in {country}."]))

    def work(self, kind: str, maker_country: str | None = None) -> Work:
        w = WORDS[kind]
        year = self.rng.randint(1950, 2020)
        title, genre = self.namer.title(), self.rng.choice(w["genres"])
        maker = self.person(w["maker_job"], (year - 70, year - 25), maker_country)
        producer = self.company(w["company"], year, w["founder_job"])
        size = self.rng.randint(80, 190) if kind == "film" else self.rng.randint(150, 900)
        first = (f"{title} is a {year} {genre} film directed by {maker.title}." if kind == "film"
                 else f"{title} is a {year} {genre} novel by {maker.title}.")
        second = (f"It was produced by {producer.title} and runs {size} minutes." if kind == "film"
                  else f"It was published by {producer.title} and runs to {size} pages.")
        place = self._place()[0]
        return Work(title, kind, year, genre, maker, producer, size, self._fill(
            [first, second],
            [f"The {kind} is set in {place}.", f"It was received warmly by critics in {place}."]))

    def distractor(self, kind: str) -> None:
        """A paragraph of the given entity kind that no question about this context needs."""
        if kind in WORDS:
            self.show(self.work(kind))
        elif kind == "company":
            kind = self.rng.choice(("film studio", "publishing house"))
            self.show(self.company(kind, 2020, "entrepreneur"))
        else:
            self.show(self.person(self.rng.choice(OTHER_JOBS + ("film director", "novelist")), (1920, 1995)))
