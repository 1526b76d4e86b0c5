"""How often the leaderboard's 95% interval of a paired difference covers the truth when questions share
passages: its two passage-level bootstraps (decomp.leaderboard.bootstrap: `passages`, the report's default, and
`passages-questions`) against the old example-level one; and whether the minimum detectable effect (MDE) each
states is detected in 80% of studies.

Each simulated study evaluates two strategies, A and B, trained with 3 seeds, on the questions of P passages
(a few to a dozen questions each). A question is right when

    mu + passage_p + question_q + strategy_by_passage_(s,p) + noise_(s,seed,q) > 0

with normal effects. A and B are exchangeable, so the true difference is 0 over the population of passages,
but each study's passages favour one strategy or the other as a block (the strategy-by-passage term), as a
reader that handles one kind of passage better does. The interval of A - B is computed by the leaderboard's
own code: resampling passages, each whole (`passages`); passages then the questions within them
(`passages-questions`); or (old) every question as its own passage, which is the example-level bootstrap the
leaderboard used before. Coverage is the share of studies whose interval holds 0.

Power: studies of several folds (strata, each with its own passages and seeds) are bootstrapped as the
leaderboard pools folds. The MDE a design states is the mean of the MDEs its studies state with a true
difference of 0. Then A gets a known effect: each of its answers, independently, is made right with
probability 2 x MDE, which (with mu = 0, half the answers wrong) raises A by exactly the MDE over the
population. The share of those studies whose interval excludes 0 should be about 80%, and about 5% at 0. Both
passage-level bootstraps run the power study.

    python -m benchmarks.bootstrap_coverage [--studies 400] [--n-boot 1000] [--seed 0] [--out PATH]
        [--passages 30] [--questions 3 14] [--seeds 3] [--folds 2] [--strategy-by-passage-sd 0.6]
        [--strategy-by-question-sd 0]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from decomp.leaderboard.bootstrap import (
    Draws,
    Scores,
    detectable,
    interval,
    over_units,
    resamples_questions,
    unit_means,
)
from decomp.leaderboard.model import BOOTSTRAPS, DEFAULT_BOOTSTRAP

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Setting:
    passages: int = 30
    questions: tuple[int, int] = (3, 14)  # questions per passage: uniform in [lo, hi]
    seeds: int = 3
    mu: float = 0.0
    passage_sd: float = 1.0
    question_sd: float = 0.7
    strategy_by_passage_sd: float = 0.6
    noise_sd: float = 0.5
    folds: int = 1  # strata, each with its own passages and seeds (the power study)
    # a strategy effect of each question, the same on every seed (real readers split questions alike on every
    # seed, e.g. one strategy's constant count answer): within-passage noise a two-stage resample counts twice
    strategy_by_question_sd: float = 0.0


def simulate(rng: np.random.Generator, setting: Setting) -> tuple[np.ndarray, np.ndarray]:
    """One study: per-question 0/1 scores (2 strategies, seeds, questions) and each question's passage."""
    sizes = rng.integers(setting.questions[0], setting.questions[1] + 1, size=setting.passages)
    passage = np.repeat(np.arange(setting.passages), sizes)
    n = len(passage)
    base = setting.mu + rng.normal(0, setting.passage_sd, setting.passages)[passage] \
        + rng.normal(0, setting.question_sd, n)
    by_passage = rng.normal(0, setting.strategy_by_passage_sd, (2, 1, setting.passages))[..., passage]
    noise = rng.normal(0, setting.noise_sd, (2, setting.seeds, n))
    if setting.strategy_by_question_sd:  # drawn only when asked, so the default studies stay as they were
        noise = noise + rng.normal(0, setting.strategy_by_question_sd, (2, 1, n))
    return (base + by_passage + noise > 0).astype(float), passage


def with_effect(rng: np.random.Generator, scores: np.ndarray, effect: float) -> np.ndarray:
    """Strategy A made right on each question with probability 2 x `effect` (a share): with mu = 0 half of A's
    answers are wrong over the population, so A gains exactly `effect`."""
    if not 0 <= effect <= 0.5:
        raise ValueError(f"effect {effect} outside [0, 0.5]")
    lifted = scores.copy()
    lifted[0] = np.maximum(lifted[0], rng.random(lifted[0].shape) < 2 * effect)
    return lifted


def study_difference(rng: np.random.Generator, setting: Setting, effect: float, n_boot: int, seed: int,
                     bootstrap: str = DEFAULT_BOOTSTRAP):
    """One study of `setting.folds` folds with a true A - B of `effect`: its interval (points) and its MDE,
    pooling the folds as the leaderboard does."""
    folds = [simulate(rng, setting) for _ in range(setting.folds)]
    draws = Draws.make({f: setting.seeds for f in range(setting.folds)},
                       {f: passage for f, (_, passage) in enumerate(folds)}, n_boot, seed,
                       resamples_questions(bootstrap))
    runs = []
    for f, (scores, passage) in enumerate(folds):
        scores = with_effect(rng, scores, effect)
        mask = np.ones(len(passage), dtype=bool)
        runs += [Scores(f, np.stack([scores[0, t] - scores[1, t]] * 2), mask) for t in range(setting.seeds)]
    point, reps = over_units(draws, *unit_means(draws, runs), [r.fold for r in runs])
    return interval(point[0], reps[:, 0]), detectable(reps[:, 0])


def power(studies: int, n_boot: int, seed: int, setting: Setting = Setting(folds=2),
          bootstrap: str = DEFAULT_BOOTSTRAP) -> dict:
    """Share of studies whose 95% interval excludes 0 with a true difference of 0 and with a true difference
    equal to the design's MDE (the mean MDE its studies state at 0)."""
    rng = np.random.default_rng(seed)
    null = [study_difference(rng, setting, 0.0, n_boot, i, bootstrap) for i in range(studies)]
    mde = float(np.mean([m for _, m in null]))
    found = [study_difference(rng, setting, mde / 100, n_boot, studies + i, bootstrap) for i in range(studies)]
    return {"studies": studies, "n_boot": n_boot, "seed": seed, "setting": asdict(setting), "bootstrap": bootstrap,
            "mde": round(mde, 3), "mde_stated_at_effect": round(float(np.mean([m for _, m in found])), 3),
            "detected_at_0": sum(not got.lo <= 0 <= got.hi for got, _ in null) / studies,
            "detected_at_mde": sum(not got.lo <= 0 <= got.hi for got, _ in found) / studies}


def difference_interval(scores: np.ndarray, passage: np.ndarray, n_boot: int, seed: int,
                        bootstrap: str = DEFAULT_BOOTSTRAP):
    """The 95% interval (in points) of A - B, paired, through the leaderboard's `bootstrap`. `passage` gives
    each question its passage number; np.arange(n) makes every question its own passage (the old way)."""
    _, seeds, n = scores.shape
    draws = Draws.make(seeds, {0: passage}, n_boot, seed, resamples_questions(bootstrap))
    mask = np.ones(n, dtype=bool)
    runs = [Scores(0, np.stack([scores[0, t] - scores[1, t]] * 2), mask) for t in range(seeds)]
    point, reps = over_units(draws, *unit_means(draws, runs))
    return interval(point[0], reps[:, 0])


METHODS = (*BOOTSTRAPS, "example")  # `example`: every question its own passage, the old way


def coverage(studies: int, n_boot: int, seed: int, setting: Setting = Setting(),
             methods: tuple[str, ...] = METHODS) -> dict:
    """Share of studies whose 95% interval of A - B covers the true 0, on the same simulated studies and the
    same bootstrap seeds, by each of `methods` (METHODS)."""
    rng = np.random.default_rng(seed)
    covered, width = dict.fromkeys(methods, 0), dict.fromkeys(methods, 0.0)
    questions = 0
    for study in range(studies):
        scores, passage = simulate(rng, setting)
        questions += len(passage)
        for name in methods:
            if name == "example":  # every question its own passage, n drawn of n as the old bootstrap did
                got = difference_interval(scores, np.arange(len(passage)), n_boot, study, "passages-questions")
            else:
                got = difference_interval(scores, passage, n_boot, study, name)
            covered[name] += got.lo <= 0 <= got.hi
            width[name] += got.hi - got.lo
    result = {"studies": studies, "n_boot": n_boot, "seed": seed, "setting": asdict(setting),
              "mean_questions": questions / studies}
    for name in methods:
        key = name.replace("-", "_")
        result[f"coverage_{key}_bootstrap"] = covered[name] / studies
        result[f"mean_width_{key}_bootstrap"] = round(width[name] / studies, 3)
    return result


DESIGN = ("passages", "questions", "seeds", "folds", "strategy_by_passage_sd", "strategy_by_question_sd")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    parser.add_argument("--studies", type=int, default=400)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "bootstrap-coverage.json"))
    parser.add_argument("--passages", type=int, default=Setting.passages, help="passages per study (per fold)")
    parser.add_argument("--questions", type=int, nargs=2, default=list(Setting.questions), metavar=("LO", "HI"),
                        help="questions per passage, uniform in [LO, HI]")
    parser.add_argument("--seeds", type=int, default=Setting.seeds, help="seeds per strategy (per fold)")
    parser.add_argument("--folds", type=int, default=2, help="folds (strata) of the power study")
    parser.add_argument("--strategy-by-passage-sd", type=float, default=Setting.strategy_by_passage_sd)
    parser.add_argument("--strategy-by-question-sd", type=float, default=Setting.strategy_by_question_sd,
                        help="a per-question strategy effect shared by the seeds (default 0: none)")
    args = parser.parse_args(argv)
    for flag in ("strategy_by_passage_sd", "strategy_by_question_sd"):
        if getattr(args, flag) < 0:
            parser.error(f"--{flag.replace('_', '-')} must be at least 0, got {getattr(args, flag)}")
    for flag in ("passages", "seeds", "folds"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1, got {getattr(args, flag)}")
    if not 1 <= args.questions[0] <= args.questions[1]:
        parser.error(f"--questions must be 1 <= LO <= HI, got {args.questions[0]} {args.questions[1]}")
    design = {"passages": args.passages, "questions": tuple(args.questions), "seeds": args.seeds,
              "strategy_by_passage_sd": args.strategy_by_passage_sd,
              "strategy_by_question_sd": args.strategy_by_question_sd}
    setting = Setting(**design)
    start = time.perf_counter()
    result = coverage(args.studies, args.n_boot, args.seed, setting)
    for name in BOOTSTRAPS:  # "power": the report's default; "power_passages_questions": the two-stage one
        key = "power" if name == DEFAULT_BOOTSTRAP else f"power_{name.replace('-', '_')}"
        result[key] = power(args.studies, args.n_boot, args.seed, Setting(folds=args.folds, **design), name)
    result["seconds"] = round(time.perf_counter() - start, 1)
    chosen = {**design, "folds": args.folds}
    defaults = {**asdict(Setting()), "folds": 2}
    extra = [f"--{k.replace('_', '-')} {' '.join(map(str, v)) if k == 'questions' else v}"
             for k in DESIGN if (v := chosen[k]) != defaults[k]]
    result["command"] = " ".join([f"python -m benchmarks.bootstrap_coverage --studies {args.studies} --n-boot "
                                  f"{args.n_boot} --seed {args.seed}"] + extra)
    print(f"{args.studies} simulated studies, true difference 0, {result['mean_questions']:.0f} questions in "
          f"{setting.passages} passages, {setting.seeds} seeds; 95% interval of the difference covers 0 in:")
    labels = {"passages": "`passages` (passages, each whole; the report's)",
              "passages-questions": "`passages-questions` (passages, then questions)",
              "example": "old example-level bootstrap"}
    for name in METHODS:
        key = name.replace("-", "_")
        print(f"  {labels[name]:51} {result[f'coverage_{key}_bootstrap']:.1%} "
              f"(mean width {result[f'mean_width_{key}_bootstrap']} points)")
    for key in ("power", "power_passages_questions"):
        got = result[key]
        print(f"{key} (`{got['bootstrap']}`): {got['setting']['folds']} folds as strata; the stated minimum "
              f"detectable effect averages {got['mde']:.1f} points; the interval excludes 0 in "
              f"{got['detected_at_mde']:.1%} of studies with that true difference (80% expected) and in "
              f"{got['detected_at_0']:.1%} at 0 (5% expected)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
