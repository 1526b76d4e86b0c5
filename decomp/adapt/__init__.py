"""QA adaptation of a reader's starting point (`decomp adapt`): see `decomp.adapt.train`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="an adaptation recipe, e.g. configs/adapt/minilm-qa.yaml")
    parser.add_argument("--data-dir", default=None, help="folder holding raw/ (default: $DECOMP_DATA_DIR)")
    parser.add_argument("--cache-dir", default=None, help="where adapted models live (default: $DECOMP_CACHE_DIR)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from decomp.data.datasets import resolve_data_dir
    from decomp.readers.starts import load_recipe

    recipe = load_recipe(args.config)  # a bad recipe fails before torch is imported
    from decomp.adapt.train import adapt

    folder = adapt(recipe, resolve_data_dir(args.data_dir), Path(args.cache_dir) if args.cache_dir else None,
                   progress=not args.no_progress)
    print(folder)
    return 0
