"""`decomp replay --row RUN_DIR/results.jsonl:LINE --out FILE`: train and test one result row again from the
run spec it embeds (`spec`, see `decomp.curves.config.RunSpec`), not from the curve YAML, and compare.

The replay uses the row's resolved config, cell, training seed and chosen hyper-parameters (no tuning, no fit
cache), writes the replayed row to `--out` (never to a curve's results file) and prints both rows' EM and F1.
A CPU fit is deterministic given its seed, code and thread count, so a replay on the machine that wrote the
row gives the same scores; on other hardware or thread counts float sums differ, hence `--tolerance`.
Exit status: 0 when both scores agree within the tolerance, 1 when they do not, 2 on an error.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from decomp.curves.config import RunSpec
from decomp.curves.rows import RESULTS
from decomp.curves.store import numbered_rows
from decomp.errors import ConfigError, DataError
from decomp.io import write_atomic

# Recorded beside the scores; a difference explains a score that moved (printed, not failed on).
PROVENANCE = ("data_hash", "git_commit", "strategy_version", "precision", "hardware")


def find_row(ref: str, run_id: str | None = None) -> tuple[Path, int, dict]:
    """(results file, line, row) for `FILE:LINE`, or for `FILE` and a run id; FILE may be its run folder."""
    match = re.fullmatch(r"(.+):(\d+)", ref)
    path, line = (Path(match.group(1)), int(match.group(2))) if match and run_id is None else (Path(ref), None)
    if path.is_dir():
        path = path / RESULTS
    if (line is None) == (run_id is None):
        raise ConfigError(f"--row {ref}: give FILE:LINE, or FILE with --run-id")
    if not path.is_file():
        raise ConfigError(f"--row {ref}: no results file {path}")
    rows, _ = numbered_rows(path)
    for n, row in rows:
        if n == line or (run_id is not None and row["run_id"] == run_id):
            return path, n, row
    raise DataError(f"no row with run_id {run_id!r}" if run_id else "no row on this line", file=str(path), row=line)


def compare(original: dict, replayed: dict, tolerance: float) -> tuple[list[str], bool]:
    """The side-by-side lines and whether EM and F1 agree within `tolerance` points."""
    lines = [f"{'':4}{'original':>10}{'replayed':>10}{'diff':>10}"]
    same = True
    for name in ("em", "f1"):
        diff = replayed[name] - original[name]
        same &= abs(diff) <= tolerance
        lines.append(f"{name.upper():4}{original[name]:10.3f}{replayed[name]:10.3f}{diff:+10.3f}")
    shared = set(original["examples"]) & set(replayed["examples"])
    alike = sum(original["examples"][i].get("prediction") == replayed["examples"][i].get("prediction")
                for i in shared)
    lines.append(f"predictions: {alike} of {len(original['examples'])} examples the same")
    before, after = _provenance(original), _provenance(replayed)
    lines += [f"differs: {name} {before[name]!r} -> {after[name]!r}" for name in before if before[name] != after[name]]
    return lines, same


def _provenance(row: dict) -> dict:
    return {**{name: row.get(name) for name in PROVENANCE},
            "reader_version": (row.get("reader_args") or {}).get("reader_version")}


def run(args: argparse.Namespace) -> int:
    path, line, row = find_row(args.row, args.run_id)
    out = Path(args.out)
    if out.name == RESULTS or out.resolve() == path.resolve():
        raise ConfigError(f"--out {out}: a replayed row is not a curve's row; name the file otherwise than {RESULTS}")
    if row.get("spec") is None:
        raise DataError("the row embeds no run spec (written before rows did): it cannot be replayed",
                        file=str(path), row=line, field="spec")
    source = f"{path}:{line}"
    spec = RunSpec.from_dict(row["spec"], source)
    from decomp.curves.runner import replay  # torch: only once the row is known to be replayable

    replayed = {**replay(spec, row), "replay_of": source}
    write_atomic(out, json.dumps(replayed, sort_keys=True) + "\n")
    lines, same = compare(row, replayed, args.tolerance)
    print(f"decomp replay: {source} ({row['run_id']})", *lines, f"replayed row: {out}",
          "same scores" if same else f"scores differ by more than {args.tolerance} points", sep="\n")
    return 0 if same else 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `decomp replay` flags (import-light: the runner loads once the row is read)."""
    parser.add_argument("--row", required=True, metavar="FILE:LINE",
                        help="a results.jsonl (or its run folder) and the row's line number; or FILE with --run-id")
    parser.add_argument("--run-id", default=None, help="the row with this run_id in FILE, instead of a line")
    parser.add_argument("--out", required=True, help="where the replayed row goes (one JSON line; not results.jsonl)")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="EM/F1 points the replay may differ by (default 0: same machine, same scores)")
    parser.set_defaults(run=run)
