"""How often the leaderboard's 95% interval of a paired difference covers the truth when questions share
passages: the passage-level bootstrap (decomp.leaderboard.bootstrap) against the old example-level one; and
whether the minimum detectable effect (MDE) it states is detected in 80% of studies.

Each simulated study evaluates two strategies, A and B, trained with 3 seeds, on the questions of P passages
(a few to a dozen questions each). A question is right when

    mu + passage_p + question_q + strategy_by_passage_(s,p) + noise_(s,seed,q) > 0

with normal effects. A and B are exchangeable, so the true difference is 0 over the population of passages,
but each study's passages favour one strategy or the other as a block (the strategy-by-passage term), as a
reader that handles one kind of passage better does. The interval of A - B is computed by the leaderboard's
own code: resampling passages then questions, or (old) every question as its own passage, which is the
example-level bootstrap the leaderboard used before. Coverage is the share of studies whose interval holds 0.

Power: studies of several folds (strata, each with its own passages and seeds) are bootstrapped as the
leaderboard pools folds. The MDE a design states is the mean of the MDEs its studies state with a true
difference of 0. Then A gets a known effect: each of its answers, independently, is made right with
probability 2 x MDE, which (with mu = 0, half the answers wrong) raises A by exactly the MDE over the
population. The share of those studies whose interval excludes 0 should be about 80%, and about 5% at 0.

    python -m benchmarks.bootstrap_coverage [--studies 400] [--n-boot 1000] [--seed 0] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from decomp.leaderboard.bootstrap import Draws, Scores, detectable, interval, over_units, unit_means

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
                     resample_questions: bool = True):
    """One study of `setting.folds` folds with a true A - B of `effect`: its interval (points) and its MDE,
    pooling the folds as the leaderboard does."""
    folds = [simulate(rng, setting) for _ in range(setting.folds)]
    draws = Draws.make({f: setting.seeds for f in range(setting.folds)},
                       {f: passage for f, (_, passage) in enumerate(folds)}, n_boot, seed, resample_questions)
    runs = []
    for f, (scores, passage) in enumerate(folds):
        scores = with_effect(rng, scores, effect)
        mask = np.ones(len(passage), dtype=bool)
        runs += [Scores(f, np.stack([scores[0, t] - scores[1, t]] * 2), mask) for t in range(setting.seeds)]
    point, reps = over_units(draws, *unit_means(draws, runs), [r.fold for r in runs])
    return interval(point[0], reps[:, 0]), detectable(reps[:, 0])


def power(studies: int, n_boot: int, seed: int, setting: Setting = Setting(folds=2),
          resample_questions: bool = True) -> dict:
    """Share of studies whose 95% interval excludes 0 with a true difference of 0 and with a true difference
    equal to the design's MDE (the mean MDE its studies state at 0)."""
    rng = np.random.default_rng(seed)
    null = [study_difference(rng, setting, 0.0, n_boot, i, resample_questions) for i in range(studies)]
    mde = float(np.mean([m for _, m in null]))
    found = [study_difference(rng, setting, mde / 100, n_boot, studies + i, resample_questions)
             for i in range(studies)]
    return {"studies": studies, "n_boot": n_boot, "seed": seed, "setting": asdict(setting),
            "resample_questions": resample_questions,
            "mde": round(mde, 3), "mde_stated_at_effect": round(float(np.mean([m for _, m in found])), 3),
            "detected_at_0": sum(not got.lo <= 0 <= got.hi for got, _ in null) / studies,
            "detected_at_mde": sum(not got.lo <= 0 <= got.hi for got, _ in found) / studies}


def difference_interval(scores: np.ndarray, passage: np.ndarray, n_boot: int, seed: int,
                        resample_questions: bool = True):
    """The 95% interval (in points) of A - B, paired, through the leaderboard's bootstrap. `passage` gives
    each question its passage number; np.arange(n) makes every question its own passage (the old way)."""
    _, seeds, n = scores.shape
    draws = Draws.make(seeds, {0: passage}, n_boot, seed, resample_questions)
    mask = np.ones(n, dtype=bool)
    runs = [Scores(0, np.stack([scores[0, t] - scores[1, t]] * 2), mask) for t in range(seeds)]
    point, reps = over_units(draws, *unit_means(draws, runs))
    return interval(point[0], reps[:, 0])


def coverage(studies: int, n_boot: int, seed: int, setting: Setting = Setting(),
             methods: tuple[str, ...] = ("passage", "example")) -> dict:
    """Share of studies whose 95% interval of A - B covers the true 0, on the same simulated studies and the
    same bootstrap seeds, by: `passage` (passages, then the questions within them), `passage_only` (passages,
    each with all its questions) and `example` (every question its own passage: the old way)."""
    rng = np.random.default_rng(seed)
    covered, width = dict.fromkeys(methods, 0), dict.fromkeys(methods, 0.0)
    questions = 0
    for study in range(studies):
        scores, passage = simulate(rng, setting)
        questions += len(passage)
        for name in methods:
            groups = np.arange(len(passage)) if name == "example" else passage
            got = difference_interval(scores, groups, n_boot, study, resample_questions=name != "passage_only")
            covered[name] += got.lo <= 0 <= got.hi
            width[name] += got.hi - got.lo
    result = {"studies": studies, "n_boot": n_boot, "seed": seed, "setting": asdict(setting),
              "mean_questions": questions / studies}
    for name in methods:
        result[f"coverage_{name}_bootstrap"] = covered[name] / studies
        result[f"mean_width_{name}_bootstrap"] = round(width[name] / studies, 3)
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    parser.add_argument("--studies", type=int, default=400)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS / "bootstrap-coverage.json"))
    parser.add_argument("--strategy-by-passage-sd", type=float, default=Setting.strategy_by_passage_sd)
    parser.add_argument("--strategy-by-question-sd", type=float, default=Setting.strategy_by_question_sd,
                        help="a per-question strategy effect shared by the seeds (default 0: none)")
    parser.add_argument("--passage-only", action="store_true",
                        help="also the bootstrap that resamples passages only, and the power study with it")
    args = parser.parse_args(argv)
    for flag in ("strategy_by_passage_sd", "strategy_by_question_sd"):
        if getattr(args, flag) < 0:
            parser.error(f"--{flag.replace('_', '-')} must be at least 0, got {getattr(args, flag)}")
    effects = {"strategy_by_passage_sd": args.strategy_by_passage_sd,
               "strategy_by_question_sd": args.strategy_by_question_sd}
    setting = Setting(**effects)
    methods = ("passage", "passage_only", "example") if args.passage_only else ("passage", "example")
    start = time.perf_counter()
    result = coverage(args.studies, args.n_boot, args.seed, setting, methods)
    result["power"] = power(args.studies, args.n_boot, args.seed, Setting(folds=2, **effects))
    if args.passage_only:
        result["power_passage_only"] = power(args.studies, args.n_boot, args.seed, Setting(folds=2, **effects),
                                             resample_questions=False)
    result["seconds"] = round(time.perf_counter() - start, 1)
    extra = [f"--{k.replace('_', '-')} {v}" for k, v in effects.items() if v != getattr(Setting, k)]
    result["command"] = " ".join([f"python -m benchmarks.bootstrap_coverage --studies {args.studies} --n-boot "
                                  f"{args.n_boot} --seed {args.seed}"] + extra
                                 + (["--passage-only"] if args.passage_only else []))
    print(f"{args.studies} simulated studies, true difference 0, {result['mean_questions']:.0f} questions in "
          f"{setting.passages} passages, 3 seeds; 95% interval of the difference covers 0 in:")
    labels = {"passage": "passage-level bootstrap (passages, then questions)",
              "passage_only": "passage-level bootstrap (passages only)", "example": "old example-level bootstrap"}
    for name in methods:
        print(f"  {labels[name]:51} {result[f'coverage_{name}_bootstrap']:.1%} "
              f"(mean width {result[f'mean_width_{name}_bootstrap']} points)")
    for key in ("power", "power_passage_only"):
        if key in result:
            got = result[key]
            print(f"{key}: {got['setting']['folds']} folds as strata; the stated minimum detectable effect "
                  f"averages {got['mde']:.1f} points; the interval excludes 0 in {got['detected_at_mde']:.1%} of "
                  f"studies with that true difference (80% expected) and in {got['detected_at_0']:.1%} at 0 "
                  f"(5% expected)")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
