"""The report as a list of document blocks (headings, tables, images, ...) built from a `Leaderboard`:
Markdown and HTML (`markup`) render the same blocks, so they always show the same tables and sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from decomp.leaderboard.analysis import CROSSOVER_DEFINITION
from decomp.leaderboard.model import (
    BOOTSTRAPS,
    Crossover,
    CurvePoint,
    Difference,
    Group,
    Interval,
    Leaderboard,
    Size,
    size_key,
)

METRIC_NAMES = {"em": "EM", "f1": "F1"}
FEW_SEEDS = 5  # points backed by fewer runs get a warning: their interval over seeds rests on few units


# ---------------------------------------------------------------- formatting


def fmt_size(k: Size | None) -> str:
    return "-" if k is None else str(k)


def fmt_interval(score: Interval, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{score.mean:{sign}.1f} [{score.lo:{sign}.1f}, {score.hi:{sign}.1f}]"


def slug(group: Group) -> str:
    parts = (group.dataset, group.context, group.reader, group.decompositions, group.fixed_budget and "fixed budget")
    text = "-".join(x for x in parts if x).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def compared_sizes(group: Group, strategy: str) -> tuple[Size, ...]:
    """The sizes at which `strategy` was paired with `none`: a partial curve claims nothing past them."""
    return tuple(d.k for d in group.differences if d.strategy == strategy and d.baseline == "none")


_UNIT_NAMES = ("fold", "subset seed", "seed")


def missing_cells(group: Group) -> list[str]:
    """(strategy, k) cells of the panel's grid that have no run yet, as `strategy@k`, then the points that lack
    runs of the panel's grid of units, as `strategy@k (fold 1, subset seed 2)` naming what varies. The grid is
    every fold the panel holds crossed with every (subset seed, training seed) it holds: a fold that lags
    behind the others is named too."""
    have = {(p.strategy, p.k): p for p in group.points}
    seen = {u for p in group.points for u in p.units}
    units = sorted({(f, *seeds) for f in {u[0] for u in seen} for seeds in {u[1:] for u in seen}})
    varying = [i for i in range(3) if len({u[i] for u in units}) > 1]
    found = []
    for k in group.sizes:
        for s in group.strategies:
            point = have.get((s, k))
            if point is None:
                found.append(f"{s}@{fmt_size(k)}")
            elif point.units:
                for unit in (u for u in units if u not in point.units):
                    named = ", ".join(f"{_UNIT_NAMES[i]} {unit[i]}" for i in varying)
                    found.append(f"{s}@{fmt_size(k)} ({named})")
    return found


def crossover_sentence(crossover: Crossover, sizes: tuple[Size, ...]) -> str:
    """The headline: from which k a strategy's gain over `none` is no longer significant (the interval of
    the difference covers zero), and the bootstrap interval of where the difference itself reaches zero.
    `sizes`: the sizes at which the strategy was compared with `none` (see `compared_sizes`)."""
    metric = METRIC_NAMES.get(crossover.metric, crossover.metric)
    largest = max(sizes, key=size_key) if sizes else None
    never = f"never up to k={fmt_size(largest)} in {crossover.never_share:.0%} of replicates"
    lo, hi = _bound(crossover.lo, largest), _bound(crossover.hi, largest)
    if lo == hi:
        where = f"at k={lo} (the whole 95% bootstrap interval"
    elif crossover.hi is not None:
        where = f"at k in {lo}-{hi} (95% bootstrap interval"
    elif crossover.lo == largest:
        where = f"at k={lo} or beyond it (95% bootstrap interval"
    else:
        where = f"somewhere from k={lo} to beyond k={fmt_size(largest)} (95% bootstrap interval"
    reaches = (f"the difference itself reaches zero {where}; {never})" if crossover.lo is not None
               else f"the difference itself stays above zero ({never})")
    if crossover.k is None:
        return f"{crossover.strategy} still helps significantly ({metric}) at the largest size, " \
               f"k={fmt_size(largest)}; {reaches}"
    if sizes and crossover.k == min(sizes, key=size_key):
        return f"{crossover.strategy} does not help significantly ({metric}) at any size tried; {reaches}"
    return f"{crossover.strategy} stops helping significantly ({metric}) from k={crossover.k}; {reaches}"


def no_difference(differences: Iterable[Difference], metric: str) -> str:
    """What the differences whose interval covers 0 can still say: "no difference larger than X EM", X the
    largest of their minimum detectable effects (so it holds at each), at the sizes named when there are
    several. "" when every interval excludes 0."""
    covering = _by_size(d for d in differences if getattr(d, metric).lo <= 0 <= getattr(d, metric).hi)
    if not covering:
        return ""
    largest = max(d.mde(metric) for d in covering)
    text = f"no difference larger than {largest:.1f} {METRIC_NAMES.get(metric, metric)}"
    if len(covering) == 1:
        return f"{text} (its minimum detectable effect at 80% power, 5% level)"
    return (f"{text} at k={', '.join(fmt_size(d.k) for d in covering)} (the largest of their minimum detectable "
            "effects at 80% power, 5% level)")


def prior_clause(group: Group, strategy: str, metric: str, k: Size | None) -> str:
    """What `strategy` scores over `prior` (reads nothing) at size k, said with its interval: a gain over
    `none` that the answer prior explains is not reading. "" when the group has no such pair."""
    diff = next((d for d in group.differences
                 if d.baseline == "prior" and d.strategy == strategy and d.k == k), None)
    if diff is None:
        return ""
    score = getattr(diff, metric)
    name = METRIC_NAMES.get(metric, metric)
    verdict = ("significantly above it" if score.lo > 0 else "significantly below it" if score.hi < 0
               else f"not significantly different: {no_difference([diff], metric)}; no gain over the answer "
                    "prior is shown")
    return f"; against `prior` (reads nothing) at k={fmt_size(k)}: {fmt_interval(score, signed=True)} {name}, {verdict}"


def headline(group: Group, crossover: Crossover) -> str:
    """The crossover sentence, what the sizes without a significant difference to `none` can still rule out,
    and the strategy's standing against `prior` at the largest compared size."""
    sizes = compared_sizes(group, crossover.strategy)
    largest = max(sizes, key=size_key) if sizes else None
    against_none = no_difference((d for d in group.differences
                                  if d.baseline == "none" and d.strategy == crossover.strategy), crossover.metric)
    return (crossover_sentence(crossover, sizes) + (f"; against `none`, {against_none}" if against_none else "")
            + prior_clause(group, crossover.strategy, crossover.metric, largest))


def reading_headline(group: Group) -> str | None:
    """Whether `none` reads at all: its EM over `prior` at the largest size where both ran."""
    sizes = [d.k for d in group.differences if d.baseline == "prior" and d.strategy == "none"]
    if not sizes:
        return None
    largest = max(sizes, key=size_key)
    return "none (no decomposition)" + prior_clause(group, "none", "em", largest).replace(";", "", 1)


def _bound(k: Size | None, largest: Size | None) -> str:
    return f"beyond {fmt_size(largest)}" if k is None else str(k)


# ---------------------------------------------------------------- document blocks


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Para:
    text: str  # may contain `code` and **bold**


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class Image:
    path: str  # relative to the report folder
    alt: str


@dataclass(frozen=True)
class Verbatim:
    text: str  # hand-written notes: as-is in Markdown, escaped and pre-wrapped in HTML


Block = Heading | Para | Bullets | Table | Code | Image | Verbatim


def _by_size(items: Iterable, key=lambda item: item.k) -> list:
    return sorted(items, key=lambda item: size_key(key(item)))


def _spread(values: Iterable) -> str:
    """One value, or the range when the strategies at a size differ."""
    found = sorted(set(values))
    return str(found[0]) if len(found) == 1 else f"{found[0]}-{found[-1]}"


def _runs_cell(points: list[CurvePoint]) -> str:
    text = _spread(p.n_seeds for p in points)
    return f"{text} (< {FEW_SEEDS} seeds)" if min(p.n_seeds for p in points) < FEW_SEEDS else text


def _curve_table(group: Group, metric: str) -> Table:
    cells = {(p.strategy, p.k): p for p in group.points}
    demos = any(p.n_demonstrations is not None for p in group.points)
    rows = []
    for k in sorted({p.k for p in group.points}, key=size_key):
        here = [p for p in group.points if p.k == k]
        # `prior` counts the whole subset; a reader holds part of it out to validate on, so sizes can differ
        row = [fmt_size(k), _spread(round(p.n_train) for p in here), _runs_cell(here),
               f"{_spread(p.n_eval for p in here)} / {_spread(p.n_passages for p in here)}"]
        if demos:
            shown = [f"{p.n_demonstrations:.0f}" for p in here if p.n_demonstrations is not None]
            row.append(_spread(shown) if shown else "-")
        for strategy in group.strategies:
            point = cells.get((strategy, k))
            row.append(fmt_interval(getattr(point, metric)) if point else "")
        rows.append(tuple(row))
    headers = ("k", "n train", "runs", "eval questions / passages") + (("demonstrations",) if demos else ())
    return Table(headers + group.strategies, tuple(rows))


def _difference_table(group: Group, baseline: str) -> Table:
    """Per size, each strategy's EM and F1 difference with its interval, then its minimum detectable effects."""
    mine = [d for d in group.differences if d.baseline == baseline]
    strategies = tuple(s for s in group.strategies if any(d.strategy == s for d in mine))
    cells = {(d.strategy, d.k): d for d in mine}
    headers = ("k",) + tuple(name for s in strategies
                             for name in (*(f"{s} {METRIC_NAMES[m]}" for m in METRIC_NAMES), f"{s} MDE EM / F1"))
    rows = []
    for k in sorted({d.k for d in mine}, key=size_key):
        row = [fmt_size(k)]
        for strategy in strategies:
            diff = cells.get((strategy, k))
            row += [fmt_interval(getattr(diff, m), signed=True) if diff else "" for m in METRIC_NAMES]
            row.append(f"{diff.mde_em:.1f} / {diff.mde_f1:.1f}" if diff else "")
        rows.append(tuple(row))
    return Table(headers, tuple(rows))


def _crossover_table(group: Group) -> Table:
    largest = max(group.sizes, key=size_key) if group.sizes else None
    rows = tuple(
        (
            c.strategy,
            METRIC_NAMES.get(c.metric, c.metric),
            fmt_size(c.k) if c.k is not None else f"none up to {fmt_size(largest)}",
            f"{_bound(c.lo, largest)} - {_bound(c.hi, largest)}",
            f"{c.never_share:.0%}",
        )
        for c in group.crossovers
    )
    return Table(("strategy", "metric", "crossover k (interval covers 0 from here on)",
                  "difference reaches 0 at k (95% interval)", "replicates never reaching 0"), rows)


def _best_table(group: Group) -> Table:
    rows = tuple(
        (
            fmt_size(b.k),
            METRIC_NAMES.get(b.metric, b.metric),
            b.strategy,
            fmt_interval(b.score),
            "yes" if b.margin_ci_excludes_zero else "no (tie within CI)",
        )
        for b in sorted(group.best, key=lambda b: (size_key(b.k), b.metric))
    )
    return Table(("k", "metric", "best strategy", "score", "beats runner-up"), rows)


def _breakdown_table(group: Group) -> Table:
    """Compact: one row per (kind, value, k), EM / F1 means per strategy; the intervals are in breakdowns.csv."""
    cells = {(b.kind, b.value, b.k, b.strategy): b for b in group.breakdowns}
    keys = sorted({(b.kind, b.value, b.k) for b in group.breakdowns}, key=lambda t: (t[0], t[1], size_key(t[2])))
    rows = []
    for kind, value, k in keys:
        present = [cells[(kind, value, k, s)] for s in group.strategies if (kind, value, k, s) in cells]
        row = [kind, value, fmt_size(k), str(max(b.n_examples for b in present))]
        for strategy in group.strategies:
            b = cells.get((kind, value, k, strategy))
            row.append(f"{b.em.mean:.1f} / {b.f1.mean:.1f}" if b else "")
        rows.append(tuple(row))
    return Table(("kind", "value", "k", "examples") + tuple(f"{s} EM / F1" for s in group.strategies), tuple(rows))


def _count_answers_table(group: Group) -> Table:
    rows = tuple(
        (c.strategy, fmt_size(c.k), str(c.n_answers), f"{c.share_one:.1f}", ", ".join(f"{a} ({n})" for a, n in c.top))
        for c in sorted(group.count_answers, key=lambda c: (group.strategies.index(c.strategy), size_key(c.k)))
    )
    return Table(("strategy", "k", "answers", 'share "1" (%)', "most frequent (count)"), rows)


def _correct_answers_table(group: Group) -> Table:
    rows = []
    for c in sorted(group.correct_answers, key=lambda c: (group.strategies.index(c.strategy), size_key(c.k))):
        prior = "-" if c.n_prior_too is None else (
            f"{c.n_prior_too} ({100 * c.n_prior_too / c.n_correct:.0f}%)" if c.n_correct else "0")
        rows.append((c.strategy, fmt_size(c.k), f"{c.n_correct} / {c.n_questions}", prior,
                     ", ".join(f"{a} ({n})" for a, n in c.top)))
    return Table(("strategy", "k", "right (EM 1) / questions", "also right for `prior`", "most frequent (count)"),
                 tuple(rows))


def _data_sentence(group: Group, bootstrap: str) -> str:
    """What each point rests on: seeds, evaluation questions and the passages they come from."""
    text = ("Every number below is a mean with its 95% bootstrap interval `[lo, hi]`, resampling seeds and "
            f"{BOOTSTRAPS[bootstrap]}; the tables give each point's evaluation "
            "questions beside the passages they come from. Run ids per point: `curves.csv`. Each paired "
            "difference states its minimum detectable effect (MDE): the true difference that its interval would "
            "exclude 0 for in 80% of studies like this one (5% two-sided level), 2.80 bootstrap standard errors.")
    text += _folds_sentence(group)
    if not group.passages_recorded:
        text += (" These rows do not record every question's passage: such questions count as their own "
                 "passage, which makes the intervals too narrow where questions share a passage.")
    few = [p for p in group.points if p.n_seeds < FEW_SEEDS]
    if few:
        text += (f" {len(few)} of {len(group.points)} points rest on fewer than {FEW_SEEDS} seeds: their "
                 "intervals resample so few runs that they understate the spread between seeds.")
    text += _supervision_sentence(group)
    missing = missing_cells(group)
    if missing:
        text += (f" Runs missing against the grid of this panel's other points ({len(missing)}): "
                 f"{', '.join(missing)}.")
    return text + _fits_sentence(group)


SUPERVISION = {"oracle": "the gold answer of every step (an oracle: no other strategy sees it, and real BREAK data "
                         "has none)",
               "final": "final answers only (its intermediate steps get no training signal of their own)"}


def _supervision_sentence(group: Group) -> str:
    """How each decomposition strategy's steps were supervised: an oracle is a different experiment."""
    said = [f"`{s}` is trained on {SUPERVISION.get(how, how)}" for s, how in group.supervision]
    return f" Step supervision: {'; '.join(said)}." if said else ""


def _folds_sentence(group: Group) -> str:
    """Which folds the panel pools, and which of the protocol's folds have no rows yet."""
    folds = ", ".join(map(str, group.folds))
    text = ""
    if len(group.folds) > 1:
        text = (f" Folds {folds} pool as strata: seeds and passages are resampled within each fold, and each fold "
                "weighs by its evaluation questions; each fold's own tables are at the end of this panel and in "
                "`fold_curves.csv` and `fold_differences.csv`.")
    absent = [f for f in range(group.n_folds or 0) if f not in group.folds]
    if absent:
        held = f"fold{'s' if len(group.folds) > 1 else ''} {folds}"
        text += (f" The rows hold {held} of the protocol's {group.n_folds} folds; no rows yet for fold"
                 f"{'s' if len(absent) > 1 else ''} {', '.join(map(str, absent))}.")
    return text


def _fits_sentence(group: Group) -> str:
    """How the reader fits stopped: early stopping is the evidence a point was trained to convergence, so a fit
    the step cap stopped first is named."""
    if not group.n_fits:
        return ""
    early = group.n_fits - len(group.cut_fits) - group.n_by_rule
    text = f" Of the {group.n_fits} reader fits, {early} stopped early on their validation split."
    if group.n_reused:
        text += (f" {group.n_reused} of them were loaded from a fit cache: trained by another run with the same"
                 " reader, training data, budget and seed (`budget.reused_fit` names it), and tested here.")
    if group.cut_fits:
        named = ", ".join(
            f"`{c.strategy}` k={fmt_size(c.k)} (fold {c.fold}, subset seed {c.subset_seed}, seed {c.training_seed};"
            f" best round at step {c.best_step} of {c.cap})" for c in group.cut_fits)
        text += (f" {len(group.cut_fits)} of them reached the step cap while the last validation rounds were still"
                 f" within patience of the best; a point with such a fit may be under-trained: {named}.")
    if group.n_by_rule:  # last, so that "of them" above still means all the panel's fits
        text += (f" The other {group.n_by_rule} trained to the budget rule, their carved validation split holding "
                 "fewer than `budget.min_val_questions` questions (`stop_reason` says so).")
    return text


def _group_blocks(group: Group, bootstrap: str) -> list[Block]:
    name = slug(group)
    runs = {rid for p in group.points for rid in p.run_ids}
    blocks: list[Block] = [
        Heading(2, group.title),
        Para(f"{len(runs)} runs. {_data_sentence(group, bootstrap)}"),
        Bullets(tuple(filter(None, (reading_headline(group), *(headline(group, c) for c in group.crossovers))))),
        Image(f"plots/{name}-curve.svg", f"Learning curves, {group.title}"),
        Heading(3, "Learning curves: EM"),
        _curve_table(group, "em"),
        Heading(3, "Learning curves: F1"),
        _curve_table(group, "f1"),
    ]
    if any(d.baseline == "none" for d in group.differences):
        blocks += [
            Heading(3, "Difference to `none` (same subsets and seeds)"),
            Image(f"plots/{name}-difference.svg", f"Difference to none, {group.title}"),
            _difference_table(group, "none"),
            Heading(3, "Crossover"),
            _crossover_table(group),
        ]
    else:
        blocks.append(Para("No `none` runs in this group: no differences to `none` or crossover."))
    if any(d.baseline == "prior" for d in group.differences):
        blocks += [Heading(3, "Difference to `prior` (same subsets and seeds)"),
                   Para("`prior` reads no passage: it answers from the training subset's answers alone, so a gain "
                        "over it is what reading adds to the answer prior."),
                   _difference_table(group, "prior")]
    else:
        blocks.append(Para("No `prior` runs in this group: no gain over the answer prior can be shown."))
    if group.correct_answers:
        blocks += [Heading(3, "Right answers against `prior`"),
                   Para("Summed over each point's runs; `prior` is paired on the same fold and subset seed. When "
                        "most of a strategy's right answers are also `prior`'s, or one answer makes most of them, "
                        "its score is the answer prior, not reading (`decomp traces` lists them one by one)."),
                   _correct_answers_table(group)]
    blocks += [Heading(3, "Best strategy per k"), _best_table(group)]
    if group.breakdowns:
        blocks += [Heading(3, "Breakdown by operator and question type (EM / F1 means)"), _breakdown_table(group)]
    if group.count_answers:
        blocks += [Heading(3, "Final answers on count questions"),
                   Para('Summed over each point\'s runs. A count step over a single span answers "1": a high '
                        'share of "1" means the count path is answering a prior, not counting.'),
                   _count_answers_table(group)]
    for table in group.fold_tables:  # the same tables over one fold's runs and questions
        mine = replace(group, points=table.points, differences=table.differences)
        blocks += [Heading(3, f"Fold {table.fold} on its own: EM"), _curve_table(mine, "em")]
        if any(d.baseline == "none" for d in table.differences):
            blocks += [Heading(3, f"Fold {table.fold} on its own: difference to `none`"),
                       _difference_table(mine, "none")]
    return blocks


def _sources_blocks(board: Leaderboard) -> list[Block]:
    blocks: list[Block] = []
    for dataset, reader, comparisons in board.source_comparisons:
        if not comparisons:
            continue
        if not blocks:
            blocks.append(Heading(2, "Gold vs predicted decompositions (F1)"))
        rows = tuple(
            (c.source, c.strategy, fmt_size(c.k), fmt_interval(c.gold), fmt_interval(c.predicted),
             fmt_interval(c.difference, signed=True))
            for c in sorted(comparisons, key=lambda c: (c.source, c.strategy, size_key(c.k)))
        )
        blocks += [
            Heading(3, f"{dataset} / {reader} reader"),
            Table(("decompositions", "strategy", "k", "gold", "predicted", "predicted - gold"), rows),
        ]
    return blocks


def _provenance_blocks(board: Leaderboard) -> list[Block]:
    prov = board.provenance
    versions = Table(("package", "version"), tuple((name, str(prov.versions[name])) for name in sorted(prov.versions)))
    return [
        Heading(2, "Provenance"),
        Para("Every table and plot above was written by this command, from the stored result rows alone:"),
        Code(prov.command),
        Bullets((
            f"curves: {', '.join(prov.curves) or '-'}",
            f"runs: {len(prov.run_ids)} (ids in `leaderboard.json` and per point in `curves.csv`)",
            f"git commits: {', '.join(f'`{c}`' for c in prov.git_commits) or '-'}",
            f"config hashes: {', '.join(f'`{h}`' for h in prov.config_hashes) or '-'}",
            f"hardware: {'; '.join(prov.hardware) or '-'}",
            f"bootstrap: {prov.n_boot} replicates, seed {prov.seed}, `{prov.bootstrap}`, resampling seeds and "
            f"{BOOTSTRAPS[prov.bootstrap]}; intervals are 2.5-97.5 percentiles",
            f"rows digest (sha256): `{prov.rows_digest or '-'}`",
        )),
        Heading(3, "Versions"),
        versions,
        Heading(3, "Crossover"),
        Para(CROSSOVER_DEFINITION),
    ]


def report_blocks(board: Leaderboard, notes: str | None = None) -> list[Block]:
    headlines = tuple(
        f"**{group.title}**: {sentence}"
        for group in board.groups
        for sentence in (reading_headline(group), *(headline(group, c) for c in group.crossovers if c.metric == "em"))
        if sentence
    )
    blocks: list[Block] = [
        Heading(1, "Leaderboard: when do decompositions help?"),
        Para("Generated by `decomp leaderboard` from stored result rows; do not edit by hand "
             "(see Provenance for the command)."),
    ]
    if headlines:
        blocks += [Heading(2, "Headline (EM)"), Bullets(headlines)]
    if notes is not None:
        blocks += [Heading(2, "What was run"), Verbatim(notes)]
    for group in board.groups:
        blocks += _group_blocks(group, board.provenance.bootstrap)
    return blocks + _sources_blocks(board) + _provenance_blocks(board)
