"""DROP-like war histories: dated battles between two sides, their commanders, losses and victors."""

from __future__ import annotations

import random
from dataclasses import dataclass

from decomp.data.schema import Date
from decomp.data.synthetic.build import Built, Template, date_key, number, on, span, spans, year, yesno
from decomp.data.synthetic.vocab import MONTHS, Namer

OPENINGS = ("On {date}, {commander} led the {attacker} against the {defender} at the {battle}.",
            "On {date}, the {attacker} under {commander} attacked the {defender} at the {battle}.",
            "The {battle} was fought on {date}, when {commander} led the {attacker} against the {defender}.")
OUTCOMES = ("The {a} lost {la} men and the {b} lost {lb}, and the {winner} won the battle.",
            "The {a} lost {la} men, the {b} lost {lb}, and the {winner} held the field.",
            "The {winner} won the day; the {a} lost {la} men and the {b} lost {lb}.")


@dataclass(frozen=True)
class Battle:
    name: str
    date: Date
    commander: str
    attacker: str
    losses: dict[str, int]
    winner: str


@dataclass
class War:
    sides: tuple[str, str]
    battles: list[Battle]
    treaty: int | None
    text: str

    def facts(self) -> dict:
        return {"sides": list(self.sides), "treaty": self.treaty,
                "battles": [{"name": b.name, "date": b.date.text(), "commander": b.commander,
                             "attacker": b.attacker, "losses": b.losses, "winner": b.winner}
                            for b in self.battles]}

    def won(self, side: str) -> list[Battle]:
        return [b for b in self.battles if b.winner == side]


def _dates(rng: random.Random, years: list[int]) -> list[Date]:
    """A date in each year, in order, no two in one month (so 'first' and 'later' read clearly)."""
    while True:
        drawn = [Date(str(rng.randint(1, 28)), rng.choice(MONTHS), str(y)) for y in years]
        dates = sorted(drawn, key=date_key)
        if len({date_key(d)[:2] for d in dates}) == len(dates):
            return dates


def war(rng: random.Random, namer: Namer, sentences: int) -> War:
    sides = (namer.pick("side"), namer.pick("side"))
    n_battles = max(2, (sentences - 1) // 2)
    start = rng.randint(1150, 1850)
    dates = _dates(rng, [start + rng.randint(0, 2 * n_battles) for _ in range(n_battles)])
    losses = rng.sample(range(40, 990), 2 * n_battles)
    battles, text = [], []
    for i, date in enumerate(dates):
        attacker = rng.choice(sides)
        defender = sides[1 - sides.index(attacker)]
        name = f"{rng.choice(('Battle', 'Battle', 'Siege'))} of {namer.pick('place')}"
        battle = Battle(name, date, namer.person("male")[0], attacker,
                        {sides[0]: losses[2 * i], sides[1]: losses[2 * i + 1]}, rng.choice(sides))
        battles.append(battle)
        a, b = rng.sample(sides, 2)
        text.append(rng.choice(OPENINGS).format(date=date.text(), commander=battle.commander,
                                                attacker=attacker, defender=defender, battle=name))
        text.append(rng.choice(OUTCOMES).format(a=a, b=b, la=battle.losses[a], lb=battle.losses[b],
                                                winner=battle.winner))
    first, last = dates[0].year, dates[-1].year
    during = f"in {first}" if first == last else f"from {first} to {last}"
    intro = rng.choice((f"War broke out between the {sides[0]} and the {sides[1]} in {first}.",
                        f"The {sides[0]} and the {sides[1]} fought a bitter war {during}."))
    treaty = None
    if sentences - 1 > 2 * n_battles:
        treaty = int(last) + rng.randint(1, 4)
        text.append(f"A peace treaty between the two sides was signed in {treaty}.")
    return War(sides, battles, treaty, " ".join([intro] + text))


# --- one hop ------------------------------------------------------------------------------------------

def losses_lookup(rng: random.Random, w: War) -> Built | None:
    b, side = rng.choice(w.battles), rng.choice(w.sides)
    return Built(rng.choice((f"How many men did the {side} lose at the {b.name}?",
                             f"How many casualties did the {side} suffer in the {b.name}?")),
                 [(f"men the {side} lost at the {b.name}", "select", number(b.losses[side]))], "lookup")


def who_lookup(rng: random.Random, w: War) -> Built | None:
    b = rng.choice(w.battles)
    if rng.random() < 0.5:
        return Built(f"Who led the {b.attacker} at the {b.name}?",
                     [(f"who led the {b.attacker} at the {b.name}", "select", span(b.commander))], "lookup")
    return Built(f"Which side won the {b.name}?", [(f"side that won the {b.name}", "select", span(b.winner))],
                 "lookup")


def date_lookup(rng: random.Random, w: War) -> Built | None:
    b = rng.choice(w.battles)
    return Built(rng.choice((f"When was the {b.name} fought?", f"On what date did the {b.name} take place?")),
                 [(f"when was the {b.name} fought", "select", on(b.date))], "date")


def won_lookup(rng: random.Random, w: War) -> Built | None:
    b, side = rng.choice(w.battles), rng.choice(w.sides)
    return Built(f"Did the {side} win the {b.name}?",
                 [(f"if the {side} won the {b.name}", "boolean", yesno(b.winner == side))], "boolean")


# --- two hops -----------------------------------------------------------------------------------------

def _loss_steps(b: Battle, x: str, y: str) -> list:
    return [(f"men the {x} lost at the {b.name}", "select", number(b.losses[x])),
            (f"men the {y} lost at the {b.name}", "select", number(b.losses[y]))]


def loss_arithmetic(rng: random.Random, w: War) -> Built | None:
    b = rng.choice(w.battles)
    x, y = sorted(w.sides, key=lambda s: -b.losses[s])
    if rng.random() < 0.5:
        return Built(f"How many more men did the {x} lose than the {y} at the {b.name}?",
                     _loss_steps(b, x, y) + [("difference of #1 and #2", "arithmetic",
                                              number(b.losses[x] - b.losses[y]))], "arithmetic")
    x, y = rng.sample(w.sides, 2)
    total = number(sum(b.losses.values()))
    return Built(rng.choice((f"How many men did both sides lose in total at the {b.name}?",
                             f"How many casualties did the {x} and the {y} suffer combined at the "
                             f"{b.name}?")),
                 _loss_steps(b, x, y) + [("sum of #1 and #2", "arithmetic", total)],
                 "arithmetic")


def years_between(rng: random.Random, w: War) -> Built | None:
    first, second = sorted(rng.sample(w.battles, 2), key=lambda b: date_key(b.date))
    e1, y1 = f"the {first.name}", int(first.date.year)
    if w.treaty and rng.random() < 0.4:
        e2, y2, verb = "the peace treaty", w.treaty, "signed"
    else:
        e2, y2, verb = f"the {second.name}", int(second.date.year), "fought"
    if y1 == y2:
        return None
    return Built(f"How many years after {e1} was {e2} {verb}?",
                 [(f"year of {e1}", "select", year(y1)), (f"year of {e2}", "select", year(y2)),
                  ("difference of #2 and #1", "arithmetic", number(y2 - y1))], "arithmetic")


def wins_count(rng: random.Random, w: War) -> Built | None:
    side = rng.choice([s for s in w.sides if w.won(s)])
    won = w.won(side)
    return Built(f"How many battles did the {side} win?",
                 [(f"battles the {side} won", "select", spans(b.name for b in won)),
                  ("number of #1", "aggregate", number(len(won)))], "count")


def side_compare(rng: random.Random, w: War) -> Built | None:
    b = rng.choice(w.battles)
    x, y = rng.sample(w.sides, 2)
    more = rng.random() < 0.6
    side = (max if more else min)((x, y), key=lambda s: b.losses[s])
    which = "higher" if more else "lower"
    return Built(f"Which side suffered {'more' if more else 'fewer'} casualties at the {b.name}, the {x} or "
                 f"the {y}?",
                 _loss_steps(b, x, y) + [(f"which is {which} of #1 , #2", "comparison", span(side))],
                 "comparison")


def which_first(rng: random.Random, w: War) -> Built | None:
    x, y = rng.sample(w.battles, 2)
    first = rng.random() < 0.6
    pick = (min if first else max)((x, y), key=lambda b: date_key(b.date))
    return Built(f"Which battle happened {'first' if first else 'later'}, the {x.name} or the {y.name}?",
                 [(f"when was the {x.name} fought", "select", on(x.date)),
                  (f"when was the {y.name} fought", "select", on(y.date)),
                  (f"which is {'first' if first else 'last'} of #1 , #2", "comparison", span(pick.name))],
                 "comparison")


def battles_won(rng: random.Random, w: War) -> Built | None:
    side = rng.choice([s for s in w.sides if w.won(s)])
    return Built(rng.choice((f"Which battles did the {side} win?", f"What battles were won by the {side}?")),
                 [("battles", "select", spans(b.name for b in w.battles)),
                  (f"#1 that the {side} won", "filter", spans(b.name for b in w.won(side)))], "multispan")


def earlier_date(rng: random.Random, w: War) -> Built | None:
    x, y = rng.sample(w.battles, 2)
    first = min((x, y), key=lambda b: date_key(b.date))
    return Built(f"When was the earlier of the two battles fought, the {x.name} or the {y.name}?",
                 [(f"when was the {x.name} fought", "select", on(x.date)),
                  (f"when was the {y.name} fought", "select", on(y.date)),
                  ("the earliest of #1 , #2", "comparison", on(first.date))], "date")


def more_losses(rng: random.Random, w: War) -> Built | None:
    b = rng.choice(w.battles)
    x, y = rng.sample(w.sides, 2)
    return Built(f"Did the {x} lose more men than the {y} at the {b.name}?",
                 _loss_steps(b, x, y) + [("if #1 is higher than #2", "boolean",
                                          yesno(b.losses[x] > b.losses[y]))], "boolean")


# --- three hops ---------------------------------------------------------------------------------------

def worst_battle(rng: random.Random, w: War) -> Built | None:
    side, most = rng.choice(w.sides), rng.random() < 0.6
    best = (max if most else min)(w.battles, key=lambda b: b.losses[side])
    return Built(f"In which battle did the {side} lose the {'most' if most else 'fewest'} men?",
                 [("battles", "select", spans(b.name for b in w.battles)),
                  (f"men the {side} lost in #1", "project", spans(str(b.losses[side]) for b in w.battles)),
                  (f"#1 where #2 is {'highest' if most else 'lowest'}", "superlative", span(best.name))],
                 "superlative")


def first_win(rng: random.Random, w: War) -> Built | None:
    side, first = rng.choice([s for s in w.sides if w.won(s)]), rng.random() < 0.6
    won = w.won(side)
    pick = (min if first else max)(won, key=lambda b: date_key(b.date))
    return Built(f"When did the {side} win their {'first' if first else 'last'} battle?",
                 [(f"battles the {side} won", "select", spans(b.name for b in won)),
                  ("dates of #1", "project", spans(b.date.text() for b in won)),
                  (f"the {'earliest' if first else 'latest'} of #2", "aggregate", on(pick.date))], "date")


def losses_in_wins(rng: random.Random, w: War) -> Built | None:
    side = rng.choice([s for s in w.sides if w.won(s)])
    won = w.won(side)
    return Built(f"How many men did the {side} lose in total in the battles they won?",
                 [(f"battles the {side} won", "select", spans(b.name for b in won)),
                  (f"men the {side} lost in #1", "project", spans(str(b.losses[side]) for b in won)),
                  ("sum of #2", "aggregate", number(sum(b.losses[side] for b in won)))], "arithmetic")


def total_losses(rng: random.Random, w: War) -> Built | None:
    x, y = rng.sample(w.sides, 2)
    tx, ty = (sum(b.losses[s] for b in w.battles) for s in (x, y))
    return Built(f"Did the {x} lose more men than the {y} over the whole war?",
                 [(f"men the {x} lost", "select", spans(str(b.losses[x]) for b in w.battles)),
                  (f"men the {y} lost", "select", spans(str(b.losses[y]) for b in w.battles)),
                  ("sum of #1", "aggregate", number(tx)), ("sum of #2", "aggregate", number(ty)),
                  ("if #3 is higher than #4", "boolean", yesno(tx > ty))], "boolean")


TEMPLATES = (
    Template("battle-losses", "number", 1, losses_lookup),
    Template("battle-who", "spans", 1, who_lookup),
    Template("battle-date", "date", 1, date_lookup),
    Template("battle-won", "yesno", 1, won_lookup),
    Template("battle-loss-arithmetic", "number", 2, loss_arithmetic),
    Template("battle-years-between", "number", 2, years_between),
    Template("battle-wins-count", "number", 2, wins_count),
    Template("battle-side-compare", "spans", 2, side_compare),
    Template("battle-which-first", "spans", 2, which_first),
    Template("battle-battles-won", "spans", 2, battles_won),
    Template("battle-earlier-date", "date", 2, earlier_date),
    Template("battle-more-losses", "yesno", 2, more_losses),
    Template("battle-worst", "spans", 3, worst_battle),
    Template("battle-first-win", "date", 3, first_win),
    Template("battle-losses-in-wins", "number", 3, losses_in_wins),
    Template("battle-total-losses", "yesno", 3, total_losses),
)
