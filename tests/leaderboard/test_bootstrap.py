"""The bootstrap's draws and intervals, checked against a direct computation, against known bounds and for
calibration on simulated studies whose questions share passages."""

from __future__ import annotations

import numpy as np
import pytest

from decomp.leaderboard.analysis import analyse
from decomp.leaderboard.bootstrap import MDE_Z, Draws, Scores, detectable, interval, over_units, unit_means
from tests.leaderboard.test_rows import make_row


def test_example_counts_resample_each_stratum_among_itself():
    """Each question its own passage: a replicate draws P - 1 of P (Rao & Wu), the two-stage bootstrap P."""
    for resample_questions, less in ((False, 1), (True, 0)):
        draws = Draws.make(3, {0: np.arange(10)}, n_boot=50, seed=1, resample_questions=resample_questions)
        whole = draws.example_counts(0, np.arange(10))
        assert whole.shape == (50, 10) and (whole.sum(axis=1) == 10 - less).all()
        stratum = draws.example_counts(0, np.array([2, 5, 7]))
        assert stratum.shape == (50, 3) and (stratum.sum(axis=1) == 3 - less).all()
        assert whole.std() > 0  # a real resample, not the identity
        assert (draws.example_counts(0, np.array([4])) == 1).all()  # one passage: nothing to draw but itself


def test_resampling_passages_only_brings_each_drawn_passage_whole():
    """The default: P - 1 passages drawn from the documented uniforms, every question of a drawn passage counted
    once per draw of its passage; the two-stage resample draws the same first slots, then questions."""
    passages = np.array([0, 0, 0, 1, 2, 2, 3, 3, 3, 3])
    one = Draws.make(3, {0: passages}, n_boot=200, seed=4)  # the default
    two = Draws.make(3, {0: passages}, n_boot=200, seed=4, resample_questions=True).example_counts(0, np.arange(10))
    slots = (one.passage_u[0][:, :3] * 4).astype(int)  # 3 of the 4 passages
    expected = np.stack([(slots == p).sum(axis=1) for p in range(4)], axis=1)  # (B, 4): draws of each passage
    counts = one.example_counts(0, np.arange(10))
    for p in range(4):
        members = counts[:, passages == p]
        assert (members == expected[:, p:p + 1]).all()  # all its questions, as often as it was drawn
    assert len(set(counts.sum(axis=1))) > 1  # 3 passages of 1 to 4 questions: sizes vary, the passage is the unit
    assert not (two[:, passages == 3] == two[:, passages == 3][:, :1]).all()  # the two-stage one does resample


def test_the_same_units_get_the_same_resample():
    draws = Draws.make(5, {0: np.arange(4)}, n_boot=30, seed=2)
    a, b = draws.unit_indices([0] * 5), draws.unit_indices([0] * 5)
    assert np.array_equal(a, b) and a.min() >= 0 and a.max() <= 4
    assert draws.unit_indices([0] * 2).max() <= 1


def test_units_are_resampled_within_their_fold():
    """Folds are strata: a replicate keeps each fold's number of units, drawn from that fold's own block of
    uniforms; one fold given as a count or as {fold: count} draws the same."""
    draws = Draws.make({0: 3, 2: 2}, {0: np.arange(4), 2: np.arange(3)}, n_boot=400, seed=3)
    folds = [0, 0, 0, 2, 2]
    idx = draws.unit_indices(folds)
    assert set(np.unique(idx[:, :3])) == {0, 1, 2} and set(np.unique(idx[:, 3:])) == {3, 4}
    assert np.array_equal(idx[:, 3:], 3 + (draws.unit_u[:, 3:5] * 2).astype(int))  # fold 2's block: columns 3-4
    assert np.array_equal(draws.unit_indices([2, 2]), idx[:, 3:] - 3)  # a cell of fold 2 alone: the same draws
    alone = Draws.make({0: 3}, {0: np.arange(4)}, n_boot=50, seed=3)
    count = Draws.make(3, {0: np.arange(4)}, n_boot=50, seed=3)
    assert np.array_equal(alone.unit_indices([0] * 3), count.unit_indices([0] * 3))
    assert np.array_equal(alone.example_counts(0, np.arange(4)), count.example_counts(0, np.arange(4)))


def test_folds_pool_weighted_by_their_questions():
    """Fold 0 (4 questions, all right) and fold 1 (12 questions, none right): the pooled mean is 4/16 in every
    replicate, since each fold keeps its weight; the unstratified mean of unit means would say 1/2."""
    draws = Draws.make({0: 2, 1: 2}, {0: np.arange(4), 1: np.arange(12)}, n_boot=200, seed=0)
    runs = [Scores(0, np.ones((2, 4)), np.ones(4, dtype=bool))] * 2 + [Scores(1, np.zeros((2, 12)),
                                                                            np.ones(12, dtype=bool))] * 2
    point, reps = unit_means(draws, runs)
    mean, rep = over_units(draws, point, reps, [r.fold for r in runs])
    assert mean.tolist() == [0.25, 0.25] and np.allclose(rep, 0.25)
    assert over_units(draws, point, reps, [r.fold for r in runs], weights={0: 1, 1: 1})[0].tolist() == [0.5, 0.5]


def test_the_detectable_effect_is_2_8_standard_errors():
    reps = np.random.default_rng(0).normal(0.02, 0.01, 5000)
    assert MDE_Z == pytest.approx(1.959964 + 0.841621, abs=1e-5)
    assert detectable(reps) == pytest.approx(2.8016 * reps.std(ddof=1) * 100, abs=1e-4)
    assert detectable(np.append(reps, np.nan)) == detectable(reps)  # NaN replicates left out, as in `interval`
    assert detectable(np.array([0.1])) == 0.0


def test_matches_a_direct_computation_of_the_documented_resampling():
    """Three seeds x 20 examples: the vectorised bootstrap equals a plain loop over the same draws."""
    rng = np.random.default_rng(11)
    n_boot, n_seeds, n_ex, seed = 200, 3, 20, 7
    scores = rng.random((n_seeds, n_ex))
    ids = [f"q{i:02d}" for i in range(n_ex)]
    rows = [make_row(f"r{t}", dict(zip(ids, map(float, scores[t]), strict=True)), training_seed=t)
            for t in range(n_seeds)]
    point = analyse(rows, command="test", n_boot=n_boot, seed=seed).groups[0].points[0]

    draw = np.random.default_rng(seed)
    unit_u, example_u = draw.random((n_boot, n_seeds)), draw.random((n_boot, n_ex))
    reps = []
    for b in range(n_boot):
        units = (unit_u[b] * n_seeds).astype(int)
        examples = (example_u[b, :n_ex - 1] * n_ex).astype(int)  # n - 1 of n (Rao & Wu)
        reps.append(np.mean([scores[u][examples].mean() for u in units]))
    lo, hi = np.percentile(reps, [2.5, 97.5]) * 100
    assert point.f1.mean == pytest.approx(scores.mean() * 100, abs=1e-4)
    assert point.f1.lo == pytest.approx(lo, abs=1e-4) and point.f1.hi == pytest.approx(hi, abs=1e-4)
    assert point.f1.lo < point.f1.mean < point.f1.hi


def _binary_width(n: int) -> tuple[float, float, float]:
    scores = {f"q{i:03d}": float(i % 2) for i in range(n)}  # half right
    f1 = analyse([make_row("r1", scores)], command="t", n_boot=2000).groups[0].points[0].f1
    return f1.lo, f1.hi, f1.hi - f1.lo


def test_binary_scores_stay_in_range_and_shrink_like_one_over_root_n():
    lo, hi, small = _binary_width(20)
    assert 0 <= lo < 50 < hi <= 100
    *_, large = _binary_width(320)
    # the percentile interval of a proportion p = 0.5 is about 2 * 1.96 * sqrt(p (1 - p) / n)
    assert small == pytest.approx(196 / np.sqrt(20), rel=0.2)
    assert large == pytest.approx(196 / np.sqrt(320), rel=0.2)


def test_runs_with_missing_examples_average_over_what_they_scored():
    draws = Draws.make(2, {0: np.arange(4)}, n_boot=100, seed=0)
    full = Scores(0, np.array([[1, 0, 1, 0], [1, 0, 1, 0]], dtype=float), np.ones(4, dtype=bool))
    part = Scores(0, np.array([[1, 0, 0, 0], [1, 0, 0, 0]], dtype=float), np.array([True, True, False, False]))
    point, reps = unit_means(draws, [full, part])
    assert point[:, 0].tolist() == [0.5, 0.5]
    mean, rep = over_units(draws, point, reps)
    assert mean.tolist() == [0.5, 0.5] and not np.isnan(rep).all()
    assert np.nanmin(rep) >= 0 and np.nanmax(rep) <= 1


def test_interval_rounds_and_drops_negative_zero():
    got = interval(-1e-9, np.array([-1e-9, 0.1234567, np.nan]))
    assert got.mean == 0.0 and str(got.mean) == "0.0" and (got.lo, got.hi) == (0.3086, 12.037)


def test_passages_are_resampled_whole_then_questions_within_them():
    """Two passages of 3 and 1 questions: each replicate draws 2 passages, then each drawn passage's own
    questions (as many as it has), exactly as the documented draws say."""
    passages = np.array([0, 0, 1, 0])  # positions 0, 1, 3 share passage 0
    draws = Draws.make(1, {0: passages}, n_boot=300, seed=5, resample_questions=True)
    counts = draws.example_counts(0, np.arange(4))
    rng = np.random.default_rng(5)
    rng.random((300, 1))
    passage_u, question_u = rng.random((300, 2)), rng.random((300, 2, 3))
    members = {0: [0, 1, 3], 1: [2]}
    for b in range(300):
        expected = np.zeros(4, dtype=int)
        for j in range(2):
            p = int(passage_u[b, j] * 2)
            for t in range(len(members[p])):
                expected[members[p][int(question_u[b, j, t] * len(members[p]))]] += 1
        assert counts[b].tolist() == expected.tolist()
    # a replicate holds 2, 4 or 6 questions, never mixing a passage's share: the passage is the unit
    assert set(counts.sum(axis=1).tolist()) == {2, 4, 6}
    # a stratum (positions 1 and 2: one question of each passage) resamples its passages among themselves
    assert (draws.example_counts(0, np.array([1, 2])).sum(axis=1) == 2).all()


def test_rows_without_passages_fall_back_to_one_passage_per_question_and_the_report_says_so():
    ids = [f"q{i:02d}" for i in range(12)]
    scores = {x: float(i % 2) for i, x in enumerate(ids)}
    old = analyse([make_row("old", scores)], command="t").groups[0]
    assert not old.passages_recorded and old.points[0].n_passages == 12
    meta = {x: {"passage": f"p{i // 4}"} for i, x in enumerate(ids)}
    new = analyse([make_row("new", scores, meta=meta)], command="t").groups[0]
    assert new.passages_recorded and (new.points[0].n_eval, new.points[0].n_passages) == (12, 3)


def test_passage_correlated_scores_widen_the_interval():
    """Whole passages right or wrong: the interval over passages is wider than one over independent questions."""
    ids = [f"q{i:02d}" for i in range(40)]
    scores = {x: float((i // 8) % 2) for i, x in enumerate(ids)}  # 5 passages of 8, alternately right/wrong
    meta = {x: {"passage": f"p{i // 8}"} for i, x in enumerate(ids)}
    by_passage = analyse([make_row("r", scores, meta=meta)], command="t").groups[0].points[0].em
    by_question = analyse([make_row("r", scores)], command="t").groups[0].points[0].em
    assert by_passage.mean == by_question.mean == 40.0
    assert by_passage.hi - by_passage.lo > 1.5 * (by_question.hi - by_question.lo)


def test_the_difference_interval_covers_a_true_zero_95_percent_of_the_time():
    """Calibration: 300 simulated studies with passage-correlated scores and a true difference of 0
    (benchmarks/bootstrap_coverage.py; it also prints the old example-level bootstrap's coverage). Both
    passage-level bootstraps; `passages` is the report's."""
    from benchmarks.bootstrap_coverage import Setting, coverage

    got = coverage(300, 400, seed=0, setting=Setting(passages=24, questions=(2, 9)),
                   methods=("passages", "passages-questions"))
    assert 0.92 <= got["coverage_passages_bootstrap"] <= 0.98, got
    assert 0.92 <= got["coverage_passages_questions_bootstrap"] <= 0.98, got


@pytest.mark.parametrize("bootstrap", ["passages", "passages-questions"])
def test_the_stated_detectable_effect_is_detected_80_percent_of_the_time(bootstrap):
    """Power calibration: 200 simulated studies of two folds (strata), 12 passages and 2 seeds each, with a true
    difference equal to the MDE the design states: the interval excludes 0 in about 80% of them (binomial sd
    2.8 points), and in about 5% with a true difference of 0 (benchmarks/bootstrap_coverage.py, `power`)."""
    from benchmarks.bootstrap_coverage import Setting, power

    got = power(200, 400, seed=0, setting=Setting(folds=2, passages=12, questions=(2, 9), seeds=2),
                bootstrap=bootstrap)
    assert got["bootstrap"] == bootstrap
    assert 0.70 <= got["detected_at_mde"] <= 0.90, got
    assert 0.0 < got["detected_at_0"] <= 0.10, got
    # the MDE a study states does not depend much on the effect it holds: the design has one MDE
    assert got["mde_stated_at_effect"] == pytest.approx(got["mde"], rel=0.1), got


def test_the_coverage_benchmark_prints_every_coverage_and_writes_them(tmp_path, capsys):
    import json

    from benchmarks.bootstrap_coverage import main

    got = main(["--studies", "4", "--n-boot", "100", "--out", str(tmp_path / "cov.json")])
    printed = capsys.readouterr().out
    assert "`passages`" in printed and "`passages-questions`" in printed and "old example-level" in printed
    assert "minimum detectable effect" in printed and 0 <= got["power"]["detected_at_mde"] <= 1
    written = json.loads((tmp_path / "cov.json").read_text())
    assert written == json.loads(json.dumps(got)) and 0 <= written["coverage_example_bootstrap"] <= 1
    assert 0 <= written["coverage_passages_bootstrap"] <= 1 and 0 <= written["coverage_passages_questions_bootstrap"]
    assert written["command"] == "python -m benchmarks.bootstrap_coverage --studies 4 --n-boot 100 --seed 0"
    assert (got["power"]["bootstrap"], got["power_passages_questions"]["bootstrap"]) == (
        "passages", "passages-questions")

    effects = main(["--studies", "4", "--n-boot", "100", "--strategy-by-question-sd", "0.8", "--questions", "2",
                    "9", "--folds", "5", "--out", str(tmp_path / "q.json")])
    assert effects["setting"]["strategy_by_question_sd"] == 0.8 and tuple(effects["setting"]["questions"]) == (2, 9)
    assert effects["power"]["setting"]["folds"] == 5 and tuple(effects["power"]["setting"]["questions"]) == (2, 9)
    assert effects["command"] == ("python -m benchmarks.bootstrap_coverage --studies 4 --n-boot 100 --seed 0 "
                                  "--questions 2 9 --folds 5 --strategy-by-question-sd 0.8")


def test_analyse_resamples_passages_only_unless_asked_for_questions_too():
    """The same rows, both bootstraps: the same estimates; the default (passages only) intervals differ, and are
    narrower here, where the strategies disagree on single questions of each passage (the spread a two-stage
    resample counts twice). The report records which one it ran."""
    rng = np.random.default_rng(0)
    passage_of = {f"q{i}": f"p{i // 5}" for i in range(60)}
    rows = []
    for seed in range(2):
        for strategy in ("none", "explicit-hybrid"):
            scores = {q: float(rng.random() < 0.5) for q in passage_of}
            meta = {q: {"passage": p} for q, p in passage_of.items()}
            rows.append(make_row(f"{strategy}-{seed}", scores, strategy=strategy, subset_seed=seed, meta=meta))
    two = analyse(rows, command="test", n_boot=400, bootstrap="passages-questions")
    one = analyse(rows, command="test", n_boot=400)
    assert (one.provenance.bootstrap, two.provenance.bootstrap) == ("passages", "passages-questions")
    (d2,), (d1,) = ([d for d in b.groups[0].differences if d.baseline == "none"] for b in (two, one))
    assert d1.em.mean == d2.em.mean
    assert d1.em.hi - d1.em.lo < d2.em.hi - d2.em.lo and d1.mde_em < d2.mde_em
    with pytest.raises(ValueError, match="bootstrap 'questions' is not one of passages, passages-questions"):
        analyse(rows, command="test", n_boot=400, bootstrap="questions")


@pytest.mark.parametrize(("args", "says"), [
    (["--strategy-by-passage-sd", "-0.5"], "--strategy-by-passage-sd must be at least 0, got -0.5"),
    (["--strategy-by-question-sd", "-0.5"], "--strategy-by-question-sd must be at least 0, got -0.5"),
    (["--passages", "0"], "--passages must be at least 1, got 0"),
    (["--folds", "0"], "--folds must be at least 1, got 0"),
    (["--questions", "5", "2"], "--questions must be 1 <= LO <= HI, got 5 2"),
])
def test_the_coverage_benchmark_refuses_a_bad_design_by_its_flag(args, says, tmp_path, capsys):
    from benchmarks.bootstrap_coverage import main

    with pytest.raises(SystemExit):
        main(["--studies", "2", *args, "--out", str(tmp_path / "cov.json")])
    assert says in capsys.readouterr().err
    assert not (tmp_path / "cov.json").exists()
