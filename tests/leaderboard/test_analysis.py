"""The leaderboard's numbers on rows whose answer is known by construction."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from decomp.errors import DataError
from decomp.leaderboard.analysis import CROSSOVER_DEFINITION, analyse, reader_series
from decomp.leaderboard.model import Interval
from tests.leaderboard.test_rows import make_row

IDS = [f"q{i:02d}" for i in range(50)]
BASE = {x: float(i >= 25) for i, x in enumerate(IDS)}  # 50%
BETTER = {x: 1.0 if i < 10 else BASE[x] for i, x in enumerate(IDS)}  # the same plus 10 more right: 70%
ZERO = Interval(0.0, 0.0, 0.0)


def curve(plan: dict[str, dict], seeds: int = 3, **fields) -> list[dict]:
    """Rows for strategy -> {k: scores}, one per training seed."""
    return [make_row(f"{fields.get('decompositions', 'gold')}-{s}-{k}-{t}", scores, strategy=s, k=k,
                     training_seed=t, **fields)
            for s, sizes in plan.items() for k, scores in sizes.items() for t in range(seeds)]


def one(items, **match):
    found = [x for x in items if all(getattr(x, key) == value for key, value in match.items())]
    assert len(found) == 1, found
    return found[0]


def test_identical_scores_collapse_the_interval_to_the_mean():
    rows = [make_row(f"r{t}{s}", {x: (0.0, 0.6) for x in IDS}, subset_seed=s, training_seed=t)
            for t in range(3) for s in range(2)]
    point = analyse(rows, command="t").groups[0].points[0]
    assert point.f1 == Interval(60.0, 60.0, 60.0) and point.em == ZERO
    assert (point.n_seeds, point.n_eval, len(point.run_ids)) == (6, 50, 6)


def test_crossover_at_the_first_size_from_which_the_strategies_are_equal():
    sizes = [10, 50, 100, 500, "all"]
    rows = curve({"none": dict.fromkeys(sizes, BASE),
                  "explicit": {k: BETTER if k in (10, 50) else BASE for k in sizes}})
    group = analyse(rows, command="t").groups[0]
    small = one(group.differences, strategy="explicit", k=10)
    assert small.n_pairs == 3 and small.f1.mean == 20.0 and small.f1.lo > 0
    assert one(group.differences, k=100).f1 == ZERO and one(group.differences, k="all").em == ZERO
    for metric in ("em", "f1"):
        got = one(group.crossovers, strategy="explicit", metric=metric)
        assert (got.k, got.lo, got.hi, got.never_share) == (100, 100, 100, 0.0)


def test_a_difference_that_stays_large_has_no_crossover():
    rows = curve({"none": dict.fromkeys([10, 100], BASE), "explicit": dict.fromkeys([10, 100], BETTER)})
    got = one(analyse(rows, command="t").groups[0].crossovers, metric="f1")
    assert (got.k, got.lo, got.hi, got.never_share) == (None, None, None, 1.0)


def test_a_difference_that_returns_at_the_largest_size_has_no_crossover():
    rows = curve({"none": dict.fromkeys([10, 50, 100], BASE), "explicit": {10: BETTER, 50: BASE, 100: BETTER}})
    got = one(analyse(rows, command="t").groups[0].crossovers, metric="em")
    assert got.k is None and got.never_share == 1.0


def test_crossover_interval_spans_the_sizes_where_replicates_disagree():
    # at k=50 the strategy gets one more example right: +2 points, but a replicate that does not draw that
    # example (probability (49/50)^49, about 0.37: each replicate draws 49 of the 50) sees no difference there;
    # one that draws it 3 times sees 3/49
    one_more = {x: 1.0 if x == "q00" else BASE[x] for x in IDS}
    rows = curve({"none": dict.fromkeys([10, 50, 100], BASE), "explicit": {10: BETTER, 50: one_more, 100: BASE}})
    group = analyse(rows, command="t", n_boot=2000).groups[0]
    assert one(group.differences, k=50).f1 == Interval(2.0, 0.0, round(300 / 49, 4))
    got = one(group.crossovers, metric="f1")
    assert (got.k, got.lo, got.hi, got.never_share) == (50, 50, 100, 0.0)


def test_examples_pair_by_id_not_by_position():
    reordered = dict(reversed(list(BASE.items())))
    assert list(reordered) != list(BASE) and reordered == BASE
    rows = curve({"none": {10: BASE}, "explicit": {10: reordered}})
    group = analyse(rows, command="t").groups[0]
    assert one(group.differences, k=10).f1 == ZERO
    assert one(group.points, strategy="none").f1 == one(group.points, strategy="explicit").f1


def test_best_strategy_and_whether_it_clearly_beats_the_runner_up():
    rows = curve({"none": {10: BASE, 100: BASE}, "explicit": {10: BETTER, 100: BASE}})
    best = analyse(rows, command="t").groups[0].best
    small = one(best, k=10, metric="f1")
    assert small.strategy == "explicit" and small.score.mean == 70.0 and small.margin_ci_excludes_zero
    tie = one(best, k=100, metric="em")
    assert tie.strategy == "none" and not tie.margin_ci_excludes_zero  # a tie goes to the first strategy
    alone = analyse(curve({"explicit": {10: BETTER}}), command="t").groups[0].best
    assert [(b.strategy, b.margin_ci_excludes_zero) for b in alone] == [("explicit", False)] * 2


def test_breakdowns_by_operator_answer_type_and_question_type():
    meta = {x: {"operators": ["select", "filter", "select"], "answer_type": "number", "question_type": "bridge"}
            if i < 25 else {"operators": ["select", "aggregate"], "answer_type": "", "question_type": "bridge"}
            for i, x in enumerate(IDS)}
    group = analyse(curve({"none": {10: BASE}}, meta=meta), command="t").groups[0]
    got = {(b.kind, b.value): (b.n_examples, b.f1) for b in group.breakdowns}
    assert got[("operator", "filter")] == (25, ZERO)
    assert got[("operator", "aggregate")] == (25, Interval(100.0, 100.0, 100.0))
    assert got[("operator", "select")][0] == 50 and got[("operator", "select")][1].mean == 50.0
    assert got[("answer_type", "number")] == (25, ZERO)
    assert got[("question_type", "bridge")][0] == 50
    assert set(got) == {("operator", "filter"), ("operator", "aggregate"), ("operator", "select"),
                        ("answer_type", "number"), ("question_type", "bridge")}  # empty labels skipped


def test_gold_and_predicted_decompositions_side_by_side():
    worse = {x: 0.0 if x in IDS[25:30] else BASE[x] for x in IDS}  # 5 fewer right: -10 points
    gold = curve({"none": {10: BASE}, "explicit": {10: BASE}})
    paired = curve({"explicit": {10: worse}}, decompositions="predicted")
    board = analyse(gold + paired, command="t")
    assert [g.decompositions for g in board.groups] == ["gold", "predicted"]
    (dataset, reader, found), = board.source_comparisons
    assert (dataset, reader, len(found)) == ("drop", "extractive", 1)
    assert found[0].strategy == "explicit" and found[0].gold == one(board.groups[0].points, strategy="explicit").f1
    assert found[0].predicted.mean == 40.0 and found[0].difference.mean == -10.0 and found[0].difference.hi < 0
    other_seeds = [dict(r, training_seed=r["training_seed"] + 10) for r in paired]
    unpaired = analyse(gold + other_seeds, command="t").source_comparisons[0][2][0]
    assert unpaired.difference.mean == -10.0 and unpaired.difference.lo < unpaired.difference.hi


def test_two_decomposers_are_two_panels_each_compared_with_gold():
    worse = {x: 0.0 if x in IDS[25:30] else BASE[x] for x in IDS}  # -10 points
    gold = curve({"none": {10: BASE}, "explicit": {10: BASE}})
    rules = [dict(r, run_id=f"rules-{r['run_id']}", predicted_file="/x/drop-rules.jsonl")
             for r in curve({"explicit": {10: worse}}, decompositions="predicted")]
    learned = [dict(r, run_id=f"minilm-{r['run_id']}", predicted_file="/y/drop-minilm.jsonl")
               for r in curve({"explicit": {10: BETTER}}, decompositions="predicted")]
    board = analyse(gold + rules + learned, command="t")
    assert [g.decompositions for g in board.groups] == [
        "gold", "predicted (drop-minilm.jsonl)", "predicted (drop-rules.jsonl)"]
    (_, _, found), = board.source_comparisons
    by_source = {c.source: c.difference.mean for c in found}
    assert by_source["predicted (drop-rules.jsonl)"] == -10.0
    assert by_source["predicted (drop-minilm.jsonl)"] == 20.0


def test_same_rows_give_the_same_leaderboard_in_any_order():
    rows = curve({"none": dict.fromkeys([10, 50], BASE), "explicit": {10: BETTER, 50: BASE}})
    first = analyse(rows, command="t")
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    assert shuffled != rows
    assert analyse(shuffled, command="t") == first
    assert json.dumps(first.to_dict()) == json.dumps(analyse(rows, command="t").to_dict())
    assert analyse(rows, command="t", seed=1) != first  # the seed is a real input


def test_groups_strategies_and_sizes_are_ordered():
    rows = curve({"zeta": {"all": BASE, 5: BASE}, "none": {100: BASE}, "explicit": {5: BASE}}, seeds=1)
    rows += curve({"none": {5: BASE}}, seeds=1, dataset="hotpotqa")
    groups = analyse(rows, command="t").groups
    assert [g.dataset for g in groups] == ["drop", "hotpotqa"]
    assert groups[0].strategies == ("none", "explicit", "zeta") and groups[0].sizes == (5, 100, "all")
    assert [(p.strategy, p.k) for p in groups[0].points] == [("none", 100), ("explicit", 5), ("zeta", 5),
                                                             ("zeta", "all")]


def test_training_size_is_the_mean_recorded_one():
    rows = [make_row("a", BASE, k="all", n_train=900), make_row("b", BASE, k="all", training_seed=1, n_train=1000),
            make_row("c", BASE, k=20)]
    points = analyse(rows, command="t").groups[0].points
    assert [(p.k, p.n_train) for p in points] == [(20, 20.0), ("all", 950.0)]


def test_provenance_records_what_produced_the_report():
    rows = curve({"none": {10: BASE}}, seeds=2)
    rows[0]["versions"] = {"numpy": "2.0", "torch": "2.3"}
    del rows[1]["hardware"]
    prov = analyse(rows, command="decomp leaderboard --runs r", n_boot=50, seed=4).provenance
    assert prov.command == "decomp leaderboard --runs r" and (prov.n_boot, prov.seed) == (50, 4)
    assert prov.versions == {"numpy": "1.26 | 2.0", "torch": "2.3"}
    assert prov.hardware == ("cpu x86_64, 2 cores", "unrecorded")
    assert prov.run_ids == ("gold-none-10-0", "gold-none-10-1") and prov.curves == ("test-curve",)
    ordered = sorted(rows, key=lambda r: r["run_id"])
    assert prov.rows_digest == hashlib.sha256(json.dumps(ordered, sort_keys=True).encode()).hexdigest()


def test_two_rows_for_the_same_unit_are_an_error():
    rows = curve({"none": {10: BASE}}, seeds=1) + [make_row("again", BASE, k=10)]
    with pytest.raises(DataError, match="'again' and 'gold-none-10-0' both measure"):
        analyse(rows, command="t")
    with pytest.raises(DataError, match="appears twice"):
        analyse(rows[:1] * 2, command="t")
    with pytest.raises(DataError, match="no result rows"):
        analyse([], command="t")


def test_the_report_states_the_crossover_rule_it_applies():
    """The rule printed in the report is the one the numbers follow: a strategy equal to `none` from k=50 on
    crosses at 50, and the printed rule says so (smallest size from which the lower bound stays at or below 0)."""
    from decomp.leaderboard.markup import render_markdown

    rows = curve({"none": dict.fromkeys([10, 50, 100], BASE), "explicit": {10: BETTER, 50: BASE, 100: BASE}})
    board = analyse(rows, command="t")
    assert one(board.groups[0].crossovers, metric="em").k == 50
    assert render_markdown(board).count(CROSSOVER_DEFINITION) == 1
    assert "smallest size from which the 95% interval of the paired difference" in CROSSOVER_DEFINITION


def test_prior_joins_every_reader_panel_with_gains_over_none_and_over_prior():
    meta = {x: {"operators": ["select", "aggregate"] if i % 2 else ["select"]} for i, x in enumerate(IDS)}
    prior_scores = {x: 1.0 if i >= 40 else 0.0 for i, x in enumerate(IDS)}  # 20%
    rows = curve({"none": {10: BASE}, "explicit": {10: BETTER}}, meta=meta, budget={"kind": "converged"})
    rows += [dict(r, run_id=f"gen-{r['run_id']}", reader="generative") for r in curve({"none": {10: BASE}}, meta=meta)]
    rows += curve({"prior": {10: prior_scores}}, meta=meta, reader="none", learner="none")
    groups = analyse(rows, command="t").groups
    assert [g.reader for g in groups] == ["extractive", "generative"]  # no panel of its own for `prior`
    extractive = groups[0]
    assert extractive.strategies == ("none", "prior", "explicit")
    got = {(d.strategy, d.baseline): d.em.mean for d in extractive.differences}
    assert got == {("explicit", "none"): 20.0, ("none", "prior"): 30.0, ("explicit", "prior"): 50.0}
    assert {d.strategy for d in extractive.crossovers} == {"explicit"}  # the crossover is against `none` only
    assert one(groups[1].differences, strategy="none", baseline="prior").em.mean == 30.0
    assert {b.strategy for b in extractive.breakdowns if (b.kind, b.value) == ("operator", "aggregate")} == {
        "none", "prior", "explicit"}


def test_share_of_one_among_the_executors_answers_on_count_questions():
    rows = curve({"explicit": {10: BASE}, "none": {10: BASE}})
    for row, answers in zip([r for r in rows if r["strategy"] == "explicit"],
                            ({"1": 6, "2": 2}, {"1": 1, "3": 1}, {"2": 2}), strict=True):
        row["executor_answers"] = answers
    (got,) = analyse(rows, command="t").groups[0].count_answers
    assert (got.strategy, got.k, got.n_answers, got.share_one) == ("explicit", 10, 12, 58.3333)
    assert got.top == (("1", 7), ("2", 4), ("3", 1))


def test_right_answers_are_set_against_prior_on_the_same_cell_and_counted_by_answer():
    rows = curve({"explicit": {10: BASE}, "prior": {10: BETTER}}, seeds=1)
    for row in rows:
        for i, x in enumerate(IDS):
            row["examples"][x]["prediction"] = "1" if i % 2 else f"span {i}"
    mine = next(r for r in rows if r["strategy"] == "explicit")
    unpaired = dict(mine, run_id="other-subset", subset_seed=1)
    (got,) = analyse(rows + [unpaired], command="t").groups[0].correct_answers
    right = [i for i, x in enumerate(IDS) if BASE[x] == 1]  # 25..49, all also right for prior (BETTER keeps them)
    assert (got.strategy, got.k, got.n_questions, got.n_correct) == ("explicit", 10, 100, 2 * len(right))
    assert got.n_prior_too == len(right)  # the subset-1 run has no prior run to pair with
    odd = sum(i % 2 for i in right)
    assert got.top[0] == ("1", 2 * odd) and len(got.top) == 3
    alone = [r for r in rows if r["strategy"] != "prior"]
    (without,) = analyse(alone, command="t").groups[0].correct_answers
    assert without.n_prior_too is None and without.n_correct == len(right)


def test_budget_context_and_learner_name_the_panel():
    fixed = curve({"none": {10: BASE}}, budget={"kind": "fixed", "max_steps": 16}, context="gold",
                  dataset="hotpotqa")
    converged = [dict(r, run_id=f"c-{r['run_id']}", budget={"kind": "converged"}) for r in fixed]
    titles = [g.title for g in analyse(fixed + converged, command="t").groups]
    assert titles == ["hotpotqa (gold context) / extractive reader / gold decompositions",
                      "hotpotqa (gold context) / extractive reader / gold decompositions, fixed budget"]
    # Gold paragraphs plus distractors is another context: its own panel, named with the count.
    plus = [dict(r, run_id=f"d-{r['run_id']}", n_distractors=2) for r in converged]
    titles = [g.title for g in analyse(converged + plus, command="t").groups]
    assert sorted(titles) == ["hotpotqa (gold + 2 distractors context) / extractive reader / gold decompositions",
                              "hotpotqa (gold context) / extractive reader / gold decompositions"]
    tuned = curve({"none": {0: BASE, 10: BASE}}, reader="causal", learner="finetune")
    shown = [dict(r, run_id=f"icl-{r['run_id']}", learner="in-context", n_demonstrations=r["k"] // 2) for r in tuned]
    groups = analyse(tuned + shown, command="t").groups
    assert [g.reader for g in groups] == ["causal", "causal in-context"]
    assert [(p.k, p.n_demonstrations) for p in groups[1].points] == [(0, 0.0), (10, 5.0)]
    assert [p.k for p in groups[0].points] == [0, 10] and groups[0].points[0].n_demonstrations is None


def test_fits_the_step_cap_stopped_before_patience_ran_out_are_named():
    def budget(reason: str, best: int) -> dict:
        return {"kind": "converged", "cap": 400, "patience": 3, "stop_reason": reason, "best_step": best}

    rows = curve({"none": {10: BASE, 20: BASE}, "prior": {10: BASE, 20: BASE}}, seeds=2)
    for row in rows:
        if row["strategy"] == "prior":
            row["budget"] = {"kind": "converged", "stop_reason": "zero-shot"}  # reads nothing: not a fit
        else:
            late = row["k"] == 20 and row["training_seed"] == 1
            row["budget"] = budget("max_steps" if late else "early_stop", 360 if late else 120)
    (group,) = analyse(rows, command="t").groups
    assert group.n_fits == 4 and group.n_reused == 0
    (cut,) = group.cut_fits
    assert (cut.strategy, cut.k, cut.training_seed, cut.cap, cut.best_step, cut.stop_reason) == (
        "none", 20, 1, 400, 360, "max_steps")
    for row in rows:
        if row["strategy"] == "none" and row["k"] == 10:
            row["budget"]["reused_fit"] = {"key": "abc", "trained_by": "other-curve/run"}
    assert analyse(rows, command="t").groups[0].n_reused == 2
    fixed = [dict(r, budget={"kind": "fixed", "stop_reason": "max_steps"}) for r in rows]
    assert analyse(fixed, command="t").groups[0].n_fits == 0  # a fixed budget claims no convergence
    # A reader's zero-shot point trains nothing, and a fit trained to the rule (its validation split too small
    # to choose) is not one the cap cut short.
    zero = [dict(r, k=0, run_id=f"z-{r['run_id']}", budget={"kind": "converged", "stop_reason": "zero-shot"})
            for r in rows if r["strategy"] == "none" and r["k"] == 10]
    ruled = [dict(r, budget=budget("min_steps (rule: a validation split of 3 < 50 questions chooses nothing)",
                                   None)) if r["strategy"] == "none" and r["k"] == 10 else r for r in rows]
    group = analyse(ruled + zero, command="t").groups[0]
    assert group.n_fits == 4 and [c.k for c in group.cut_fits] == [20] and group.n_by_rule == 2


def _two_folds(lagging: bool = False) -> list[dict]:
    """Fold 0: 20 questions, `none` 50% and `explicit-hybrid` 70% right; fold 1: 60 questions, both 20%. Two
    subset seeds per fold (fold 1 only seed 0 when `lagging`); `n_folds` 5 as the gold protocol."""
    rows = []
    plan = ((0, 20, {"none": 0.5, "explicit-hybrid": 0.7}), (1, 60, {"none": 0.2, "explicit-hybrid": 0.2}))
    for fold, n, rates in plan:
        ids = [f"f{fold}q{i:02d}" for i in range(n)]
        meta = {x: {"passage": f"f{fold}p{i // 4}"} for i, x in enumerate(ids)}
        for s, rate in rates.items():
            for seed in range(1 if lagging and fold == 1 else 2):
                scores = {x: float((i + 3 * seed) % 10 < 10 * rate) for i, x in enumerate(ids)}
                rows.append(make_row(f"{s}-{fold}-{seed}", scores, strategy=s, k=16, fold=fold, subset_seed=seed,
                                     meta=meta, n_folds=5))
    return rows


def test_folds_pool_as_strata_weighted_by_questions_and_keep_their_own_tables():
    group = analyse(_two_folds(), command="t", n_boot=300).groups[0]
    assert (group.folds, group.n_folds) == ((0, 1), 5)
    none, hybrid = one(group.points, strategy="none"), one(group.points, strategy="explicit-hybrid")
    # questions weigh alike across folds: (20 x 50 + 60 x 20) / 80, not the mean of the folds' 50 and 20
    assert (none.em.mean, hybrid.em.mean, none.n_seeds) == (27.5, 32.5, 4)
    # the point rests on both folds' questions and passages (4 questions a passage), not on one fold's
    assert (none.n_eval, none.n_passages) == (80, 20)
    assert (one(group.fold_tables[0].points, strategy="none").n_eval, group.fold_tables[0].fold) == (20, 0)
    diff = one(group.differences, strategy="explicit-hybrid", baseline="none")
    assert diff.em.mean == 5.0 and 0 <= diff.em.lo < 5.0 < diff.em.hi and diff.mde_em > 0  # never below: paired
    tables = {t.fold: t for t in group.fold_tables}
    assert set(tables) == {0, 1}
    assert one(tables[0].points, strategy="none").em.mean == 50.0
    assert one(tables[1].points, strategy="explicit-hybrid").n_seeds == 2
    assert one(tables[0].differences, strategy="explicit-hybrid").em.mean == 20.0
    # fold 1's strategies answer alike on every question: no difference, and none it could miss
    assert one(tables[1].differences, strategy="explicit-hybrid").em == ZERO
    assert one(tables[1].differences, strategy="explicit-hybrid").mde_em == 0.0
    # fold 1 adds 60 questions without a difference: the pooled difference is a quarter of fold 0's, its MDE too
    fold0 = one(tables[0].differences, strategy="explicit-hybrid")
    assert diff.mde_em == pytest.approx(fold0.mde_em / 4, rel=0.25)


def test_a_one_fold_panel_has_no_separate_fold_table_and_its_figures_are_the_folds():
    rows = [r for r in _two_folds() if r["fold"] == 0]
    group = analyse(rows, command="t", n_boot=300).groups[0]
    assert group.fold_tables == () and group.folds == (0,)
    pooled = analyse(_two_folds(), command="t", n_boot=300).groups[0]
    own = {t.fold: t for t in pooled.fold_tables}[0]
    assert [p.em.mean for p in own.points] == [p.em.mean for p in group.points]


def test_a_fold_that_lags_behind_is_named_as_missing():
    from decomp.leaderboard.blocks import missing_cells

    group = analyse(_two_folds(lagging=True), command="t", n_boot=100).groups[0]
    assert missing_cells(group) == ["none@16 (fold 1, subset seed 1)", "explicit-hybrid@16 (fold 1, subset seed 1)"]


def test_an_adapted_starting_point_is_a_panel_of_its_own_with_its_own_prior_rows():
    plain = curve({"none": {10: BASE}}, curve="drop-cpu")
    plain += curve({"prior": {10: BASE}}, reader="none", learner="none", curve="drop-cpu")
    init = {"adapted": "minilm-qa", "hash": "abc", "steps": 9}
    adapted = [dict(r, run_id=f"a-{r['run_id']}", curve="drop-cpu-adapted",
                    reader_args={**r.get("reader_args", {}), "init": init})
               for r in curve({"none": {10: BETTER}, "prior": {10: BASE}})]
    adapted = [dict(r, reader_args={}) if r["strategy"] == "prior" else r for r in adapted]
    for r in adapted:
        if r["strategy"] == "prior":
            r.update(reader="none", learner="none")
    groups = analyse(plain + adapted, command="t").groups
    assert [g.reader for g in groups] == ["extractive", "extractive QA-adapted (minilm-qa)"]
    frozen = adapted[0]
    frozen = {**frozen, "reader_args": {**frozen["reader_args"], "frozen_layers": 3}}
    assert frozen["strategy"] == "none" and reader_series(frozen) == "extractive QA-adapted (minilm-qa) 3 layers frozen"
    for g in groups:  # each panel's prior is its own curve's 3 seeds, not both curves' 6
        prior = one(g.points, strategy="prior")
        assert prior.n_seeds == 3, prior
    assert one(groups[1].differences, strategy="none", baseline="prior").em.mean == 20.0


def test_the_report_says_how_each_strategy_s_steps_were_supervised():
    from decomp.leaderboard.render import render_markdown

    rows = curve({"none": {10: BASE}}) + [dict(r, supervision="oracle") for r in curve({"explicit": {10: BETTER}})]
    (group,) = analyse(rows, command="t").groups
    assert group.supervision == (("explicit", "oracle"),)
    markdown = render_markdown(analyse(rows, command="t"))
    assert "Step supervision: `explicit` is trained on the gold answer of every step (an oracle" in markdown
    final = [dict(r, supervision="final") if r["strategy"] == "explicit" else r for r in rows]
    assert "`explicit` is trained on final answers only" in render_markdown(analyse(final, command="t"))
