"""Learning curves as Optuna studies: `decomp curve --config configs/curves/<dataset>.yaml`."""

from __future__ import annotations

import argparse


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
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # a spawned worker
    parser.set_defaults(run=_run)
