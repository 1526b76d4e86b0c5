"""The `decomp` command: Lightning's fit/validate/test/predict plus the harness's own subcommands."""

from __future__ import annotations

import argparse
import sys

from decomp.errors import DecompError

LIGHTNING_COMMANDS = ("fit", "validate", "test", "predict")


def _data_stats(args: argparse.Namespace) -> int:
    from decomp.data.stats import print_stats

    print_stats(args.dataset, data_dir=args.data_dir, lenient=not args.strict, n_synthetic=args.n_synthetic)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="decomp",
        description="When do question decompositions help a machine-reading model? "
                    f"Lightning subcommands: {', '.join(LIGHTNING_COMMANDS)} (see `decomp fit --help`).")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="inspect the data layer").add_subparsers(dest="data_command",
                                                                                 required=True)
    stats = data.add_parser("stats", help="joined/unjoined counts, step and operator histograms")
    stats.add_argument("--dataset", choices=("drop", "hotpotqa", "synthetic", "all"), default="all")
    stats.add_argument("--data-dir", default=None,
                       help="folder holding raw/ (default: $DECOMP_DATA_DIR)")
    stats.add_argument("--strict", action="store_true",
                       help="fail on the first malformed row instead of counting skips")
    stats.add_argument("--n-synthetic", type=int, default=1000, help="size of the synthetic set shown")
    stats.set_defaults(run=_data_stats)

    from decomp.curves import add_arguments as add_curve_arguments  # light: the runner loads on use

    add_curve_arguments(sub.add_parser("curve", help="a learning curve as Optuna studies"))

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
        return args.run(args)
    except DecompError as exc:
        print(f"decomp: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
