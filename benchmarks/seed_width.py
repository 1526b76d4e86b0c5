"""Would more subset seeds narrow a paired difference? The leaderboard's own interval of `strategy - baseline` at
one size, recomputed from committed rows on every subset of the seeds every fold holds there: 1 seed, 2 seeds, ...

The bootstrap resamples passages (within folds) and seeds, as `decomp leaderboard --bootstrap` names it. If the
width falls as seeds are added, seeds buy precision; if one seed is already as narrow as all of them, the width is
the spread between passages, which only more passages (or a reader whose strategies disagree less) can narrow.
Beside the widths, how alike the seeds split the passages: the correlation between seeds of each passage's summed
difference. Nothing is timed, so the JSON is a function of the rows and
`tests/benchmarks/test_committed_results.py` checks it against them.

    python -m benchmarks.seed_width --rows leaderboard/runs/drop-cpu-adapted-long --k 16
"""

from __future__ import annotations

import argparse
import itertools
import statistics
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, curve_name, write_json
from decomp.leaderboard.analysis import analyse
from decomp.leaderboard.model import BOOTSTRAPS, DEFAULT_BOOTSTRAP
from decomp.leaderboard.rows import load_rows


def complete_seeds(rows: list[dict], strategies: set[str]) -> tuple[list[int], list[int]]:
    """(seeds every fold holds for every strategy, seeds some fold or strategy lacks)."""
    folds = {r["fold"] for r in rows}
    have = {(r["fold"], r["subset_seed"], r["strategy"]) for r in rows}
    seeds = sorted({r["subset_seed"] for r in rows})
    full = [s for s in seeds if all((f, s, st) in have for f in folds for st in strategies)]
    return full, [s for s in seeds if s not in full]


def seed_agreement(rows: list[dict], strategy: str, baseline: str, seeds: list[int]) -> float | None:
    """Mean correlation, over pairs of seeds, of each passage's summed paired difference (strategy minus
    baseline, EM per question): near 1, every seed's readers split the passages the same way, and more seeds
    cannot average that spread away."""
    runs = {(r["fold"], r["subset_seed"], r["strategy"]): r["examples"] for r in rows}
    sums: dict[int, dict[tuple, float]] = {}
    for seed in seeds:
        sums[seed] = {}
        for (fold, s, name), examples in runs.items():
            if s != seed or name != baseline:
                continue
            other = runs[(fold, seed, strategy)]
            for qid, ex in examples.items():  # paired by question id
                key = (fold, ex["passage"])
                sums[seed][key] = sums[seed].get(key, 0.0) + other[qid]["em"] - ex["em"]
    if len(seeds) < 2:
        return None
    passages = sorted(sums[seeds[0]])
    corr = [float(np.corrcoef([sums[a][p] for p in passages], [sums[b][p] for p in passages])[0, 1])
            for a, b in itertools.combinations(seeds, 2)]
    return round(statistics.mean(corr), 2)


def widths(rows: list[dict], *, k: str, baseline: str, n_boot: int, seed: int,
           bootstrap: str = DEFAULT_BOOTSTRAP) -> dict:
    at_k = [r for r in rows if str(r["k"]) == k]
    if not at_k:
        raise SystemExit(f"--k {k}: no row at that size")
    strategies = {r["strategy"] for r in at_k}
    if baseline not in strategies:
        raise SystemExit(f"--baseline {baseline}: no {baseline} row at k={k}")
    seeds, left_out = complete_seeds(at_k, strategies)
    subsets = []
    for n in range(1, len(seeds) + 1):
        for chosen in itertools.combinations(seeds, n):
            board = analyse([r for r in at_k if r["subset_seed"] in chosen], command="seed_width", n_boot=n_boot,
                            seed=seed, bootstrap=bootstrap)
            for group in board.groups:
                for d in group.differences:
                    if d.baseline != baseline:
                        continue
                    subsets.append({"seeds": list(chosen), "strategy": d.strategy, "n_pairs": d.n_pairs,
                                    "em": round(d.em.mean, 2), "em_lo": round(d.em.lo, 2),
                                    "em_hi": round(d.em.hi, 2), "half_width": round((d.em.hi - d.em.lo) / 2, 2),
                                    "mde_em": round(d.mde_em, 2)})
    by_n = []
    for (strategy, n), group in itertools.groupby(sorted(subsets, key=lambda s: (s["strategy"], len(s["seeds"]))),
                                                  key=lambda s: (s["strategy"], len(s["seeds"]))):
        half = [s["half_width"] for s in group]
        by_n.append({"strategy": strategy, "n_seeds": n, "subsets": len(half),
                     "mean_half_width": round(statistics.mean(half), 2), "min": min(half), "max": max(half)})
    agreement = {st: seed_agreement(at_k, st, baseline, seeds) for st in sorted(strategies - {baseline, "prior"})}
    return {"k": k, "baseline": baseline, "folds": sorted({r["fold"] for r in at_k}), "seeds": seeds,
            "seeds_left_out": left_out, "n_boot": n_boot, "seed": seed,
            "bootstrap": bootstrap, "subsets": subsets, "by_n_seeds": by_n,
            "passage_agreement_between_seeds": agreement}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=Path, required=True, help="run folder (or results.jsonl) of one curve")
    parser.add_argument("--k", required=True, help="the training size, as rows write it (16, all)")
    parser.add_argument("--baseline", default="none", help="the paired baseline strategy (none or prior)")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", choices=sorted(BOOTSTRAPS), default=DEFAULT_BOOTSTRAP,
                        help="what the bootstrap resamples besides seeds, as in `decomp leaderboard --bootstrap`")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    if not args.rows.exists():
        raise SystemExit(f"--rows {args.rows}: no such file or folder")
    result = {"rows": str(args.rows), **widths(load_rows(args.rows), k=args.k, baseline=args.baseline,
                                               n_boot=args.n_boot, seed=args.seed,
                                               bootstrap=args.bootstrap)}
    if result["seeds_left_out"]:
        print(f"seeds {result['seeds_left_out']} left out: some fold or strategy lacks them at k={args.k}")
    for s in result["subsets"]:
        print(f"seeds {s['seeds']!s:10} {s['strategy']:20} {s['em']:+6.2f} [{s['em_lo']:+.2f}, {s['em_hi']:+.2f}]"
              f"  ±{s['half_width']:.2f}  MDE {s['mde_em']:.2f}")
    for b in result["by_n_seeds"]:
        print(f"{b['strategy']:20} {b['n_seeds']} seed(s): mean ±{b['mean_half_width']:.2f} "
              f"(±{b['min']:.2f} to ±{b['max']:.2f} over {b['subsets']} subsets)")
    for strategy, r in result["passage_agreement_between_seeds"].items():
        print(f"{strategy:20} per-passage difference, correlation between seeds: {r}")
    suffix = "" if args.bootstrap == DEFAULT_BOOTSTRAP else f"-{args.bootstrap}"
    name = f"seed-width-{curve_name(args.rows)}-k{args.k}-vs-{args.baseline}{suffix}.json"
    write_json(args.out or RESULTS / name, result)
    return result


if __name__ == "__main__":
    main()
