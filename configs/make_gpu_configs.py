"""Writes the one-GPU configs: configs/gpu/<dataset>/<reader>-<model>.yaml (`decomp fit`) and
configs/curves/<dataset>-gpu-<model>.yaml (`decomp curve`), for each pretrained model below on DROP and HotpotQA.

A seq2seq model is the generative reader with all weights tuned; a causal LM is both the LoRA-tuned `causal`
reader and the in-context `causal-icl` reader, on the same subsets of one curve. `python configs/make_configs.py`
runs this too; a test checks that the committed files are what it writes.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from decomp.readers import class_path

HERE = Path(__file__).resolve().parent
DATASETS = ("drop", "hotpotqa")
# HotpotQA's ten paragraphs need twice DROP's window (and room for demonstrations in context).
CAUSAL_MAX_LENGTH = {"drop": 1024, "hotpotqa": 2048}
ICL_WINDOW = {"drop": {"max_length": 6144, "query_tokens": 1024},
              "hotpotqa": {"max_length": 8192, "query_tokens": 2048}}

# short name -> (hub id, the fit's learning rate); the curve searches around it (see `_lr_range`).
SEQ2SEQ = {
    "bart-base": ("facebook/bart-base", 3e-5),
    "flan-t5-base": ("google/flan-t5-base", 3e-4),
    "t5-base": ("t5-base", 3e-4),
    "unifiedqa-t5-base": ("allenai/unifiedqa-v2-t5-base-1363200", 3e-4),
}
CAUSAL = {
    "qwen2.5-0.5b": ("Qwen/Qwen2.5-0.5B-Instruct", 2e-4),
    "smollm2-360m": ("HuggingFaceTB/SmolLM2-360M-Instruct", 2e-4),
}
LORA = {"finetune": "lora", "lora_rank": 16, "lora_alpha": 32, "lora_dropout": 0.05,
        "lora_target_modules": "all-linear"}

CURVE = {
    "strategies": ["prior", "none", "implicit-operators", "implicit-steps", "explicit-hybrid"],
    "sizes": [8, 16, 32, 64, 128, 256, 512, "all"],
    "folds": [0],
    "subset_seeds": [0, 1, 2],
    "training_seeds": [0],
}
TUNING = {"n_trials": 4, "search": "random", "sampler_seed": 0, "metric": "val_f1", "val_fraction": 0.2,
          "pruner": {"n_startup_trials": 2, "n_warmup_steps": 0}}
BUDGET = {"min_steps": 100, "max_steps": 1000, "patience": 4, "val_every": 25}


# --- reader arguments ----------------------------------------------------------------------------------
def generative_args(model: str) -> dict:
    return {"model": model, "max_length": 512, "max_new_tokens": 32, "eval_batch_size": 64}


def causal_args(model: str, dataset: str) -> dict:
    return {"model": model, "max_length": CAUSAL_MAX_LENGTH[dataset], "max_new_tokens": 32, **LORA,
            "eval_batch_size": 32}


def icl_args(model: str, dataset: str) -> dict:
    return {"model": model, **ICL_WINDOW[dataset], "max_new_tokens": 32, "eval_batch_size": 8}


def _lr_range(family: str, lr: float) -> tuple[float, float]:
    """All weights tuned: a third to three times the fit's rate; LoRA tolerates a wider, higher range."""
    return (lr / 3, lr * 3) if family == "seq2seq" else (5e-5, 5e-4)


# --- `decomp fit` configs ------------------------------------------------------------------------------
def fit_config(dataset: str, name: str, reader: str, init: dict) -> dict:
    return {
        "seed_everything": 0,
        "trainer": {
            "max_epochs": 10, "precision": "bf16-mixed", "log_every_n_steps": 10,
            "logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                       "init_args": {"save_dir": f"runs/gpu/{dataset}/{name}", "name": "", "version": ""}},
        },
        "model": {"class_path": class_path(reader), "init_args": {**init, "strategy": "none"}},
        "data": {"dataset": dataset, "batch_size": 16, "protocol": "gold", "fold": 0, "k": "all", "subset_seed": 0,
                 "val_fraction": 0.1, "decompositions": "gold"},
    }


def _fit_line(dataset: str, name: str) -> str:
    return f"# decomp fit --config configs/gpu/{dataset}/{name}.yaml [--model.init_args.strategy explicit-hybrid]\n"


def fit_configs(dataset: str) -> dict[str, tuple[str, dict]]:
    """file name -> (header, config) of the fit configs of one dataset."""
    out = {}
    for short, (model, lr) in SEQ2SEQ.items():
        name = f"generative-{short}"
        header = f"# {model} fine-tuned (all weights) as the generative reader on {dataset}, one GPU.\n"
        out[name] = (header + _fit_line(dataset, name),
                     fit_config(dataset, name, "generative", {**generative_args(model), "lr": lr}))
    for short, (model, lr) in CAUSAL.items():
        name = f"causal-icl-{short}"
        header = (f"# {model} prompted with demonstrations from the training subset (no weight update) on {dataset}.\n"
                  f"# decomp validate --config configs/gpu/{dataset}/{name}.yaml   (or `fit`: it picks the "
                  "demonstrations and validates)\n")
        out[name] = (header, fit_config(dataset, name, "causal-icl", icl_args(model, dataset)))
        name = f"causal-lora-{short}"
        header = f"# {model} fine-tuned with LoRA adapters (the causal reader) on {dataset}, one GPU.\n"
        out[name] = (header + _fit_line(dataset, name),
                     fit_config(dataset, name, "causal", {**causal_args(model, dataset), "lr": lr}))
    return out


# --- `decomp curve` configs ----------------------------------------------------------------------------
def curve_config(dataset: str, short: str, family: str) -> tuple[str, dict]:
    """The header and config of one model's learning curve on one dataset."""
    name = f"{dataset}-gpu-{short}"
    if family == "seq2seq":
        model, lr = SEQ2SEQ[short]
        readers = {"generative": generative_args(model)}
        about = f"# Learning curve on {dataset}: {model} as the generative reader (all weights tuned), one GPU.\n"
    else:
        model, lr = CAUSAL[short]
        readers = {"causal": causal_args(model, dataset), "causal-icl": icl_args(model, dataset)}
        about = (f"# Learning curve on {dataset}: {model} fine-tuned with LoRA (`causal`) and prompted in context\n"
                 "# (`causal-icl`, as many demonstrations of the same nested subset as fit) on the same subsets.\n")
    low, high = _lr_range(family, lr)
    config = {"name": name, "dataset": dataset, "data": {"protocol": "gold", "n_folds": 5, "decompositions": "gold"},
              "readers": readers, **CURVE,
              "tuning": {**TUNING, "space": {"lr": {"low": low, "high": high, "log": True}, "batch_size": 16}},
              "budget": BUDGET, "trainer": {"precision": "auto"}, "run_dir": f"runs/curves/{name}"}
    run = f"# decomp curve --config configs/curves/{name}.yaml [--storage postgresql://...] [--workers N]\n"
    return about + run, config


def grid() -> dict[Path, str]:
    """Every GPU config's path and text."""
    out = {}
    for dataset in DATASETS:
        for name, (header, config) in fit_configs(dataset).items():
            out[HERE / "gpu" / dataset / f"{name}.yaml"] = header + yaml.safe_dump(config, sort_keys=False)
        for family, models in (("seq2seq", SEQ2SEQ), ("causal", CAUSAL)):
            for short in models:
                header, config = curve_config(dataset, short, family)
                out[HERE / "curves" / f"{dataset}-gpu-{short}.yaml"] = header + yaml.safe_dump(config, sort_keys=False)
    return out


if __name__ == "__main__":
    for path, text in grid().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(f"wrote {len(grid())} GPU configs under {HERE}")
