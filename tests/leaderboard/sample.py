"""A hand-built, realistic `Leaderboard` for the rendering tests: two DROP/HotpotQA groups (HotpotQA in its
distractor context), four strategies with the `prior` baseline, five sizes including 'all', one crossover
that never happens, executor answers on DROP's count questions and a gold-vs-predicted comparison."""

from __future__ import annotations

from decomp.leaderboard.model import (
    Best,
    Breakdown,
    CorrectAnswers,
    CountAnswers,
    Crossover,
    CurvePoint,
    Difference,
    Group,
    Interval,
    Leaderboard,
    Provenance,
    Size,
    SourceComparison,
)

SIZES: tuple[Size, ...] = (16, 64, 256, 1024, "all")
STRATEGIES = ("none", "prior", "explicit-hybrid", "implicit-operators")
SEEDS = 3

# EM means per strategy at each size; F1 runs a few points above EM as it does on DROP and HotpotQA.
EM = {
    "drop": {
        "none": (11.2, 19.8, 31.5, 42.7, 51.3),
        "prior": (9.0, 10.5, 11.0, 11.0, 11.0),
        "explicit-hybrid": (17.9, 25.1, 33.0, 42.1, 50.2),
        "implicit-operators": (13.0, 21.2, 31.9, 42.9, 51.0),
    },
    "hotpotqa": {
        "none": (8.4, 15.6, 27.3, 38.8, 47.5),
        "prior": (2.0, 2.5, 3.0, 3.0, 3.0),
        "explicit-hybrid": (14.6, 21.9, 32.0, 42.5, 50.1),
        "implicit-operators": (9.1, 16.0, 27.1, 38.5, 47.6),
    },
}
N_TRAIN = {"drop": 7705, "hotpotqa": 7810}
N_EVAL = {"drop": 1273, "hotpotqa": 1382}
N_PASSAGES = {"drop": 160, "hotpotqa": 1382}
CONTEXT = {"drop": None, "hotpotqa": "distractor"}
F1_GAIN = {"drop": 7.5, "hotpotqa": 9.0}

# (dataset, strategy, metric) -> (k, lo, hi, never_share)
CROSSOVERS: dict[tuple[str, str, str], tuple[Size | None, Size | None, Size | None, float]] = {
    ("drop", "explicit-hybrid", "em"): (256, 64, 1024, 0.0),
    ("drop", "explicit-hybrid", "f1"): (256, 64, "all", 0.01),
    ("drop", "implicit-operators", "em"): (16, 16, 64, 0.0),
    ("drop", "implicit-operators", "f1"): (64, 16, 256, 0.0),
    ("hotpotqa", "explicit-hybrid", "em"): (None, 1024, None, 0.62),
    ("hotpotqa", "explicit-hybrid", "f1"): ("all", 256, None, 0.31),
    ("hotpotqa", "implicit-operators", "em"): (16, 16, 16, 0.0),
    ("hotpotqa", "implicit-operators", "f1"): (16, 16, 64, 0.0),
}


def _interval(mean: float, half_width: float) -> Interval:
    return Interval(mean=round(mean, 4), lo=round(mean - half_width, 4), hi=round(mean + half_width, 4))


def _width(i: int) -> float:
    """CI half-widths shrink as the training set grows and seeds agree more."""
    return 4.0 / (1 + i) + 0.8


def run_ids(dataset: str, strategy: str, k: Size) -> tuple[str, ...]:
    return tuple(f"{dataset}-cpu-{strategy}-k{k}-seed{seed}" for seed in range(SEEDS))


def _group(dataset: str) -> Group:
    em, gain = EM[dataset], F1_GAIN[dataset]
    points, differences, best, breakdowns = [], [], [], []
    for i, k in enumerate(SIZES):
        n_train = float(N_TRAIN[dataset] if k == "all" else k)
        for strategy in STRATEGIES:
            mean = em[strategy][i]
            points.append(
                CurvePoint(
                    strategy=strategy,
                    k=k,
                    n_train=n_train,
                    n_seeds=SEEDS,
                    n_eval=N_EVAL[dataset],
                    n_passages=N_PASSAGES[dataset],
                    em=_interval(mean, _width(i)),
                    f1=_interval(mean + gain, _width(i) * 0.9),
                    run_ids=run_ids(dataset, strategy, k),
                )
            )
            for baseline in ("none", "prior"):
                if strategy in (baseline, "prior"):
                    continue
                delta = mean - em[baseline][i]
                differences.append(
                    Difference(
                        strategy=strategy,
                        k=k,
                        n_pairs=SEEDS,
                        em=_interval(delta, _width(i) * 0.6),
                        f1=_interval(delta * 0.8, _width(i) * 0.55),
                        baseline=baseline,
                        # 2.80 standard errors, the half-width being 1.96 of them
                        mde_em=round(_width(i) * 0.6 * 2.8 / 1.96, 4),
                        mde_f1=round(_width(i) * 0.55 * 2.8 / 1.96, 4),
                    )
                )
        for metric, offset in (("em", 0.0), ("f1", gain)):
            ranked = sorted(STRATEGIES, key=lambda s, i=i: -em[s][i])
            top, runner_up = ranked[0], ranked[1]
            margin = em[top][i] - em[runner_up][i]
            best.append(
                Best(
                    k=k,
                    metric=metric,
                    strategy=top,
                    score=_interval(em[top][i] + offset, _width(i)),
                    margin_ci_excludes_zero=margin > _width(i) * 0.6,
                )
            )
    kinds = {
        "drop": (("operator", ("arithmetic", "comparison", "select")), ("answer_type", ("number", "span", "date"))),
        "hotpotqa": (("operator", ("bridge", "filter", "select")), ("question_type", ("bridge", "comparison"))),
    }[dataset]
    for kind, values in kinds:
        for j, value in enumerate(values):
            for strategy in STRATEGIES:
                mean = em[strategy][2] - 6.0 + 4.0 * j
                breakdowns.append(
                    Breakdown(
                        kind=kind,
                        value=value,
                        strategy=strategy,
                        k=256,
                        n_examples=N_EVAL[dataset] // (len(values) + j),
                        em=_interval(mean, 5.5),
                        f1=_interval(mean + gain, 5.0),
                    )
                )
    crossovers = tuple(
        Crossover(strategy, metric, *CROSSOVERS[(dataset, strategy, metric)])
        for strategy in STRATEGIES[2:]
        for metric in ("em", "f1")
    )
    return Group(
        dataset=dataset,
        reader="extractive",
        decompositions="gold",
        sizes=SIZES,
        strategies=STRATEGIES,
        points=tuple(points),
        differences=tuple(differences),
        crossovers=crossovers,
        best=tuple(best),
        breakdowns=tuple(breakdowns),
        context=CONTEXT[dataset],
        count_answers=_count_answers() if dataset == "drop" else (),
        correct_answers=_correct_answers() if dataset == "drop" else (),
    )


def _count_answers() -> tuple[CountAnswers, ...]:
    """The executor's answers on DROP's 130 count questions x 3 seeds at two sizes: a hybrid that counts."""
    return (
        CountAnswers("explicit-hybrid", 16, 390, 62.8205, (("1", 245), ("2", 80), ("3", 40))),
        CountAnswers("explicit-hybrid", 256, 390, 20.5128, (("2", 120), ("1", 80), ("3", 70))),
    )


def _correct_answers() -> tuple[CorrectAnswers, ...]:
    """Right answers of two DROP points (1382 questions x 3 seeds), one mostly `prior`'s "1"."""
    return (
        CorrectAnswers("explicit-hybrid", 16, 4146, 300, 240, (("1", 240), ("2", 30), ("Reed | Smith", 5))),
        CorrectAnswers("none", 16, 4146, 120, None, (("Reed", 3), ("1983", 2))),
    )


def sample_board() -> Leaderboard:
    groups = (_group("drop"), _group("hotpotqa"))
    comparisons = (
        SourceComparison("explicit-hybrid", 64, gold=_interval(33.4, 2.1), predicted=_interval(29.8, 2.3),
                         difference=_interval(-3.6, 1.4)),
        SourceComparison("explicit-hybrid", "all", gold=_interval(57.7, 0.9), predicted=_interval(55.9, 1.0),
                         difference=_interval(-1.8, 0.7)),
    )
    ids = tuple(sorted(rid for group in groups for point in group.points for rid in point.run_ids))
    provenance = Provenance(
        command="decomp leaderboard --runs runs/curves --out leaderboard/",
        curves=("drop-cpu", "hotpotqa-cpu"),
        run_ids=ids,
        git_commits=("3f2c1e9a7b4d",),
        config_hashes=("a41be07c", "d93f0e21"),
        versions={"decomp": "0.1.0", "python": "3.11.7", "torch": "2.6.0", "transformers": "4.48.0"},
        hardware=("2x CPU (x86_64), no GPU",),
        n_boot=1000,
        seed=0,
        rows_digest="9c1d2f" + "0" * 58,
    )
    return Leaderboard(groups=groups, source_comparisons=(("drop", "extractive", comparisons),), provenance=provenance)
