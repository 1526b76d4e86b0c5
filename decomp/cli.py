"""The `decomp` command: Lightning's fit/validate/test/predict plus the harness's own subcommands."""

from __future__ import annotations

import argparse
import sys

from decomp.curves.config import load_config
from decomp.data.datasets import DATASETS, SOURCE_OPTIONS
from decomp.errors import DecompError

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")


def _sources(args: argparse.Namespace) -> dict:
    return {k: getattr(args, k) for k in SOURCE_OPTIONS}


def _data_stats(args: argparse.Namespace) -> int:
    from decomp.data.stats import print_stats

    print_stats(args.dataset, data_dir=args.data_dir, lenient=not args.strict, n_synthetic=args.n_synthetic,
                **_sources(args))
    return 0


def _data_prepare(args: argparse.Namespace) -> int:
    from decomp.data.prepare import print_prepare

    print_prepare(args.dataset, out_dir=args.out, cache_dir=args.cache_dir, data_dir=args.data_dir,
                  lenient=not args.strict, **_sources(args))
    return 0


def _refit(args: argparse.Namespace) -> int:
    from decomp.curves.fit_spec import read_fit_spec

    spec, record = read_fit_spec(args.spec)  # a damaged spec fails before torch is imported
    from decomp.lightning_cli import refit

    return refit(spec, record, args.out)


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The data.* source options of curve configs and `decomp fit`, for the `data` subcommands."""
    parser.add_argument("--data-dir", default=None, help="folder holding raw/ (default: $DECOMP_DATA_DIR)")
    parser.add_argument("--source", default=None,
                        help="the dataset's questions: shared (default), hub, or a folder of the official files")
    parser.add_argument("--break-source", default=None,
                        help="BREAK: shared (default), hub, or a folder in the official layout "
                             "(QDMR-high-level/{train,dev,test}.csv)")
    parser.add_argument("--break-config", default=None, help="QDMR-high-level (default) or QDMR")
    parser.add_argument("--context", default=None, help="HotpotQA context: distractor (default) or gold")
    parser.add_argument("--n-distractors", type=int, default=None, help="HotpotQA context=gold: distractors added")
    parser.add_argument("--strict", action="store_true",
                        help="fail on the first malformed row instead of counting skips")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="decomp",
        description="When do question decompositions help a machine-reading model? "
                    f"Lightning subcommands: {', '.join(LIGHTNING_COMMANDS)} (see `decomp fit --help`).")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect the data layer").add_subparsers(dest="data_command",
                                                                                 required=True)
    stats = data.add_parser("stats", help="dataset cards, joined/unjoined counts per split, step and operator "
                                          "histograms")
    stats.add_argument("--dataset", choices=(*sorted(DATASETS), "all"), default="all",
                       help="a registered dataset (each has its card, decomp/data/cards/<name>.yaml), or all")
    _add_source_arguments(stats)
    stats.add_argument("--n-synthetic", type=int, default=1000, help="size of the synthetic set shown")
    stats.set_defaults(run=_data_stats)
    prepare = data.add_parser("prepare", help="build a dataset's joined tables from its configured sources into "
                                              "data/cache and data/prepared")
    prepare.add_argument("--dataset", choices=sorted(DATASETS), required=True,
                         help="a registered dataset (each has its card, decomp/data/cards/<name>.yaml)")
    _add_source_arguments(prepare)
    prepare.add_argument("--out", default=None, help="folder for the JSONL tables (default: data/prepared/...)")
    prepare.add_argument("--cache-dir", default=None, help="Arrow cache folder (default: data/cache)")
    prepare.set_defaults(run=_data_prepare)

    from decomp.adapt import add_arguments as add_adapt_arguments

    add_adapt_arguments(sub.add_parser("adapt", help="train a reader's starting point on QA data "
                                                     "(configs/adapt/<name>.yaml) into an adapted model folder"))
    from decomp.curves import add_arguments as add_curve_arguments  # light: the runner loads on use
    from decomp.curves import add_trace_arguments

    add_curve_arguments(sub.add_parser("curve", help="a learning curve as Optuna studies"))
    from decomp.curves.replay import add_arguments as add_replay_arguments

    add_replay_arguments(sub.add_parser("replay", help="train and test a result row again from the run spec it "
                                                       "embeds, and compare its scores"))
    refit = sub.add_parser("refit", help="fit again from the run spec (fit_spec.json) a `decomp fit` wrote")
    refit.add_argument("spec", metavar="RUN_DIR", help="a `decomp fit` run folder, or its fit_spec.json")
    refit.add_argument("--out", required=True, help="the new run folder")
    refit.set_defaults(run=_refit)
    add_trace_arguments(sub.add_parser("traces", help="a strategy's answers at one size, question by question, "
                                                      "with their traces and the baselines' answers"))

    from decomp.leaderboard import add_arguments as add_leaderboard_arguments

    add_leaderboard_arguments(sub.add_parser("leaderboard", help="the report of curve result rows"))

    from decomp.decomposers.cli import add_subcommands  # decompose, decompose-score

    add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        if words and words[0] in LIGHTNING_COMMANDS:
            from decomp.lightning_cli import run_lightning_cli

            run_lightning_cli(argv)  # None: LightningCLI reads sys.argv itself
            return 0
        args = build_parser().parse_args(words)
        if args.command == "curve":  # before the runner imports torch: a bad config fails in a second
            load_config(args.config)
        return args.run(args)
    except DecompError as exc:
        print(f"decomp: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
