"""DROP-like game summaries: field goals and touchdowns by named players, quarter by quarter."""

from __future__ import annotations

import random
from dataclasses import dataclass

from decomp.data.synthetic.vocab import ORDINALS, Namer

FG, RUN, PASS, TD = "field goal", "touchdown run", "touchdown pass", "touchdown"
YARDS = {FG: (19, 58), RUN: (1, 45), PASS: (2, 80)}
HALVES = {"first half": (1, 2), "second half": (3, 4)}
CLAUSES = {
    FG: ("the {team} kicker {scorer} made {a} {span}", "{scorer} kicked {a} {span} for the {team}",
         "the {team} kicker {scorer} nailed {a} {span}"),
    RUN: ("the {team} running back {scorer} scored on {a} {span}",
          "{scorer} capped a drive with {a} {span} for the {team}",
          "the {team} got {a} {span} from {scorer}"),
    PASS: ("the {team} quarterback {passer} threw {a} {span} to {scorer}",
           "{passer} found {scorer} on {a} {span} for the {team}",
           "the {team} struck when {passer} hit {scorer} with {a} {span}"),
}
INTROS = ("Coming off their bye week, the {home} played host to the {away} in week {week}.",
          "Hoping to rebound from a loss, the {home} hosted the {away} in week {week}.",
          "The {home} opened week {week} at home against the {away}.",
          "In week {week}, the {away} visited the {home}.")


@dataclass(frozen=True)
class Play:
    quarter: int
    team: str
    kind: str
    yards: int
    scorer: str
    passer: str = ""

    @property
    def span(self) -> str:
        return f"{self.yards}-yard {self.kind}"


@dataclass
class Game:
    teams: tuple[str, str]
    kickers: dict[str, str]
    quarterbacks: dict[str, str]
    plays: list[Play]
    text: str

    def of(self, kind: str, **where) -> list[Play]:
        """Plays of a kind (`touchdown` = runs and passes), filtered by attribute values."""
        return [p for p in self.plays if (p.kind == kind or kind == TD and p.kind != FG)
                and all(getattr(p, k) == v for k, v in where.items())]

    def facts(self) -> dict:
        return {"plays": [[p.quarter, p.team, p.kind, p.yards, p.scorer, p.passer] for p in self.plays]}


def _article(n: int) -> str:
    return "an" if str(n).startswith("8") or n in (11, 18) else "a"


def plural(kind: str) -> str:
    return kind + ("es" if kind.endswith("ss") else "s")


def game(rng: random.Random, namer: Namer, sentences: int) -> Game:
    cities = [namer.pick("team_city") for _ in range(2)]
    teams = tuple(namer.pick("team_mascot") for _ in range(2))
    roster = {t: {role: namer.person("male")[0] for role in ("kicker", "qb", "rb", "wr1", "wr2")}
              for t in teams}
    play_sentences = sentences - 1
    quarters = (sorted(rng.sample(range(1, 5), play_sentences)) if play_sentences <= 4
                else sorted([1, 2, 3, 4] + rng.choices(range(1, 5), k=play_sentences - 4)))
    used: set[int] = set()
    plays: list[Play] = []
    text = [rng.choice(INTROS).format(home=f"{cities[0]} {teams[0]}", away=f"{cities[1]} {teams[1]}",
                                      week=rng.randint(1, 17))]
    double = rng.randrange(2 * len(quarters))  # at most one sentence with two plays keeps passages short
    for i, quarter in enumerate(quarters):
        clauses, forms = [], []
        for _ in range(2 if i == double else 1):
            team = rng.choice(teams)
            kind = rng.choices((FG, RUN, PASS), (0.4, 0.25, 0.35))[0]
            yards = rng.choice([y for y in range(YARDS[kind][0], YARDS[kind][1] + 1) if y not in used])
            used.add(yards)
            who = roster[team]
            scorer = {FG: who["kicker"], RUN: who["rb"], PASS: who[rng.choice(("wr1", "wr2"))]}[kind]
            play = Play(quarter, team, kind, yards, scorer, who["qb"] if kind == PASS else "")
            plays.append(play)
            form = rng.choice([c for c in CLAUSES[kind] if c not in forms] or CLAUSES[kind])
            forms.append(form)
            clauses.append(form.format(team=team, scorer=scorer, passer=play.passer, a=_article(yards),
                                       span=play.span))
        ordinal = ORDINALS[quarter - 1]
        lead = (f"Later in the {ordinal} quarter, " if i and quarters[i - 1] == quarter
                else rng.choice((f"In the {ordinal} quarter, ", f"During the {ordinal} quarter, ")))
        sentence = lead + ", and ".join(clauses) + "."
        text.append(sentence[0].upper() + sentence[1:])
    return Game(teams, {t: r["kicker"] for t, r in roster.items()}, {t: r["qb"] for t, r in roster.items()},
                plays, " ".join(text))
