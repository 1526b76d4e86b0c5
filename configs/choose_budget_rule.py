"""The few-shot budget rule of configs/curves/drop-cpu-adapted-long.yaml, chosen on BREAK-DROP fold 1 (never the
evaluation fold): each candidate curve (configs/curves/drop-rule-epochs{1,3,10}.yaml) trains `none` at k=16 and 64
on two subset seeds; the candidate with the highest mean EM over those four fits wins, a tie going to fewer epochs.

    python configs/choose_budget_rule.py leaderboard/budget-rule/drop-rule-epochs*

The large sizes' budget (k=256 and all, configs/curves/drop-rule-large-{cap,stop}.yaml, fold 1): early stopping
up to max_steps is chosen over the one-epoch cap only if its mean EM over `none`'s four fits is at least
STOP_MARGIN higher, the least gain worth its 4-10x CPU per fit (written before the rows existed).

    python configs/choose_budget_rule.py --large leaderboard/budget-rule/drop-rule-large-cap \
        leaderboard/budget-rule/drop-rule-large-stop
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from statistics import mean

FITS = 4  # 2 sizes x 2 subset seeds
STOP_MARGIN = 1.0  # EM


def none_scores(folder: Path) -> list[float]:
    """The EM of each `none` fit of a candidate run folder."""
    path = folder / "results.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path}: no candidate rows (run its drop-rule-*.yaml, then copy its results.jsonl here)")
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
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
        if len(argv) != 3:
            raise SystemExit("--large takes the cap candidate's folder, then the stop candidate's")
        cap, stop = none_scores(Path(argv[1])), none_scores(Path(argv[2]))
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
