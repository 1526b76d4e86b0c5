"""`decomp fit|validate|test|predict --config configs/<dataset>/<reader>-<strategy>.yaml`.

A LightningCLI over any LightningModule and data module given by class path: the readers with
`DecompDataModule` (the default data class, so reader configs give its arguments alone), and the
decomposer with `BreakDecompositionData` (`decomp fit --config configs/decomposers/minilm.yaml`). With
the harness's defaults: seed 0, a CSV logger, `last.ckpt` written every CHECKPOINT_EVERY_N_STEPS optimizer
steps and at the end (resume a killed run with `--ckpt_path last`; `--start_fresh true` when none exists),
bf16 where the processor has it (`--trainer.precision auto`), the resolved config saved beside the run, and a
recorder writing predictions (JSONL) and metrics (JSON).

A reader's config is also resolved, before any class is built, into its run spec (`decomp.curves.fit_spec`) by the
checkers of `decomp curve`'s configs, and `fit` writes it to `fit_spec.json` in the run folder; `decomp refit RUN_DIR
--out DIR` fits it again (`refit`).
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from lightning.fabric.connector import _PRECISION_INPUT
from lightning.pytorch import Callback, LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import BasePredictionWriter
from lightning.pytorch.cli import LightningCLI
from lightning.pytorch.plugins.io import CheckpointIO

from decomp.curves.fit_spec import FIT_SPEC, FitSpec, check_config_files, fit_spec, read_fit_spec, spec_record
from decomp.curves.preflight import writable_folder
from decomp.errors import ConfigError
from decomp.io import write_atomic
from decomp.metrics.breakdown import executor_answer_distribution, per_operator
from decomp.precision import resolve_precision
from decomp.provenance import config_hash, git_commit, package_versions
from decomp.readers.checkpoint import AtomicCheckpointIO, LastCheckpoint

# A killed `fit` loses at most this many optimizer steps (a few minutes of MiniLM on 2 CPU cores); the shipped
# configs carry it as `checkpoint.every_n_train_steps`.
CHECKPOINT_EVERY_N_STEPS = 100


def run_dir(trainer: Trainer) -> Path:
    return Path(trainer.log_dir or trainer.default_root_dir)


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(record, default=str) + "\n" for record in records)


def _write_json(path: Path, payload: dict) -> None:
    """Write atomically: a crash mid-write never leaves a truncated results file."""
    write_atomic(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


class RunRecorder(BasePredictionWriter):
    """Writes `predictions.jsonl` (predict), `test_predictions.jsonl` and `metrics.json` (test).

    Each file is written once, atomically, when its loop ends: an interrupted run never passes off a partial
    file as complete, nor truncates an earlier complete one. Records are small, so predict keeps them in memory.
    """

    def __init__(self) -> None:
        super().__init__(write_interval="batch")
        self._predicted: list[dict] = []

    def run_summary(self, trainer: Trainer, module: LightningModule) -> dict:
        dm = trainer.datamodule
        strategy = getattr(module, "strategy", None)
        return {"data": dm.describe() if hasattr(dm, "describe") else None,
                "strategy": strategy.describe() if strategy else None,
                "reader": {"class": type(module).__name__, **dict(module.hparams)},
                "unanswerable_training_inputs": getattr(module, "unanswerable", None),
                "git_commit": git_commit(), "versions": package_versions(),
                "device": torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu",
                "precision": str(trainer.precision)}

    # --- predict ---
    def on_predict_start(self, trainer: Trainer, module: LightningModule) -> None:
        self._predicted = []

    def write_on_batch_end(self, trainer, module, prediction, batch_indices, batch, batch_idx,
                           dataloader_idx) -> None:
        self._predicted.extend(prediction)

    def on_predict_end(self, trainer: Trainer, module: LightningModule) -> None:
        if trainer.is_global_zero:
            write_atomic(run_dir(trainer) / "predictions.jsonl", _jsonl(self._predicted))
        self._predicted = []

    # --- test ---
    def on_test_end(self, trainer: Trainer, module: LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        out = run_dir(trainer)
        records = module.predictions["test"]
        write_atomic(out / "test_predictions.jsonl", _jsonl(records))
        eval_set = getattr(trainer.datamodule, "eval_set", [])
        ops = {e.id: e.operators for e in eval_set}
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test_")}
        _write_json(out / "metrics.json", {"metrics": metrics, "n": len(records),
                                           "per_operator": per_operator(records, ops),
                                           "executor_answers": executor_answer_distribution(records, eval_set),
                                           **self.run_summary(trainer, module)})


def keep_earlier_logs(log_dir: Path) -> Path | None:
    """Lightning's CSV logger deletes an existing `metrics.csv` of its folder (a resumed run's history):
    move it aside as `metrics-<n>.csv` first, and return where it went."""
    metrics = log_dir / "metrics.csv"
    if not metrics.is_file():
        return None
    n = 1
    while (log_dir / f"metrics-{n}.csv").exists():
        n += 1
    metrics.rename(log_dir / f"metrics-{n}.csv")
    return log_dir / f"metrics-{n}.csv"


class RefuseOverwrite(Callback):
    """A fresh `fit` into a run folder that already holds a checkpoint would clobber it: refuse."""

    def on_fit_start(self, trainer: Trainer, module: LightningModule) -> None:
        if trainer.ckpt_path is None and any(
                next(Path(cb.dirpath).glob("*.ckpt"), None) for cb in trainer.checkpoint_callbacks if cb.dirpath):
            folder = trainer.checkpoint_callbacks[0].dirpath
            raise ConfigError(f"{folder} already holds checkpoints of an earlier run: resume it with "
                              "`--ckpt_path last`, or give this run another folder "
                              "(--trainer.logger.init_args.save_dir)")


class RecordFitSpec(Callback):
    """Writes the run spec into the run folder once the fit starts: after `RefuseOverwrite` has let it, so a
    refused fit leaves the earlier run's spec as it was."""

    def __init__(self, spec: FitSpec) -> None:
        self.spec = spec

    def on_fit_start(self, trainer: Trainer, module: LightningModule) -> None:
        if trainer.is_global_zero:
            _write_json(run_dir(trainer) / FIT_SPEC, spec_record(self.spec, reader_version=module.version))


class RestoreRNG(Callback):
    """Checkpoints the random generators (dropout draws), which Lightning does not, so that a resumed run
    continues the uninterrupted run's random stream instead of restarting it from the seed. Plain types and
    tensors only: Lightning loads checkpoints with `weights_only=True`. The states are set when training
    starts, since setting up the data loaders (after the checkpoint is read) draws from the generator."""

    def __init__(self) -> None:
        self._restore: dict | None = None

    def state_dict(self) -> dict:
        kind, key, pos, has_gauss, gauss = np.random.get_state()
        state = {"torch": torch.get_rng_state(), "python": random.getstate(),
                 "numpy": [kind, key.tolist(), pos, has_gauss, gauss]}
        if torch.cuda.is_available():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: dict) -> None:
        self._restore = state

    def on_train_start(self, trainer: Trainer, module: LightningModule) -> None:
        if self._restore is None:
            return
        state, self._restore = self._restore, None
        torch.set_rng_state(state["torch"])
        random.setstate(state["python"])
        kind, key, pos, has_gauss, gauss = state["numpy"]
        np.random.set_state((kind, np.array(key, dtype=np.uint32), pos, has_gauss, gauss))
        if "cuda" in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["cuda"])


class DecompTrainer(Trainer):
    """Lightning's Trainer that also takes `precision: auto` (bf16 autocast where the processor has bf16,
    else fp32; `decomp.precision`), resolved here, before the Trainer is built, and writes checkpoints
    atomically (`AtomicCheckpointIO`) unless its plugins name another CheckpointIO."""

    def __init__(self, *args, precision: _PRECISION_INPUT | Literal["auto"] | None = "auto", **kwargs) -> None:
        accelerator = kwargs.get("accelerator")
        plugins = kwargs.pop("plugins", None) or []
        plugins = list(plugins) if isinstance(plugins, (list, tuple)) else [plugins]
        if not any(isinstance(plugin, CheckpointIO) for plugin in plugins):
            plugins.append(AtomicCheckpointIO())
        super().__init__(*args, precision=resolve_precision(
            precision, accelerator if isinstance(accelerator, str) else None), plugins=plugins, **kwargs)


class DecompCLI(LightningCLI):
    fit_spec: FitSpec | None = None  # a reader's run spec (None: another model, e.g. the decomposer)

    def parse_arguments(self, parser, args) -> None:
        if args is None or isinstance(args, list | tuple):
            check_config_files(sys.argv[1:] if args is None else args)
        super().parse_arguments(parser, args)

    def add_arguments_to_parser(self, parser) -> None:
        parser.add_lightning_class_args(LastCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.save_top_k": 0,
                             "checkpoint.every_n_train_steps": CHECKPOINT_EVERY_N_STEPS,
                             "data": {"class_path": "decomp.data.module.DecompDataModule"}})
        parser.add_argument("--start_fresh", type=bool, default=False,
                            help="with --ckpt_path last: start from step 0 when the run has no checkpoint "
                                 "(otherwise an error)")

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config  # run=False: no subcommand
        files = [str(path) for path in config.get("config") or () if path is not None]
        self.fit_spec = fit_spec(config.as_dict(), ", ".join(files) or "from the command line")
        # validate/test/predict log into a subfolder of the run (e.g. runs/x/test/), so they never
        # overwrite the training run's metrics.csv, config.yaml or results of an earlier evaluation.
        logger = getattr(self.config.get(self.subcommand, {}), "trainer", None)
        logger = getattr(logger, "logger", None)
        init = getattr(logger, "init_args", None)
        if self.subcommand != "fit" and init is not None and "version" in init:
            init.version = self.subcommand if not init.version else f"{init.version}/{self.subcommand}"

    def instantiate_classes(self) -> None:
        # jsonargparse reports a model class refusing its arguments (e.g. an unknown strategy) as a bare
        # ValueError listing each subtype tried: it is a configuration error, reported without a traceback.
        try:
            super().instantiate_classes()
        except ConfigError:
            raise
        except ValueError as exc:
            raise ConfigError(f"invalid configuration: {exc}") from exc

    def before_fit(self) -> None:
        folder = run_dir(self.trainer)
        writable_folder(folder)  # an unwritable save_dir: a one-line error now, not a traceback at the first log
        self._check_adapted_start()
        self._resume_or_refuse(folder)
        keep_earlier_logs(folder)
        self._record_config()
        if self.fit_spec is not None:
            self.trainer.callbacks.append(RecordFitSpec(self.fit_spec))
        # The reader's featurization goes to the data layer, which then builds the training batches itself.
        if hasattr(self.datamodule, "use_training_data") and hasattr(self.model, "training_data"):
            self.datamodule.use_training_data(self.model.training_data())

    def _check_adapted_start(self) -> None:
        """A reader started from an adapted model must not have read what this run evaluates on (as a curve
        checks it)."""
        from decomp.readers.starts import check_curve_start

        model, hparams = getattr(self.model, "hparams", {}), getattr(self.datamodule, "hparams", {})
        if "model" in model and "dataset" in hparams:
            check_curve_start(str(model["model"]), hparams["dataset"], dict(hparams))

    def _resume_or_refuse(self, folder: Path) -> None:
        """`--ckpt_path last` in a run without a checkpoint would silently train from step 0 (Lightning only
        warns): refuse, unless `--start_fresh true` asks for exactly that."""
        config = self.config[self.subcommand]
        if config.get("ckpt_path") != "last":
            return
        folders = [Path(cb.dirpath) if cb.dirpath else folder / "checkpoints"
                   for cb in self.trainer.checkpoint_callbacks]
        if any(next(f.glob("last*.ckpt"), None) for f in folders if f.is_dir()):
            return
        if not config.get("start_fresh"):
            raise ConfigError(f"--ckpt_path last: the run folder {folder} holds no checkpoint to resume "
                              f"(looked in {', '.join(map(str, folders))}); pass --start_fresh true to train "
                              "from step 0, or give the folder of the run to resume "
                              "(--trainer.logger.init_args.save_dir)")
        self.config_init[self.subcommand]["ckpt_path"] = None

    def _record_config(self) -> None:
        config = self.config.get(self.subcommand)
        if config is not None and self.trainer.logger is not None:
            self.trainer.logger.log_hyperparams({"config_hash": config_hash(config.as_dict())})


def run_lightning_cli(args: list[str] | None = None) -> DecompCLI:
    """Run the CLI on `args` (None: the process's own command line)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return DecompCLI(
        LightningModule, LightningDataModule, trainer_class=DecompTrainer, subclass_mode_model=True,
        subclass_mode_data=True, args=args,
        seed_everything_default=0,
        save_config_kwargs={"overwrite": True},
        trainer_defaults={
            "precision": "auto",
            "logger": {"class_path": "lightning.pytorch.loggers.CSVLogger",
                       "init_args": {"save_dir": "runs", "name": "default"}},
            "callbacks": [RunRecorder(), RefuseOverwrite(), RestoreRNG()],
        },
    )


# Recorded beside a fit's spec; a difference explains a refit that trains otherwise (printed, not failed on).
FIT_PROVENANCE = ("reader_version", "strategy_version", "git_commit")


def refit(spec: FitSpec, record: dict, out: str | Path) -> int:
    """Fit `spec` (read with its `record` from a run's fit_spec.json) again into the run folder `out`; print which
    recorded versions differ now. 0 when the new run's spec is the recorded one, else 1."""
    run_lightning_cli(["fit", "--config", json.dumps(spec.lightning_config(out))])
    _, now = read_fit_spec(Path(out))
    same = now["spec"] == record["spec"]
    print(f"decomp refit: fitted again into {out}",
          *(f"differs: {name} {record.get(name)!r} -> {now.get(name)!r}" for name in FIT_PROVENANCE
            if record.get(name) != now.get(name)),
          "same spec" if same else "the new run's spec differs from the recorded one", sep="\n")
    return 0 if same else 1
