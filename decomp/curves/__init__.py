"""Learning curves as Optuna studies: `decomp curve --config configs/curves/<dataset>.yaml`."""

from __future__ import annotations

import argparse
import os
import sys


def _run(args: argparse.Namespace) -> int:
    from decomp.curves.runner import run_curve

    return run_curve(args)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `decomp curve` flags (kept here, import-light, so `decomp --help` does not load torch)."""
    parser.add_argument("--config", required=True, help="curve YAML (configs/curves/<dataset>.yaml)")
    parser.add_argument("--storage", default=None,
                        help="Optuna storage: sqlite:///FILE (default, one worker), journal:FILE "
                             "(default with --workers > 1), postgresql://USER@HOST:PORT/DB")
    parser.add_argument("--workers", type=int, default=1, help="worker processes on this machine")
    parser.add_argument("--run-dir", default=None, help="where results.jsonl goes (default: the config's run_dir)")
    parser.add_argument("--fit-cache", default=None, metavar="DIR",
                        help="reuse fits across runs and curves: a fit with the same reader, strategy, data, "
                             "budget and seed is loaded from DIR instead of trained (see decomp/curves/fit_cache.py)")
    parser.add_argument("--supersede", action="append", default=None, metavar="STRATEGY",
                        help="move this strategy's rows of another format version to superseded.jsonl and "
                             "recompute them (repeatable)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a spawned worker
    parser.set_defaults(run=_run)


def _traces(args: argparse.Namespace) -> int:
    from decomp.curves.traces import format_selection, select, selection_json, without_constants

    seeds = tuple(int(s) for s in args.subset_seed) if args.subset_seed else None
    baselines = tuple(args.baseline) if args.baseline else ("prior", "none")
    selection = select(args.rows, args.strategy, args.k, args.which, baselines, seeds, args.operator, args.where)
    check = without_constants(selection, args.without_constants) if args.without_constants is not None else None
    try:
        if check is not None:
            print("\n".join(check))
        else:
            print(selection_json(selection) if args.json else format_selection(selection, args.limit))
        sys.stdout.flush()
    except BrokenPipeError:  # `decomp traces ... | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def add_trace_arguments(parser: argparse.ArgumentParser) -> None:
    """The `decomp traces` flags: which runs of a results file, which of their questions, against what."""
    parser.add_argument("--rows", required=True, help="a results.jsonl, or the run folder holding it")
    parser.add_argument("--strategy", required=True, help="the strategy whose answers are read")
    parser.add_argument("--k", required=True, help="the training-set size (a number or all)")
    parser.add_argument("--which", default="correct",
                        help="correct | wrong | gained / lost (right / wrong where the first baseline is not) | all")
    parser.add_argument("--baseline", action="append", default=None,
                        help="a strategy answered beside it, paired by example id (repeatable; default prior, none)")
    parser.add_argument("--subset-seed", action="append", default=None, help="only these subset seeds (repeatable)")
    parser.add_argument("--operator", default=None,
                        help="only questions whose gold decomposition has a step of this operator (aggregate: counts)")
    parser.add_argument("--where", action="store_true",
                        help="where each answer stands in the question's paragraphs: supporting, distractors, both "
                             "or neither (HotpotQA; reads the dataset)")
    parser.add_argument("--limit", type=int, default=20, help="questions printed in full (the summary counts all)")
    parser.add_argument("--json", action="store_true", help="every selected question as JSON")
    parser.add_argument("--without-constants", type=float, default=None, metavar="SHARE",
                        help="with --which all: the strategy against the first baseline on every question, then on "
                             "those where neither gives an answer it gives to at least SHARE of a run's questions")
    parser.set_defaults(run=_traces)
