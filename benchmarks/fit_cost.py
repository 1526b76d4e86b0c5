"""CPU time per fit, from committed result rows: one curve's rows against another's for the same (dataset,
strategy, size), side by side. Issue 31's measure: wall time x torch threads, and a bf16 fit on a CPU with
AVX512-BF16 counted 1.6x (what bf16 alone buys there, ../shared/docs/environment.md), so the ratio shows less
work per fit, not a faster machine. Zero-shot rows (no training) and readerless rows (`prior`) are left out. Beside
the cost, each cell's mean EM over the fits both curves ran (same fold, subset seed and seed): what the saving costs.

    python -m benchmarks.fit_cost --old leaderboard/runs/drop-cpu --new leaderboard/runs/drop-cpu-adapted
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks.common import RESULTS, curve_name, environment, write_json
from decomp.curves.store import read_rows, results_path

BF16_SPEEDUP = 1.6  # measured on a 2-core EPYC with AVX512-BF16 (environment.md): bf16 autocast's training gain
_THREADS = re.compile(r"(\d+) torch threads")


def cpu_seconds(row: dict) -> float:
    """A fit's CPU seconds, normalised: wall x torch threads (x 1.6 for bf16 on a CPU that computes in bf16)."""
    hardware = str(row.get("hardware") or "")
    found = _THREADS.search(hardware)
    threads = int(found.group(1)) if found else 1
    native_bf16 = "bf16" in str(row.get("precision")) and "avx512_bf16" in hardware
    return float(row["run_time_s"]) * threads * (BF16_SPEEDUP if native_bf16 else 1.0)


def per_cell(folder: Path) -> dict[tuple[str, str, str], dict[tuple, tuple[float, float]]]:
    """{(dataset, strategy, k): {(fold, subset seed, seed): (normalised CPU seconds, EM)}} of a run folder's
    trained reader rows."""
    found: dict[tuple[str, str, str], dict[tuple, tuple[float, float]]] = defaultdict(dict)
    path = folder if folder.suffix == ".jsonl" else results_path(folder)
    rows, _ = read_rows(path)
    for row in rows:
        budget = row.get("budget") or {}
        if row.get("learner") != "finetune" or budget.get("stop_reason") == "zero-shot":
            continue
        fit = (row.get("fold"), row.get("subset_seed"), row.get("training_seed"))
        found[(row["dataset"], row["strategy"], str(row["k"]))][fit] = (cpu_seconds(row), float(row["em"]))
    return found


def compare(old: Path, new: Path, *, paired_cpu: bool = False) -> dict:
    """Per cell, the mean CPU seconds of every fit of each curve (`paired_cpu`: of the fits both ran only, the
    same fold, subset seed and seed, for curves that ran different folds) and the mean EM of the paired fits."""
    before, after = per_cell(old), per_cell(new)
    cells = []
    for key in sorted(set(before) & set(after)):
        paired = sorted(set(before[key]) & set(after[key]))  # accuracy on the same subsets and seeds only
        if paired_cpu and not paired:
            continue
        fits_old, fits_new = (paired, paired) if paired_cpu else (before[key], after[key])
        o = statistics.mean(before[key][f][0] for f in fits_old)
        n = statistics.mean(after[key][f][0] for f in fits_new)
        em_old = statistics.mean(before[key][f][1] for f in paired) if paired else None
        em_new = statistics.mean(after[key][f][1] for f in paired) if paired else None
        cells.append({"dataset": key[0], "strategy": key[1], "k": key[2], "old_cpu_s": round(o, 1),
                      "new_cpu_s": round(n, 1), "old_fits": len(fits_old), "new_fits": len(fits_new),
                      "ratio_old_over_new": round(o / n, 2), "paired_fits": len(paired),
                      "old_em": None if em_old is None else round(em_old, 1),
                      "new_em": None if em_new is None else round(em_new, 1)})
    mean_old = statistics.mean(c["old_cpu_s"] for c in cells) if cells else None
    mean_new = statistics.mean(c["new_cpu_s"] for c in cells) if cells else None
    return {"old": str(old), "new": str(new), "paired_cpu": paired_cpu, "cells": cells,
            "mean_old_cpu_s": mean_old, "mean_new_cpu_s": mean_new,
            "ratio_of_means": round(mean_old / mean_new, 2) if cells else None}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="run folder (or results.jsonl) of the earlier curve")
    parser.add_argument("--new", type=Path, required=True, help="run folder (or results.jsonl) to compare")
    parser.add_argument("--paired-cpu", action="store_true",
                        help="CPU over the fits both curves ran only (same fold, subset seed, seed)")
    parser.add_argument("--out", type=Path, default=None, help="JSON output (default: benchmarks/results/)")
    args = parser.parse_args(argv)
    for flag, path in (("--old", args.old), ("--new", args.new)):
        rows = path if path.suffix == ".jsonl" else results_path(path)
        if not rows.is_file():
            parser.error(f"{flag} {path}: no rows file ({rows} does not exist)")
    command = sys.argv[1:] if argv is None else argv
    result = {**compare(args.old, args.new, paired_cpu=args.paired_cpu),
              "environment": environment("fit_cost", command)}
    for c in result["cells"]:
        print(f"{c['dataset']:9} {c['strategy']:20} k={c['k']:4} old {c['old_cpu_s']:8.1f} CPU-s "
              f"({c['old_fits']} fits)  new {c['new_cpu_s']:8.1f} CPU-s ({c['new_fits']})  "
              f"old/new {c['ratio_old_over_new']:.2f}x  EM old {c['old_em']} new {c['new_em']} "
              f"({c['paired_fits']} paired fits)")
    if result["cells"]:
        print(f"mean per fit over {len(result['cells'])} cells: old {result['mean_old_cpu_s']:.1f} CPU-s, new "
              f"{result['mean_new_cpu_s']:.1f} CPU-s: {result['ratio_of_means']:.2f}x")
    else:
        print("no (dataset, strategy, size) cell has trained fits in both")
    out = args.out or RESULTS / f"fit-cost-{curve_name(args.old)}-vs-{curve_name(args.new)}.json"
    write_json(out, result)
    return result


if __name__ == "__main__":
    main()
