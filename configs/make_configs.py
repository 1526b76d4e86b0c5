"""Writes configs/<dataset>/<reader>-<strategy>.yaml for every dataset x reader x strategy.

Readers and strategies are the registries' (a new one joins the grid with no edit here; a strategy
that needs no reader has no reader config); each reader supplies its own init args (`grid_args`).
Run `python configs/make_configs.py` after changing the defaults below; it also writes the one-GPU configs
(configs/make_gpu_configs.py). A test checks that the committed files are what these scripts write, so the
configs never drift out of step.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import yaml

from decomp.lightning_cli import CHECKPOINT_EVERY_N_STEPS
from decomp.readers import REGISTRY as READERS
from decomp.readers import class_path
from decomp.readers.base import ReaderModule
from decomp.strategies import REGISTRY as STRATEGIES

HERE = Path(__file__).resolve().parent

# Per dataset: data options, reader sizes, the training budget, and the sub-answer supervision that
# the data supports (synthetic has oracle sub-answers; BREAK has none; HotpotQA has bridge entities).
DATASETS = {
    "synthetic": {"data": {"dataset": "synthetic", "synthetic": {"n": 600, "seed": 0}, "batch_size": 16},
                  "max_length": 192, "epochs": 4, "supervision": "oracle"},
    "drop": {"data": {"dataset": "drop", "batch_size": 16}, "max_length": 384, "epochs": 10,
             "supervision": "final"},
    "hotpotqa": {"data": {"dataset": "hotpotqa", "batch_size": 16}, "max_length": 384, "epochs": 10,
                 "supervision": "heuristic"},
}


def config(dataset: str, reader: str, strategy: str) -> dict:
    spec = DATASETS[dataset]
    args = READERS[reader].grid_args(spec["max_length"])
    shared = ReaderModule.grid_args(spec["max_length"])
    # The args every reader shares, then the strategy, then the reader's own.
    init = {**{k: v for k, v in args.items() if k in shared}, "strategy": strategy}
    if "supervision" in inspect.signature(STRATEGIES[strategy]).parameters:
        init["strategy_options"] = {"supervision": spec["supervision"]}
    init.update({k: v for k, v in args.items() if k not in shared})
    return {
        "seed_everything": 0,
        "trainer": {
            "max_epochs": spec["epochs"],
            "log_every_n_steps": 5,
            "logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                       "init_args": {"save_dir": f"runs/{dataset}/{reader}-{strategy}", "name": "",
                                     "version": ""}},
        },
        # last.ckpt every N optimizer steps, so a killed run resumes with `--ckpt_path last`.
        "checkpoint": {"every_n_train_steps": CHECKPOINT_EVERY_N_STEPS},
        "model": {"class_path": class_path(reader), "init_args": init},
        "data": {**spec["data"], "protocol": "gold", "fold": 0, "k": "all", "subset_seed": 0,
                 "val_fraction": 0.1, "decompositions": "gold"},
    }


def render(dataset: str, reader: str, strategy: str) -> str:
    header = (f"# {reader} reader, `{strategy}` strategy on {dataset}.\n"
              f"# decomp fit --config configs/{dataset}/{reader}-{strategy}.yaml  (written by make_configs.py)\n")
    return header + yaml.safe_dump(config(dataset, reader, strategy), sort_keys=False)


def grid_strategies() -> list[str]:
    """The registry's strategies that train a reader (the grid's configs are reader configs)."""
    return [name for name, cls in STRATEGIES.items() if getattr(cls, "needs_reader", True)]


def grid() -> dict[Path, str]:
    return {HERE / d / f"{r}-{s}.yaml": render(d, r, s) for d in DATASETS for r in READERS for s in grid_strategies()}


def gpu_grid() -> dict[Path, str]:
    """The one-GPU configs of configs/make_gpu_configs.py (loaded by path, so this runs from any folder)."""
    spec = importlib.util.spec_from_file_location("make_gpu_configs", HERE / "make_gpu_configs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.grid()


if __name__ == "__main__":
    written = {**grid(), **gpu_grid()}
    for path, text in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(written)} configs under {HERE}")
