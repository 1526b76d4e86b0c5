"""The few-shot budget rule of configs/curves/drop-cpu-adapted-long.yaml, chosen on BREAK-DROP fold 1 (never the
evaluation fold): each candidate curve (configs/curves/drop-rule-epochs{1,3,10}.yaml) trains `none` at k=16 and 64
on two subset seeds; the candidate with the highest mean EM over those four fits wins, a tie going to fewer epochs.

    python configs/choose_budget_rule.py leaderboard/budget-rule/drop-rule-epochs*
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from statistics import mean

FITS = 4  # 2 sizes x 2 subset seeds


def candidate_scores(folders: list[Path]) -> dict[int, list[float]]:
    """{epochs: EM of each `none` fit} of the candidate run folders (named ...-epochs<N>)."""
    scores = {}
    for folder in folders:
        found = re.search(r"epochs(\d+)$", folder.name)
        if not found:
            raise SystemExit(f"{folder}: a candidate folder is named ...-epochs<N>")
        rows = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines() if line.strip()]
        scores[int(found.group(1))] = [r["em"] for r in rows if r["strategy"] == "none"]
    return scores


def choose(scores: dict[int, list[float]]) -> int:
    """The epochs of the best complete candidate (every fit present), fewer epochs on a tie."""
    complete = {e: ems for e, ems in scores.items() if len(ems) == FITS}
    if not complete:
        raise SystemExit(f"no candidate has all {FITS} fits")
    return max(complete, key=lambda e: (mean(complete[e]), -e))


def main(argv: list[str]) -> None:
    scores = candidate_scores([Path(a) for a in argv])
    for epochs, ems in sorted(scores.items()):
        print(f"epochs {epochs}: {len(ems)} fits, EM {', '.join(f'{x:.1f}' for x in ems)}, mean {mean(ems):.2f}")
    print(f"chosen: {choose(scores)} epoch(s)")


if __name__ == "__main__":
    main(sys.argv[1:])
