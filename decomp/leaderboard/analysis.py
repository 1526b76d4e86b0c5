"""From result rows to the leaderboard's records (decomp.leaderboard.model): learning curves with 95%
intervals, paired differences against `none` and against `prior`, crossovers, the best strategy per size,
breakdowns by kind of question, executor answers on count questions and gold-vs-predicted decompositions.
A pure function of the rows: same rows, same records.

Rows are grouped into panels by (dataset, HotpotQA context, reader, decompositions, budget), where
predicted decompositions are told apart by the file that held them ("predicted (drop-fold0-minilm.jsonl)"):
two decomposers are two panels. A reader that learns in context (`learner: in-context`) is its own series
("causal in-context"), apart from the same reader fine-tuned. Rows that need no reader (the `prior`
baseline, `learner: none`) join every panel of their dataset, context and decompositions. A unit
is one (fold, subset seed, training seed); rows of the same unit and size are paired across strategies,
and per-example scores pair by example id. A score is the mean over units of the mean over the run's
evaluation examples, as a percentage. Its interval is a hierarchical percentile bootstrap (2.5 and 97.5
percentiles): folds are strata, and each replicate resamples, within each fold, the units with replacement and
the evaluation passages with replacement, each with all its questions (or, with `bootstrap="passages-questions"`,
then the questions within each drawn passage); the same resample serves every strategy and size in that
replicate (decomp.leaderboard.bootstrap), so differences are paired.
A score pooled over folds weights each fold by its evaluation questions; a panel of several folds also
keeps each fold's own points and differences (`FoldTable`). Every difference states its minimum detectable
effect (80% power at the 5% level) from the standard error of its replicates.

The crossover is defined in CROSSOVER_DEFINITION (the report prints it). Breakdowns resample, per fold, the
passages of the questions of one kind, each with only those questions. Gold-vs-predicted differences pair
runs of the same unit (and examples by id); with no unit in common, the two sides are bootstrapped
independently (the predicted side from seed + 1).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np

from decomp.curves.rows import context_setting
from decomp.errors import DataError
from decomp.hashing import json_digest
from decomp.leaderboard.bootstrap import (
    Draws,
    Scores,
    detectable,
    interval,
    over_units,
    r4,
    resamples_questions,
    unit_means,
)
from decomp.leaderboard.model import (
    DEFAULT_BOOTSTRAP,
    Best,
    Breakdown,
    CorrectAnswers,
    CountAnswers,
    Crossover,
    CurvePoint,
    CutFit,
    Difference,
    FoldTable,
    Group,
    Interval,
    Leaderboard,
    Provenance,
    Size,
    SourceComparison,
    dataset_label,
    size_key,
)

CROSSOVER_DEFINITION = (
    "Crossover: for each strategy and metric, over the sizes at which both the strategy and `none` were run, "
    "in increasing order, the crossover is the smallest size from which the 95% interval of the paired "
    "difference (strategy - none) has its lower bound at or below zero at that size and at every larger size; "
    "it is none when the lower bound at the largest size is still above zero. Its interval comes from the same "
    "bootstrap replicates: in each replicate, the crossover is the smallest size from which that replicate's "
    "difference (in points, rounded to 4 decimals) is at or below zero at that size and at every larger size, "
    "or beyond the largest size when the difference at the largest size is above zero. lo and hi are the 2.5th "
    "percentile (rounded down to a size) and the 97.5th percentile (rounded up to a size) of the replicates' "
    "crossovers over the ordered sizes, none when beyond the largest size; never_share is the share of "
    "replicates whose crossover is beyond the largest size."
)
METRICS = ("em", "f1")
BASELINE = "none"
PRIOR = "prior"
BASELINES = (BASELINE, PRIOR)
KINDS = ("operator", "answer_type", "question_type")
TOP_ANSWERS = 3

Unit = tuple[int, int, int]
PanelKey = tuple[str, str, str, str, str]  # dataset, context ("" when none), reader, decompositions, budget


def analyse(rows: list[dict], *, command: str, n_boot: int = 1000, seed: int = 0,
            bootstrap: str = DEFAULT_BOOTSTRAP) -> Leaderboard:
    """The leaderboard of checked result rows (decomp.leaderboard.rows.load_rows), its intervals from the
    `bootstrap` named in decomp.leaderboard.model.BOOTSTRAPS."""
    if not rows:
        raise DataError("no result rows to analyse")
    if n_boot < 1:
        raise DataError(f"n_boot must be at least 1, got {n_boot}")
    resample_questions = resamples_questions(bootstrap)
    rows = sorted(rows, key=lambda r: r["run_id"])
    for a, b in zip(rows, rows[1:], strict=False):
        if a["run_id"] == b["run_id"]:
            raise DataError(f"run_id {a['run_id']!r} appears twice (overlapping --runs?)", field="run_id")
    grouped = _panels(rows)
    panels = {key: _Panel(key, grouped[key], n_boot, seed, resample_questions) for key in sorted(grouped)}
    comparisons = []
    for dataset, context, reader, budget in sorted({(d, c, r, b) for d, c, r, _, b in panels}):
        gold = panels.get((dataset, context, reader, "gold", budget))
        found = tuple(c for (d, x, r, source, b), panel in panels.items()
                      if gold and (d, x, r, b) == (dataset, context, reader, budget) and source != "gold"
                      for c in _compare_sources(gold, panel, n_boot, seed, resample_questions))
        if found:
            comparisons.append((dataset_label(dataset, context or None), reader, found))
    return Leaderboard(tuple(p.group for p in panels.values()), tuple(comparisons),
                       _provenance(rows, command, n_boot, seed, bootstrap))


def decomposition_source(row: dict) -> str:
    """`gold`, or `predicted` named by its predictions file when the row records one."""
    if row["decompositions"] == "predicted" and row.get("predicted_file"):
        return f"predicted ({PurePath(row['predicted_file']).name})"
    return row["decompositions"]


def reader_series(row: dict) -> str:
    """The reader as a series name: a reader that learns in context is apart from the same reader fine-tuned,
    and one that starts from an adapted model (`decomp adapt`) apart from one that does not, and one with frozen
    lower layers (`frozen_layers`) apart from the same reader fine-tuned whole."""
    name = f"{row['reader']} in-context" if row.get("learner") == "in-context" else row["reader"]
    args = row.get("reader_args") or {}
    init, frozen = args.get("init"), args.get("frozen_layers")
    # no comma: the series is a CSV field that line tools (the before-stop hook's awk) split on commas
    name = f"{name} QA-adapted ({init['adapted']})" if init else name
    return f"{name} {frozen} layers frozen" if frozen else name


def readerless(row: dict) -> bool:
    """A row of a strategy that reads nothing (the `prior` baseline)."""
    return row.get("learner") == "none" or row["strategy"] == PRIOR


def budget_kind(row: dict) -> str:
    """"fixed" for rows trained the same steps at every size (`budget.kind`), else "" (a panel of its own
    whose headline says so)."""
    budget = row.get("budget")
    return "fixed" if isinstance(budget, dict) and budget.get("kind") == "fixed" else ""


def _panels(rows: list[dict]) -> dict[PanelKey, list[dict]]:
    """Rows by panel; a readerless row joins every panel that shares its dataset, context and decompositions
    (its own panel when there is none)."""
    grouped: dict[PanelKey, list[dict]] = defaultdict(list)

    def setting(row: dict) -> tuple[str, str, str, str]:
        return row["dataset"], context_setting(row), decomposition_source(row), budget_kind(row)

    for row in rows:
        if not readerless(row):
            d, c, source, b = setting(row)
            grouped[(d, c, reader_series(row), source, b)].append(row)
    for row in rows:
        if readerless(row):  # it trains nothing, so it joins panels whatever their budget
            d, c, source, b = setting(row)
            targets = [key for key in grouped if (key[0], key[1], key[3]) == (d, c, source)
                       and not all(readerless(r) for r in grouped[key])]
            # A curve's own readers first: two curves on the same data (say, two starting points) each
            # compare with the prior rows they ran, never with both curves' copies of the same cell.
            targets = [key for key in targets if any(r.get("curve") == row.get("curve") for r in grouped[key])] \
                or targets
            for key in targets or [(d, c, reader_series(row), source, b)]:
                grouped[key].append(row)
    return {key: sorted(found, key=lambda r: r["run_id"]) for key, found in grouped.items()}


def strategy_order(strategies) -> tuple[str, ...]:
    """`none` first, then `prior`, then alphabetical."""
    return tuple(sorted(set(strategies), key=lambda s: (s != BASELINE, s != PRIOR, s)))


@dataclass
class _Layout:
    """Each fold's sorted evaluation ids (over all rows of that fold), every run's scores laid on them, each
    id's passage number, and whether the rows recorded passage groups for every example."""

    universe: dict[int, list[str]]
    scores: dict[str, Scores]
    passages: dict[int, np.ndarray]
    recorded: bool


def _layout(rows: list[dict]) -> _Layout:
    ids: dict[int, set[str]] = defaultdict(set)
    passage: dict[tuple[int, str], str] = {}
    recorded = True
    for row in rows:  # run_id order: the first row to name an example's passage gives it
        ids[row["fold"]].update(row["examples"])
        for x, got in row["examples"].items():
            if got.get("passage") is None:
                recorded = False
            else:
                passage.setdefault((row["fold"], x), str(got["passage"]))
    universe = {fold: sorted(found) for fold, found in ids.items()}
    position = {fold: {x: i for i, x in enumerate(found)} for fold, found in universe.items()}
    groups = {}
    for fold, found in universe.items():
        # an example without a passage group is its own passage (prefixed so it cannot merge with a real one)
        labels = [passage.get((fold, x), f"\0{x}") for x in found]
        groups[fold] = np.unique(labels, return_inverse=True)[1].astype(np.int64).reshape(-1)
    scores = {}
    for row in rows:
        n = len(universe[row["fold"]])
        values, mask = np.zeros((2, n)), np.zeros(n, dtype=bool)
        for x, got in row["examples"].items():
            i = position[row["fold"]][x]
            values[:, i] = got["em"], got["f1"]
            mask[i] = True
        scores[row["run_id"]] = Scores(row["fold"], values, mask)
    return _Layout(universe, scores, groups, recorded)


def _unit(row: dict) -> Unit:
    return row["fold"], row["subset_seed"], row["training_seed"]


@dataclass
class _Estimate:
    point: np.ndarray  # (2,) em, f1 in [0, 1]
    reps: np.ndarray  # (n_boot, 2)

    def intervals(self) -> tuple[Interval, Interval]:
        return interval(self.point[0], self.reps[:, 0]), interval(self.point[1], self.reps[:, 1])

    def detectable(self) -> dict[str, float]:
        return {"mde_em": detectable(self.reps[:, 0]), "mde_f1": detectable(self.reps[:, 1])}


def _over_folds(cell: list[dict], count) -> int:
    """A point's evaluation questions (or passages) over the folds it pools: each fold's mean over its runs (its
    seeds score the same fold), summed over folds, which hold disjoint questions."""
    by_fold: dict = {}
    for row in cell:
        by_fold.setdefault(row.get("fold"), []).append(count(row))
    return int(round(sum(float(np.mean(v)) for v in by_fold.values())))


def _folds(units) -> list:
    """The fold of each unit (or row) of a list: the strata `over_units` resamples within."""
    return [u[0] if isinstance(u, tuple) else u["fold"] for u in units]


class _Panel:
    """One group's rows, their bootstrap draws and the records built from them."""

    def __init__(self, key: PanelKey, rows: list[dict], n_boot: int, seed: int,
                 resample_questions: bool) -> None:
        self.key, self.rows = key, rows
        self.cells: dict[tuple[str, Size], dict[Unit, dict]] = defaultdict(dict)
        for row in rows:
            cell = self.cells[(row["strategy"], row["k"])]
            unit = _unit(row)
            if unit in cell:
                raise DataError(f"runs {cell[unit]['run_id']!r} and {row['run_id']!r} both measure strategy "
                                f"{row['strategy']!r} at k={row['k']} for (fold, subset_seed, training_seed)={unit}"
                                f" in {'/'.join(x for x in key if x)}; point --runs at one curve's results",
                                field="run_id")
            cell[unit] = row
        self.strategies = strategy_order(s for s, _ in self.cells)
        self.sizes = tuple(sorted({k for _, k in self.cells}, key=size_key))
        self.layout = _layout(rows)
        self.scores = self.layout.scores
        units = {_unit(r) for r in rows}
        self.folds = tuple(sorted(set(_folds(units))))
        self.draws = Draws.make(Counter(_folds(units)), self.layout.passages, n_boot, seed, resample_questions)
        run_ids = [r["run_id"] for r in self.rows]
        self.unit_point, self.unit_reps = unit_means(self.draws, [self.scores[x] for x in run_ids])
        self.where = {x: i for i, x in enumerate(run_ids)}
        self.estimates = self._estimates()
        points = self._points(self.estimates)
        differences, diff_reps = self._differences()
        dataset, context, reader, decompositions, budget = key
        n_folds = {r.get("n_folds") for r in rows}
        self.group = Group(
            dataset=dataset, reader=reader, decompositions=decompositions, sizes=self.sizes,
            strategies=self.strategies, points=points, differences=differences,
            crossovers=self._crossovers(differences, diff_reps), best=self._best(), breakdowns=self._breakdowns(),
            context=context or None, fixed_budget=budget == "fixed", passages_recorded=self.layout.recorded,
            count_answers=self._count_answers(), correct_answers=self._correct_answers(), **self._fits(),
            folds=self.folds, n_folds=n_folds.pop() if len(n_folds) == 1 else None,
            fold_tables=self._fold_tables(),
            supervision=tuple(sorted({(r["strategy"], r["supervision"]) for r in rows if r.get("supervision")})))

    def ordered_cells(self, fold: int | None = None):
        """(strategy, k, the cell's rows in unit order), restricted to one fold's rows when `fold` is given."""
        for s in self.strategies:
            for k in self.sizes:
                units = [u for u in sorted(self.cells.get((s, k), {})) if fold is None or u[0] == fold]
                if units:
                    yield s, k, [self.cells[(s, k)][u] for u in units]

    def _estimates(self, fold: int | None = None) -> dict[tuple[str, Size], _Estimate]:
        found = {}
        for s, k, cell in self.ordered_cells(fold):
            idx = [self.where[r["run_id"]] for r in cell]
            found[(s, k)] = _Estimate(*over_units(self.draws, self.unit_point[idx], self.unit_reps[:, idx],
                                                  _folds(cell)))
        return found

    def _fold_tables(self) -> tuple[FoldTable, ...]:
        """Each fold's own points and differences, from the same replicates' draws of that fold (a panel of
        one fold has none: its pooled table is the fold's)."""
        if len(self.folds) < 2:
            return ()
        return tuple(FoldTable(f, self._points(self._estimates(f), f), self._differences(f)[0])
                     for f in self.folds)

    def _n_passages(self, row: dict) -> int:
        got = self.scores[row["run_id"]]
        return len(np.unique(self.layout.passages[got.fold][got.mask]))

    def _points(self, estimates: dict[tuple[str, Size], _Estimate], fold: int | None = None,
                ) -> tuple[CurvePoint, ...]:
        points = []
        for s, k, cell in self.ordered_cells(fold):
            n_train = [r["n_train"] for r in cell if r.get("n_train") is not None]
            demos = [r["n_demonstrations"] for r in cell if r.get("n_demonstrations") is not None]
            em, f1 = estimates[(s, k)].intervals()
            points.append(CurvePoint(
                strategy=s, k=k, n_train=r4(np.mean(n_train)) if n_train else float(k if k != "all" else 0),
                n_seeds=len(cell), n_eval=_over_folds(cell, lambda r: r["n_eval"]), em=em, f1=f1,
                run_ids=tuple(sorted(r["run_id"] for r in cell)),
                n_passages=_over_folds(cell, self._n_passages),
                n_demonstrations=r4(np.mean(demos)) if demos else None, units=tuple(sorted(map(_unit, cell)))))
        return tuple(points)

    def paired(self, a: str, b: str, k: Size, fold: int | None = None) -> tuple[int, _Estimate] | None:
        """a - b at size k over the units both have (of one fold when given), pairing examples by id; None
        when nothing pairs."""
        cell_a, cell_b = self.cells.get((a, k), {}), self.cells.get((b, k), {})
        units = [u for u in sorted(set(cell_a) & set(cell_b)) if fold is None or u[0] == fold]
        pairs = [(cell_a[u]["run_id"], cell_b[u]["run_id"]) for u in units]
        if all(np.array_equal(self.scores[x].mask, self.scores[y].mask) for x, y in pairs):
            # same examples: the difference of the runs' means is the mean of their per-example differences
            ia, ib = [self.where[x] for x, _ in pairs], [self.where[y] for _, y in pairs]
            point, reps = self.unit_point[ia] - self.unit_point[ib], self.unit_reps[:, ia] - self.unit_reps[:, ib]
        else:
            runs = [self.scores[x].minus(self.scores[y]) for x, y in pairs]
            keep = [r.mask.any() for r in runs]
            pairs = [p for p, kept in zip(pairs, keep, strict=True) if kept]
            units = [u for u, kept in zip(units, keep, strict=True) if kept]
            point, reps = unit_means(self.draws, [r for r in runs if r.mask.any()])
        if not pairs:
            return None
        return len(pairs), _Estimate(*over_units(self.draws, point, reps, _folds(units)))

    def _differences(self, fold: int | None = None,
                     ) -> tuple[tuple[Difference, ...], dict[tuple[str, Size], np.ndarray]]:
        """Every strategy against `none` and against `prior` (of one fold when given), with their detectable
        effects; the replicates against `none` feed the crossover."""
        found, reps = [], {}
        for baseline, skip in ((BASELINE, BASELINES), (PRIOR, (PRIOR,))):  # `none` over `prior` shows up once
            for s in self.strategies:
                for k in self.sizes:
                    got = self.paired(s, baseline, k, fold) if s not in skip else None
                    if got is not None:
                        n, est = got
                        found.append(Difference(s, k, n, *est.intervals(), baseline=baseline, **est.detectable()))
                        if baseline == BASELINE:
                            reps[(s, k)] = est.reps
        return tuple(found), reps

    def _crossovers(self, differences: tuple[Difference, ...], reps: dict) -> tuple[Crossover, ...]:
        found = []
        for s in self.strategies:
            mine = [d for d in differences if d.strategy == s and d.baseline == BASELINE]
            if not mine:
                continue
            sizes = [d.k for d in mine]
            for m, metric in enumerate(METRICS):
                lows = [getattr(d, metric).lo for d in mine]
                point = len(sizes)
                while point > 0 and lows[point - 1] <= 0:
                    point -= 1
                replicate = np.stack([np.round(reps[(s, k)][:, m] * 100, 4) for k in sizes], axis=1)
                at_or_below = np.nan_to_num(replicate, nan=1.0) <= 0
                tail = np.flip(np.cumprod(np.flip(at_or_below, axis=1), axis=1), axis=1).sum(axis=1)
                crossing = len(sizes) - tail  # index of the replicate's crossover; len(sizes): never
                lo = int(np.percentile(crossing, 2.5, method="lower"))
                hi = int(np.percentile(crossing, 97.5, method="higher"))
                found.append(Crossover(s, metric, _at(sizes, point), _at(sizes, lo), _at(sizes, hi),
                                       r4(np.mean(crossing == len(sizes)))))
        return tuple(found)

    def _best(self) -> tuple[Best, ...]:
        found = []
        for k in self.sizes:
            here = [s for s in self.strategies if (s, k) in self.estimates]
            for m, metric in enumerate(METRICS):
                ranked = sorted(here, key=lambda s: (-self.estimates[(s, k)].point[m], self.strategies.index(s)))
                best = ranked[0]
                score = self.estimates[(best, k)].intervals()[m]
                excludes = False
                if len(ranked) > 1:
                    got = self.paired(best, ranked[1], k)
                    if got is not None:
                        margin = got[1]
                    else:  # no unit in common: compare the two curves' own replicates
                        a, b = self.estimates[(best, k)], self.estimates[(ranked[1], k)]
                        margin = _Estimate(a.point - b.point, a.reps - b.reps)
                    excludes = margin.intervals()[m].lo > 0
                found.append(Best(k, metric, best, score, excludes))
        return tuple(found)

    def _breakdowns(self) -> tuple[Breakdown, ...]:
        found = []
        for (kind, value), strata in sorted(self._strata().items()):
            run_ids = [r["run_id"] for r in self.rows if r["fold"] in strata]
            point, reps = unit_means(self.draws, [self.scores[x] for x in run_ids], strata)
            # runs that scored at least one example of this kind
            at = {x: i for i, x in enumerate(run_ids) if not np.isnan(point[i, 0])}
            weights = {f: len(pos) for f, pos in strata.items()}  # folds weigh by their questions of this kind
            for s, k, cell in self.ordered_cells():
                mine = [r for r in cell if r["run_id"] in at]
                if not mine:
                    continue
                idx = [at[r["run_id"]] for r in mine]
                em, f1 = _Estimate(*over_units(self.draws, point[idx], reps[:, idx], _folds(mine),
                                               weights)).intervals()
                found.append(Breakdown(kind, value, s, k, self._covered([r["run_id"] for r in mine], strata), em, f1))
        return tuple(found)

    def _covered(self, run_ids: list[str], strata: dict[int, np.ndarray]) -> int:
        """How many distinct examples of the strata these runs scored."""
        seen = {fold: np.zeros(len(pos), dtype=bool) for fold, pos in strata.items()}
        for x in run_ids:
            got = self.scores[x]
            seen[got.fold] |= got.mask[strata[got.fold]]
        return int(sum(s.sum() for s in seen.values()))

    def _strata(self) -> dict[tuple[str, str], dict[int, np.ndarray]]:
        """(kind, value) -> fold -> sorted positions of that fold's examples of this kind."""
        meta: dict[tuple[int, str], dict] = {}
        for row in self.rows:  # run_id order: the first row to carry an example's labels gives them
            for x, got in row["examples"].items():
                meta.setdefault((row["fold"], x), got)
        found: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        for fold, ids in self.layout.universe.items():
            for i, x in enumerate(ids):
                got = meta[(fold, x)]
                labels = {("operator", op) for op in got.get("operators") or ()}
                labels |= {(kind, got.get(kind)) for kind in KINDS[1:]}
                for kind, value in labels:
                    if value:
                        found[(kind, value)][fold].append(i)
        return {key: {f: np.array(p) for f, p in sorted(folds.items())} for key, folds in found.items()}

    def _count_answers(self) -> tuple[CountAnswers, ...]:
        """The executor's final answers on count questions per strategy and size, summed over the point's runs
        (rows without `executor_answers` are left out)."""
        found = []
        for s, k, cell in self.ordered_cells():
            tally: Counter[str] = Counter()
            carried = False
            for row in cell:
                if isinstance(row.get("executor_answers"), dict):
                    carried = True
                    tally.update({str(a): int(n) for a, n in row["executor_answers"].items()})
            total = sum(tally.values())
            if carried and total:
                top = tuple(sorted(tally.items(), key=lambda item: (-item[1], item[0]))[:TOP_ANSWERS])
                found.append(CountAnswers(s, k, total, r4(100 * tally["1"] / total), top))
        return tuple(found)

    def _fits(self) -> dict:
        """How many reader fits trained under early stopping, and which of them the step cap stopped first: a
        point whose fits ran out of steps may be under-trained, so the report names them."""
        # Zero-shot points train nothing; a fit whose validation split was too small to choose anything trains
        # to the rule's cap by design (`budget.min_val_questions`): neither is a fit the cap cut short.
        fits = [(s, k, r) for s, k, cell in self.ordered_cells() for r in cell if not readerless(r)
                and isinstance(r.get("budget"), dict) and r["budget"].get("kind") == "converged"
                and r["budget"].get("stop_reason") != "zero-shot"]
        cut = tuple(CutFit(s, k, r["fold"], r["subset_seed"], r["training_seed"], r["budget"].get("cap"),
                           r["budget"].get("best_step"), str(r["budget"].get("stop_reason")))
                    for s, k, r in fits if r["budget"].get("stop_reason") != "early_stop"
                    and "(rule:" not in str(r["budget"].get("stop_reason")))
        by_rule = sum("(rule:" in str(r["budget"].get("stop_reason")) for *_, r in fits)
        return {"n_fits": len(fits), "cut_fits": cut, "n_by_rule": by_rule,
                "n_reused": sum("reused_fit" in r["budget"] for *_, r in fits)}

    def _correct_answers(self) -> tuple[CorrectAnswers, ...]:
        """Per reading strategy and size: its EM-1 answers, how many of them `prior` (paired on the same fold
        and subset seed) also gets right, and the most frequent of them. Summed over the point's runs."""
        prior = {(r["fold"], r["subset_seed"], r["k"]): r for r in self.rows if readerless(r)}
        found = []
        for s, k, cell in self.ordered_cells():
            if s == PRIOR:
                continue
            n_questions = n_correct = 0
            shared: int | None = None
            answers: Counter[str] = Counter()
            for row in cell:
                right = [x for x, got in row["examples"].items() if got["em"] >= 1]
                n_questions, n_correct = n_questions + len(row["examples"]), n_correct + len(right)
                answers.update(str(row["examples"][x]["prediction"]) for x in right
                               if "prediction" in row["examples"][x])
                baseline = prior.get((row["fold"], row["subset_seed"], k))
                if baseline is not None:
                    theirs = baseline["examples"]
                    shared = (shared or 0) + sum(x in theirs and theirs[x]["em"] >= 1 for x in right)
            top = tuple(sorted(answers.items(), key=lambda item: (-item[1], item[0]))[:TOP_ANSWERS])
            found.append(CorrectAnswers(s, k, n_questions, n_correct, shared, top))
        return tuple(found)


def _at(sizes: list[Size], i: int) -> Size | None:
    return sizes[i] if i < len(sizes) else None


def _compare_sources(gold: _Panel, predicted: _Panel, n_boot: int, seed: int,
                     resample_questions: bool) -> tuple[SourceComparison, ...]:
    """Predicted minus gold decompositions, F1, for each strategy and size run with both."""
    rows = gold.rows + predicted.rows
    layout = _layout(rows)
    scores = layout.scores
    n_units = Counter(_folds({_unit(r) for r in rows}))
    draws = Draws.make(n_units, layout.passages, n_boot, seed, resample_questions)
    found = []
    for s in strategy_order([*gold.strategies, *predicted.strategies]):
        for k in sorted(set(gold.sizes) | set(predicted.sizes), key=size_key):
            cell_g, cell_p = gold.cells.get((s, k)), predicted.cells.get((s, k))
            if not cell_g or not cell_p:
                continue
            pairs = [scores[cell_p[u]["run_id"]].minus(scores[cell_g[u]["run_id"]])
                     for u in sorted(set(cell_g) & set(cell_p))]
            pairs = [p for p in pairs if p.mask.any()]
            if pairs:
                diff = _side(draws, pairs)
            else:
                g = _side(draws, [scores[cell_g[u]["run_id"]] for u in sorted(cell_g)])
                p = _side(Draws.make(n_units, layout.passages, n_boot, seed + 1, resample_questions),
                          [scores[cell_p[u]["run_id"]] for u in sorted(cell_p)])
                diff = _Estimate(p.point - g.point, p.reps - g.reps)
            found.append(SourceComparison(s, k, gold.estimates[(s, k)].intervals()[1],
                                          predicted.estimates[(s, k)].intervals()[1], diff.intervals()[1],
                                          predicted.key[3]))
    return tuple(found)


def _side(draws: Draws, runs: list[Scores]) -> _Estimate:
    """The pooled mean of runs listed in unit order (each run's fold its stratum)."""
    return _Estimate(*over_units(draws, *unit_means(draws, runs), [r.fold for r in runs]))


def _provenance(rows: list[dict], command: str, n_boot: int, seed: int, bootstrap: str) -> Provenance:
    versions: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for package, version in row["versions"].items():
            versions[package].add(version)
    digest = json_digest(rows, default=None)
    return Provenance(
        command=command, curves=tuple(sorted({r["curve"] for r in rows})),
        run_ids=tuple(r["run_id"] for r in rows), git_commits=tuple(sorted({r["git_commit"] for r in rows})),
        config_hashes=tuple(sorted({r["config_hash"] for r in rows})),
        versions={p: " | ".join(sorted(v)) for p, v in sorted(versions.items())},
        hardware=tuple(sorted({r.get("hardware") or "unrecorded" for r in rows})), n_boot=n_boot, seed=seed,
        bootstrap=bootstrap, rows_digest=digest)
