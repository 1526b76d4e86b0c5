"""Football questions (DROP's nfl sections): lookups, counts, totals, superlatives, multi-span, yes/no."""

from __future__ import annotations

import random
from functools import partial

from decomp.data.synthetic.build import Built, Template, number, span, spans, yesno
from decomp.data.synthetic.football import FG, HALVES, PASS, RUN, TD, Game, Play, plural
from decomp.data.synthetic.vocab import ORDINALS


def _verb(kind: str, role: str = "scorer") -> str:
    return {FG: "kicked", RUN: "scored", TD: "scored"}.get(kind, "threw" if role == "passer" else "caught")


def _name(play: Play, role: str) -> str:
    return play.passer if role == "passer" else play.scorer


# --- one-hop lookups ---------------------------------------------------------------------------------

def yards_lookup(rng: random.Random, g: Game) -> Built | None:
    keys = [(p.kind, p.scorer, p.quarter) for p in g.plays]
    unique = [p for p, k in zip(g.plays, keys, strict=True) if keys.count(k) == 1]  # "X's field goal" is one
    if not unique:
        return None
    p = rng.choice(unique)
    quarter = ORDINALS[p.quarter - 1]
    q = rng.choice((f"How many yards was {p.scorer}'s {p.kind} in the {quarter} quarter?",
                    f"How long, in yards, was the {p.kind} by {p.scorer} in the {quarter} quarter?"))
    return Built(q, [(f"yards of the {p.kind} of {p.scorer} in the {quarter} quarter", "select",
                      number(p.yards))], "lookup")


def who_lookup(rng: random.Random, g: Game) -> Built | None:
    p = rng.choice(g.plays)
    if rng.random() < 0.3:
        return Built(f"Which team scored on the {p.span}?",
                     [(f"team that scored on the {p.span}", "select", span(p.team))], "lookup")
    role = rng.choice(("scorer", "passer")) if p.kind == PASS else "scorer"
    verb = _verb(p.kind, role)
    return Built(f"Who {verb} the {p.span}?", [(f"who {verb} the {p.span}", "select", span(_name(p, role)))],
                 "lookup")


def scored_in_quarter(rng: random.Random, g: Game) -> Built | None:
    want = rng.random() < 0.5
    options = [(t, q, k) for t in g.teams for q in range(1, 5) for k in (TD, FG)
               if bool(g.of(k, team=t, quarter=q)) == want]
    if not options:
        return None
    team, quarter, kind = rng.choice(options)
    ordinal = ORDINALS[quarter - 1]
    if kind == FG:
        kicker = g.kickers[team]
        return Built(f"Did {kicker} kick a field goal in the {ordinal} quarter?",
                     [(f"if {kicker} kicked a field goal in the {ordinal} quarter", "boolean", yesno(want))],
                     "boolean")
    return Built(f"Did the {team} score a touchdown in the {ordinal} quarter?",
                 [(f"if the {team} scored a touchdown in the {ordinal} quarter", "boolean", yesno(want))],
                 "boolean")


# --- two hops -----------------------------------------------------------------------------------------

def _subjects(g: Game, rng: random.Random) -> list[tuple[str, str, str, list[Play]]]:
    """(noun, rest of the question, step text, plays) for the sets of plays a question can name."""
    team = rng.choice(g.teams)
    kicker, qb = g.kickers[team], g.quarterbacks[team]
    half = rng.choice(tuple(HALVES))
    return [
        ("field goals", f"did {kicker} kick", f"field goals of {kicker}", g.of(FG, team=team)),
        ("touchdown passes", f"did {qb} throw", f"touchdown passes of {qb}", g.of(PASS, team=team)),
        ("touchdowns", f"did the {team} score", f"touchdowns of the {team}", g.of(TD, team=team)),
        ("field goals", "were kicked in the game", "field goals", g.of(FG)),
        ("touchdowns", f"were scored in the {half}", f"touchdowns in the {half}",
         [p for p in g.of(TD) if p.quarter in HALVES[half]]),
    ]


def count(rng: random.Random, g: Game) -> Built | None:
    options = [s for s in _subjects(g, rng) if s[3]]
    if not options:
        return None
    noun, rest, step, plays = rng.choice(options)
    return Built(f"How many {noun} {rest}?", [(step, "select", spans(p.span for p in plays)),
                                              ("number of #1", "aggregate", number(len(plays)))], "count")


def yard_total(rng: random.Random, g: Game) -> Built | None:
    options = [s for s in _subjects(g, rng) if len(s[3]) >= 2]
    if not options:
        return None
    noun, rest, step, plays = rng.choice(options)
    return Built(f"How many total yards of {noun} {rest}?",
                 [(f"yards of {step}", "select", spans(str(p.yards) for p in plays)),
                  ("sum of #1", "aggregate", number(sum(p.yards for p in plays)))], "arithmetic")


def kind_with(g: Game, rng: random.Random, at_least: int) -> str | None:
    kinds = [k for k in (FG, TD, RUN, PASS) if len(g.of(k)) >= at_least]
    return rng.choice(kinds) if kinds else None


def extreme_yards(rng: random.Random, g: Game) -> Built | None:
    kind = kind_with(g, rng, 2)
    if kind is None:
        return None
    longest = rng.random() < 0.5
    yards = [p.yards for p in g.of(kind)]
    adjective = "longest" if longest else "shortest"
    return Built(rng.choice((f"How many yards was the {adjective} {kind}?",
                             f"How long was the {adjective} {kind} of the game?")),
                 [(f"yards of {plural(kind)}", "select", spans(map(str, yards))),
                  (f"{'highest' if longest else 'lowest'} of #1", "aggregate",
                   number(max(yards) if longest else min(yards)))], "superlative")


def who_extreme(rng: random.Random, g: Game, two_step: bool = False) -> Built | None:
    kind = kind_with(g, rng, 2)
    if kind is None:
        return None
    adjective = rng.choice(("longest", "shortest"))
    plays = g.of(kind)
    best = (max if adjective == "longest" else min)(plays, key=lambda p: p.yards)
    if rng.random() < 0.25:
        question, who, answer = (f"Which team scored the {adjective} {kind}?", "the team that scored",
                                 best.team)
    else:
        role = rng.choice(("scorer", "passer")) if kind == PASS else "scorer"
        verb = _verb(kind, role)
        question, who = f"Who {verb} the {adjective} {kind}?", f"the player who {verb}"
        answer = _name(best, role)
    if two_step:
        return Built(question, [(f"the {adjective} {kind}", "select", span(best.span)),
                                (f"{who} #1", "project", span(answer))], "superlative")
    return Built(question, [(plural(kind), "select", spans(p.span for p in plays)),
                            (f"the {adjective} of #1", "aggregate", span(best.span)),
                            (f"{who} #2", "project", span(answer))], "superlative")


def players(rng: random.Random, g: Game) -> Built | None:
    team = rng.choice(g.teams)
    qb = g.quarterbacks[team]
    period = rng.choice(tuple(HALVES))
    options = [
        (f"Which players scored touchdowns in the {period}?", f"touchdowns in the {period}",
         [p for p in g.of(TD) if p.quarter in HALVES[period]], "players who scored #1"),
        (f"Which players caught touchdown passes from {qb}?", f"touchdown passes of {qb}",
         g.of(PASS, team=team), "players who caught #1"),
        (f"Who scored touchdowns for the {team}?", f"touchdowns of the {team}", g.of(TD, team=team),
         "players who scored #1"),
        ("Which kickers made field goals in the game?", "field goals", g.of(FG), "kickers who kicked #1"),
    ]
    options = [o for o in options if len({p.scorer for p in o[2]}) >= 2]
    if not options:
        return None
    question, step, plays, who = rng.choice(options)
    return Built(question, [(step, "select", spans(p.span for p in plays)),
                            (who, "project", spans(p.scorer for p in plays))], "multispan")


def both_scored(rng: random.Random, g: Game) -> Built | None:
    either = rng.random() < 0.3
    quarter = rng.randint(1, 4)
    a, b = rng.sample(g.teams, 2)
    flags = [bool(g.of(TD, team=t, quarter=quarter) or g.of(FG, team=t, quarter=quarter)) for t in (a, b)]
    ordinal = ORDINALS[quarter - 1]
    pair = f"either the {a} or the {b}" if either else f"both the {a} and the {b}"
    return Built(f"Did {pair} score in the {ordinal} quarter?",
                 [(f"if the {a} scored in the {ordinal} quarter", "boolean", yesno(flags[0])),
                  (f"if the {b} scored in the {ordinal} quarter", "boolean", yesno(flags[1])),
                  ("if either #1 or #2 is true" if either else "if both #1 and #2 are true", "boolean",
                   yesno(any(flags) if either else all(flags)))], "boolean")


TEMPLATES = (
    Template("football-yards", "number", 1, yards_lookup),
    Template("football-who", "spans", 1, who_lookup),
    Template("football-scored-in-quarter", "yesno", 1, scored_in_quarter),
    Template("football-count", "number", 2, count),
    Template("football-yard-total", "number", 2, yard_total),
    Template("football-extreme-yards", "number", 2, extreme_yards),
    Template("football-who-extreme-2", "spans", 2, partial(who_extreme, two_step=True)),
    Template("football-players", "spans", 2, players),
    Template("football-both-scored", "yesno", 2, both_scored),
    Template("football-who-extreme", "spans", 3, who_extreme),
)
