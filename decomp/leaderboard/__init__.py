"""The leaderboard: `decomp leaderboard --runs <dir> --out leaderboard/` turns curve result rows (and nothing
else) into learning curves with confidence bands (bootstrapped over seeds and evaluation passages), paired
differences against `none` and against the `prior` baseline, the crossover size where
decomposition stops helping, breakdowns, the executor's answers on count questions and provenance, as
Markdown, HTML, CSV and JSON."""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from decomp.leaderboard.model import BOOTSTRAPS, DEFAULT_BOOTSTRAP

DEFAULT_BOOT = 1000


def command_line(args: argparse.Namespace) -> str:
    """The command as a user re-types it (not sys.argv: paths to a venv's script would make reports differ)."""
    words = ["decomp", "leaderboard"]
    for runs in args.runs:
        words += ["--runs", runs]
    words += ["--out", args.out]
    if args.n_boot != DEFAULT_BOOT:
        words += ["--n-boot", str(args.n_boot)]
    if args.seed:
        words += ["--seed", str(args.seed)]
    if args.bootstrap != DEFAULT_BOOTSTRAP:
        words += ["--bootstrap", args.bootstrap]
    if args.notes:
        words += ["--notes", args.notes]
    return shlex.join(words)


def build(args: argparse.Namespace):
    """The board and notes the command line `args` describe, from the rows alone; nothing is written.
    (The CLI writes them; the committed-report test regenerates `leaderboard/` through the same path.)"""
    from decomp.errors import ConfigError
    from decomp.leaderboard.analysis import analyse
    from decomp.leaderboard.rows import load_rows

    if args.n_boot < 100:
        raise ConfigError(f"--n-boot must be at least 100 for 95% intervals, got {args.n_boot}")
    rows = [row for runs in args.runs for row in load_rows(runs)]
    notes = None
    if args.notes:
        try:
            notes = Path(args.notes).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--notes {args.notes}: {exc.strerror}") from None
    board = analyse(sorted(rows, key=lambda r: r["run_id"]), command=command_line(args), n_boot=args.n_boot,
                    seed=args.seed, bootstrap=args.bootstrap)
    return rows, board, notes


def _run(args: argparse.Namespace) -> int:
    from decomp.leaderboard.render import write_report

    rows, board, notes = build(args)
    written = write_report(board, args.out, notes=notes)
    print(f"{len(rows)} rows -> {len(written)} files in {args.out}")
    for group in board.groups:
        for crossover in group.crossovers:
            print(f"  {group.title}: {crossover.strategy} ({crossover.metric}) crossover k={crossover.k} "
                  f"[{crossover.lo}, {crossover.hi}]")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs", required=True, action="append",
                        help="folder of results.jsonl files (searched recursively) or one file; repeatable")
    parser.add_argument("--out", required=True, help="folder for README.md, leaderboard.html, CSV, JSON, plots/")
    parser.add_argument("--n-boot", type=int, default=DEFAULT_BOOT, help="bootstrap replicates")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--bootstrap", choices=sorted(BOOTSTRAPS), default=DEFAULT_BOOTSTRAP,
                        help="what each fold's bootstrap resamples besides seeds: passages, each with all its "
                             "questions (calibrated; the default), or passages and then the questions within each")
    parser.add_argument("--notes", default=None,
                        help="Markdown file inserted under 'What was run' (hardware, comparison with the paper)")
    parser.set_defaults(run=_run)
