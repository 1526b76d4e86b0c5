"""Writes configs/<dataset>/<reader>-<strategy>.yaml for every dataset x reader x strategy.

Run `python configs/make_configs.py` after changing the defaults below; a test checks that the
committed files are what this script writes, so the grid never drifts out of step.
"""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
STRATEGIES = ("none", "implicit-operators", "implicit-steps", "explicit", "explicit-hybrid")
READERS = {"extractive": "decomp.readers.ExtractiveReader", "generative": "decomp.readers.GenerativeReader"}

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
    init = {"model": "minilm", "max_length": spec["max_length"], "lr": 1e-4 if reader == "extractive" else 3e-4,
            "attention_dropout": 0.0, "strategy": strategy}
    if strategy.startswith("explicit"):
        init["strategy_options"] = {"supervision": spec["supervision"]}
    if reader == "extractive":
        init["doc_stride"] = min(128, spec["max_length"] // 3)
    else:
        init["max_new_tokens"] = 32
    return {
        "seed_everything": 0,
        "trainer": {
            "max_epochs": spec["epochs"],
            "log_every_n_steps": 5,
            "logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                       "init_args": {"save_dir": f"runs/{dataset}/{reader}-{strategy}", "name": "",
                                     "version": ""}},
        },
        "model": {"class_path": READERS[reader], "init_args": init},
        "data": {**spec["data"], "protocol": "gold", "fold": 0, "k": "all", "subset_seed": 0,
                 "val_fraction": 0.1, "decompositions": "gold"},
    }


def render(dataset: str, reader: str, strategy: str) -> str:
    header = (f"# {reader} reader, `{strategy}` strategy on {dataset}.\n"
              f"# decomp fit --config configs/{dataset}/{reader}-{strategy}.yaml  (written by make_configs.py)\n")
    return header + yaml.safe_dump(config(dataset, reader, strategy), sort_keys=False)


def grid() -> dict[Path, str]:
    return {HERE / d / f"{r}-{s}.yaml": render(d, r, s) for d in DATASETS for r in READERS for s in STRATEGIES}


if __name__ == "__main__":
    for path, text in grid().items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(grid())} configs under {HERE}")
