"""The few-shot budget rule of configs/curves/drop-cpu-adapted-long.yaml, chosen on BREAK-DROP fold 1 (never the
evaluation fold): each candidate curve (configs/curves/drop-rule-epochs{1,3,10}.yaml) trains `none` at k=16 and 64
on two subset seeds; the candidate with the highest mean EM over those four fits wins, a tie going to fewer epochs.

    python configs/choose_budget_rule.py leaderboard/budget-rule/drop-rule-epochs*

The large sizes' budget (k=256 and all, configs/curves/drop-rule-large-{cap,stop}.yaml, fold 1): early stopping
up to max_steps is chosen over the one-epoch cap only if its mean EM over `none`'s four fits is at least
STOP_MARGIN higher, the least gain worth its 4-10x CPU per fit (written before the rows existed).

    python configs/choose_budget_rule.py --large leaderboard/budget-rule/drop-rule-large-cap \
        leaderboard/budget-rule/drop-rule-large-stop

Fold 1's own large-size budget cannot come from fold 1, so it is chosen the same way on fold 0, from the two
budgets' fold-0 rows (the same questions, subset seeds 0 and 1; `--fold` keeps that fold's `none` fits at k=256
and all, which a curve file holds beside its other sizes and folds):

    python configs/choose_budget_rule.py --large leaderboard/runs/drop-cpu-adapted-long \
        leaderboard/runs/drop-cpu-adapted-folds/superseded.jsonl --fold 0
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from statistics import mean

FITS = 4  # 2 sizes x 2 subset seeds
STOP_MARGIN = 1.0  # EM


LARGE_SIZES = (256, "all")
SEEDS = (0, 1)


def none_scores(folder: Path, fold: int | None = None) -> list[float]:
    """The EM of each `none` fit of a candidate run folder (or rows file); with `fold`, only that fold's fits at
    the large sizes on subset seeds 0 and 1."""
    path = folder if folder.suffix == ".jsonl" else folder / "results.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path}: no candidate rows (run its drop-rule-*.yaml, then copy its results.jsonl here)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if fold is not None:
        rows = [r for r in rows if r["fold"] == fold and r["k"] in LARGE_SIZES and r["subset_seed"] in SEEDS]
    return [r["em"] for r in rows if r["strategy"] == "none"]


def candidate_scores(folders: list[Path]) -> dict[int, list[float]]:
    """{epochs: EM of each `none` fit} of the candidate run folders (named ...-epochs<N>)."""
    scores = {}
    for folder in folders:
        found = re.search(r"epochs(\d+)$", folder.name)
        if not found:
            raise SystemExit(f"{folder}: a candidate folder is named ...-epochs<N>")
        scores[int(found.group(1))] = none_scores(folder)
    return scores


def choose_large(cap: list[float], stop: list[float]) -> str:
    """`stop` (early stopping up to max_steps) or `cap` (one epoch) for the large sizes, from both candidates'
    complete fits: `stop` only when it beats `cap` by at least STOP_MARGIN EM on average."""
    if len(cap) != FITS or len(stop) != FITS:
        raise SystemExit(f"each candidate needs all {FITS} fits: cap has {len(cap)}, stop {len(stop)}")
    return "stop" if mean(stop) - mean(cap) >= STOP_MARGIN else "cap"


def choose(scores: dict[int, list[float]]) -> int:
    """The epochs of the best complete candidate (every fit present), fewer epochs on a tie."""
    complete = {e: ems for e, ems in scores.items() if len(ems) == FITS}
    if not complete:
        raise SystemExit(f"no candidate has all {FITS} fits")
    return max(complete, key=lambda e: (mean(complete[e]), -e))


def main(argv: list[str]) -> None:
    if argv[:1] == ["--large"]:
        fold = None
        if argv[3:4] == ["--fold"] and len(argv) == 5:
            if not argv[4].isdigit():
                raise SystemExit(f"--fold takes a fold number, got {argv[4]!r}")
            fold, argv = int(argv[4]), argv[:3]
        if len(argv) != 3:
            raise SystemExit("--large takes the cap candidate's rows, then the stop candidate's [--fold N]")
        cap, stop = none_scores(Path(argv[1]), fold), none_scores(Path(argv[2]), fold)
        for name, ems in (("cap", cap), ("stop", stop)):
            print(f"{name}: {len(ems)} fits, EM {', '.join(f'{x:.1f}' for x in ems)}, mean {mean(ems):.2f}")
        print(f"chosen: {choose_large(cap, stop)}")
        return
    scores = candidate_scores([Path(a) for a in argv])
    for epochs, ems in sorted(scores.items()):
        print(f"epochs {epochs}: {len(ems)} fits, EM {', '.join(f'{x:.1f}' for x in ems)}, mean {mean(ems):.2f}")
    print(f"chosen: {choose(scores)} epoch(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
