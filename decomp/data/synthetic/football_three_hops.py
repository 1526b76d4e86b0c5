"""Three-hop football questions: arithmetic over two superlatives, filtered counts, rivals compared."""

from __future__ import annotations

import random
from functools import partial

from decomp.data.synthetic.build import Built, Template, number, span, spans, yesno
from decomp.data.synthetic.football import FG, HALVES, PASS, RUN, TD, Game, Play, plural
from decomp.data.synthetic.football_questions import kind_with


def _extreme(plays: list[Play], adjective: str) -> int:
    return (max if adjective == "longest" else min)(p.yards for p in plays)


def _top(adjective: str) -> str:
    return "highest" if adjective == "longest" else "lowest"


def yard_difference(rng: random.Random, g: Game) -> Built | None:
    kickers = [k for k in g.kickers.values() if len(g.of(FG, scorer=k)) >= 2]
    if kickers and rng.random() < 0.3:
        kicker = rng.choice(kickers)
        question = f"How many yards longer was {kicker}'s longest field goal than his shortest?"
        step, plays = f"yards of field goals of {kicker}", g.of(FG, scorer=kicker)
    elif (kind := kind_with(g, rng, 2)) is not None and rng.random() < 0.4:
        question = f"How many yards longer was the longest {kind} than the shortest?"
        step, plays = f"yards of {plural(kind)}", g.of(kind)
    else:
        pair = [(k, rng.choice(("longest", "shortest")))
                for k in rng.choice(((FG, TD), (RUN, PASS), (FG, RUN), (FG, PASS)))]
        if not all(g.of(k) for k, _ in pair):
            return None
        (k1, a1), (k2, a2) = sorted(pair, key=lambda ka: -_extreme(g.of(ka[0]), ka[1]))  # larger first
        x, y = _extreme(g.of(k1), a1), _extreme(g.of(k2), a2)
        if x == y:
            return None
        return Built(f"How many more yards was the {a1} {k1} than the {a2} {k2}?",
                     [(f"yards of {plural(k1)}", "select", spans(str(p.yards) for p in g.of(k1))),
                      (f"{_top(a1)} of #1", "aggregate", number(x)),
                      (f"yards of {plural(k2)}", "select", spans(str(p.yards) for p in g.of(k2))),
                      (f"{_top(a2)} of #3", "aggregate", number(y)),
                      ("difference of #2 and #4", "arithmetic", number(x - y))], "arithmetic")
    yards = [p.yards for p in plays]
    return Built(question, [(step, "select", spans(map(str, yards))),
                            ("highest of #1", "aggregate", number(max(yards))),
                            ("lowest of #1", "aggregate", number(min(yards))),
                            ("difference of #2 and #3", "arithmetic", number(max(yards) - min(yards)))],
                 "arithmetic")


def yards_combined(rng: random.Random, g: Game) -> Built | None:
    k1, k2 = rng.sample((FG, RUN, PASS), 2)
    if not g.of(k1) or not g.of(k2):
        return None
    a1, a2 = rng.choice(("longest", "shortest")), rng.choice(("longest", "shortest"))
    x, y = _extreme(g.of(k1), a1), _extreme(g.of(k2), a2)
    return Built(f"How many yards do the {a1} {k1} and the {a2} {k2} combine for?",
                 [(f"yards of {plural(k1)}", "select", spans(str(p.yards) for p in g.of(k1))),
                  (f"{_top(a1)} of #1", "aggregate", number(x)),
                  (f"yards of {plural(k2)}", "select", spans(str(p.yards) for p in g.of(k2))),
                  (f"{_top(a2)} of #3", "aggregate", number(y)),
                  ("sum of #2 and #4", "arithmetic", number(x + y))], "arithmetic")


def filtered_count(rng: random.Random, g: Game) -> Built | None:
    if rng.random() < 0.5:
        team, kind, half = rng.choice(g.teams), rng.choice((TD, FG)), rng.choice(tuple(HALVES))
        plays = g.of(kind, team=team)
        kept = [p for p in plays if p.quarter in HALVES[half]]
        verb = "kick" if kind == FG else "score"
        question = f"How many {plural(kind)} did the {team} {verb} in the {half}?"
        first, second = f"{plural(kind)} of the {team}", f"#1 in the {half}"
    else:
        kind = kind_with(g, rng, 2)
        if kind is None:
            return None
        plays = g.of(kind)
        low, high = sorted(rng.sample([p.yards for p in plays], 2))
        cut = rng.randint(low, high - 1)
        kept = [p for p in plays if p.yards > cut]
        question = f"How many {plural(kind)} were longer than {cut} yards?"
        first, second = plural(kind), f"#1 longer than {cut} yards"
    if not kept:
        return None
    return Built(question, [(first, "select", spans(p.span for p in plays)),
                            (second, "filter", spans(p.span for p in kept)),
                            ("number of #2", "aggregate", number(len(kept)))], "count")


def _rivals(rng: random.Random, g: Game) -> tuple[str, tuple[str, str], str, str, dict[str, list[Play]]]:
    """Two players or teams to compare: (group, (past, base) verb, count noun, step text, plays of each)."""
    group = rng.choice(("kicker", "quarterback", "team"))
    if group == "kicker":
        return (group, ("made", "make"), "field goals", "field goals of {}",
                {k: g.of(FG, scorer=k) for k in g.kickers.values()})
    if group == "quarterback":
        return (group, ("threw", "throw"), "touchdown passes", "touchdown passes of {}",
                {q: g.of(PASS, passer=q) for q in g.quarterbacks.values()})
    return (group, ("scored", "score"), "touchdowns", "touchdowns of the {}",
            {t: g.of(TD, team=t) for t in g.teams})


def _label(group: str, name: str) -> str:
    return f"the {name}" if group == "team" else name


def compare_count(rng: random.Random, g: Game, boolean: bool = False) -> Built | None:
    group, (past, base), noun, step, plays = _rivals(rng, g)
    a, b = rng.sample(sorted(plays), 2)
    x, y = len(plays[a]), len(plays[b])
    if not x or not y or (x == y and not boolean):
        return None
    first = [(step.format(a), "select", spans(p.span for p in plays[a])),
             (step.format(b), "select", spans(p.span for p in plays[b])),
             ("number of #1", "aggregate", number(x)), ("number of #2", "aggregate", number(y))]
    if boolean:
        return Built(f"Did {_label(group, a)} {base} more {noun} than {_label(group, b)}?",
                     first + [("if #3 is higher than #4", "boolean", yesno(x > y))], "boolean")
    more = rng.random() < 0.6
    winner = a if (x > y) == more else b
    return Built(f"Which {group} {past} {'more' if more else 'fewer'} {noun}, {_label(group, a)} or "
                 f"{_label(group, b)}?",
                 first + [(f"which is {'higher' if more else 'lower'} of #3 , #4", "comparison",
                           span(winner))], "comparison")


def compare_longest(rng: random.Random, g: Game) -> Built | None:
    group, _, _, _, plays = _rivals(rng, g)
    kind = {"kicker": FG, "quarterback": PASS, "team": TD}[group]
    a, b = rng.sample(sorted(plays), 2)
    if not plays[a] or not plays[b]:
        return None
    x, y = _extreme(plays[a], "longest"), _extreme(plays[b], "longest")
    step = {"kicker": "yards of field goals of {}", "quarterback": "yards of touchdown passes of {}",
            "team": "yards of touchdowns of the {}"}[group]
    return Built(f"Which {group} had the longest {kind}, {_label(group, a)} or {_label(group, b)}?",
                 [(step.format(a), "select", spans(str(p.yards) for p in plays[a])),
                  (step.format(b), "select", spans(str(p.yards) for p in plays[b])),
                  ("highest of #1", "aggregate", number(x)), ("highest of #2", "aggregate", number(y)),
                  ("which is higher of #3 , #4", "comparison", span(a if x > y else b))], "comparison")


def over_threshold(rng: random.Random, g: Game) -> Built | None:
    kind = kind_with(g, rng, 2)
    if kind is None:
        return None
    longest, want = rng.random() < 0.5, rng.random() < 0.5
    yards = [p.yards for p in g.of(kind)]
    if longest:
        top = max(yards)
        cut = top - rng.randint(1, 8) if want else top + rng.randint(0, 8)
        question = f"Was the longest {kind} longer than {cut} yards?"
    else:
        top = min(yards)
        cut = top + rng.randint(1, 8) if want else max(1, top - rng.randint(0, 8))
        question = f"Was the shortest {kind} shorter than {cut} yards?"
    compare = "higher" if longest else "lower"
    return Built(question, [(f"yards of {plural(kind)}", "select", spans(map(str, yards))),
                            (f"{'highest' if longest else 'lowest'} of #1", "aggregate", number(top)),
                            (f"if #2 is {compare} than {cut}", "boolean", yesno(want))], "boolean")


TEMPLATES = (
    Template("football-yard-difference", "number", 3, yard_difference),
    Template("football-yards-combined", "number", 3, yards_combined),
    Template("football-filtered-count", "number", 3, filtered_count),
    Template("football-compare-count", "spans", 3, compare_count),
    Template("football-compare-longest", "spans", 3, compare_longest),
    Template("football-more-than", "yesno", 3, partial(compare_count, boolean=True)),
    Template("football-over-threshold", "yesno", 3, over_threshold),
)
