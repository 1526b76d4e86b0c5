"""Run a learning curve: per cell, tune on a validation split of the training subset, then retrain the
best setting with each training seed on the whole subset and test it on the evaluation fold.

`decomp curve --config configs/curves/<dataset>.yaml [--storage URL] [--workers N]`. Re-running the
same command resumes: finished trials and rows are kept, a dead worker's trial is failed and retried.
"""

from __future__ import annotations

import importlib
import logging
import math
import os
import subprocess
import sys
import time
import warnings
from argparse import Namespace
from pathlib import Path

import optuna
from lightning.pytorch import Callback, Trainer, seed_everything
from optuna.trial import TrialState

from decomp.curves.config import READERS, Cell, CurveConfig, load_config
from decomp.curves.rows import append_row, build_row, claim, done_ids, results_path
from decomp.curves.study import (
    WORKER_ATTR,
    create_studies,
    curve_hash,
    default_storage,
    fail_dead_trials,
    load_study,
    open_storage,
    study_name,
    worker_id,
)
from decomp.errors import ConfigError

POLL_S = 1.0


class PruningCallback(Callback):
    """Reports the validation metric to the trial after each validation and prunes a hopeless trial."""

    def __init__(self, trial: optuna.Trial, metric: str) -> None:
        self.trial, self.metric = trial, metric
        self.last: float | None = None
        self.last_step = -1

    def on_validation_end(self, trainer: Trainer, module) -> None:
        if trainer.sanity_checking or self.metric not in trainer.callback_metrics:
            return
        self.last, self.last_step = float(trainer.callback_metrics[self.metric]), trainer.global_step
        self.trial.report(self.last, step=trainer.global_step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"{self.metric}={self.last:.2f} at step {trainer.global_step}")


def _data_module(config: CurveConfig, cell: Cell, batch_size: int, tuning: bool):
    from decomp.data.module import DecompDataModule

    dm = DecompDataModule(dataset=config.dataset, **config.data, k=cell.k, fold=cell.fold,
                          subset_seed=cell.subset_seed, batch_size=batch_size,
                          val_fraction=config.val_fraction if tuning else 0.0)
    dm.setup()
    return dm


def _reader(config: CurveConfig, cell: Cell, params: dict, seed: int):
    module_name, _, cls = READERS[cell.reader].rpartition(".")
    reader_cls = getattr(importlib.import_module(module_name), cls)
    seed_everything(seed, verbose=False)
    extra = {k: params[k] for k in ("lr", "weight_decay", "warmup_ratio") if k in params}
    return reader_cls(**config.readers[cell.reader], **extra, strategy=cell.strategy.name,
                      strategy_options=cell.strategy.options or None, seed=seed)


def step_budget(config: CurveConfig, epochs: int, steps_per_epoch: int) -> int:
    """The tuned epochs, raised to the floor max(min_epochs epochs, min_steps), capped by max_steps."""
    steps = max(epochs * steps_per_epoch, config.min_epochs * steps_per_epoch, config.min_steps, 1)
    return min(steps, config.max_steps) if config.max_steps else steps


def _trainer(config: CurveConfig, max_steps: int, callbacks: list, val_every: int | None = None) -> Trainer:
    options = {"accelerator": "auto", "devices": 1, "precision": "32-true", **config.trainer}
    return Trainer(max_steps=max_steps, max_epochs=-1, logger=False, enable_checkpointing=False,
                   enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                   check_val_every_n_epoch=None if val_every else 1, val_check_interval=val_every,
                   callbacks=callbacks, **options)


def suggest(trial: optuna.Trial, space: dict) -> dict:
    params = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            params[name] = trial.suggest_categorical(name, spec)
        elif isinstance(spec, dict):
            is_int = name in ("batch_size", "epochs")
            suggest_fn = trial.suggest_int if is_int else trial.suggest_float
            cast = int if is_int else float
            step = spec.get("step")
            params[name] = suggest_fn(name, cast(spec["low"]), cast(spec["high"]), log=bool(spec.get("log")),
                                      **({"step": cast(step)} if step else {}))
        else:
            params[name] = spec
    return params


def objective(config: CurveConfig, cell: Cell):
    def run(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker_id())
        params = suggest(trial, config.space)
        dm = _data_module(config, cell, params["batch_size"], tuning=True)
        reader = _reader(config, cell, params, config.training_seeds[0])
        loader = reader.training_loader(dm.fit_set, params["batch_size"])
        max_steps = step_budget(config, params["epochs"], len(loader))
        trial.set_user_attr("max_steps", max_steps)
        pruning = PruningCallback(trial, config.metric)
        trainer = _trainer(config, max_steps, [pruning], val_every=max(1, math.ceil(max_steps / config.reports)))
        trainer.fit(reader, loader, dm.val_dataloader())
        if pruning.last_step != trainer.global_step:  # the last report came before the end of training
            trainer.validate(reader, dm.val_dataloader(), verbose=False)
        return float(trainer.callback_metrics[config.metric])
    return run


def tune(storage, config: CurveConfig, cell: Cell) -> optuna.Study:
    """Run trials until the cell's study has n_trials finished ones, then wait for any still running."""
    study = load_study(storage, config, cell)
    while True:
        fail_dead_trials(study, config)
        trials = study.get_trials(deepcopy=False)
        finished = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
        running = sum(t.state == TrialState.RUNNING for t in trials)
        waiting = sum(t.state == TrialState.WAITING for t in trials)
        if finished + running < config.n_trials or (waiting and finished < config.n_trials):
            study.optimize(objective(config, cell), n_trials=1, catch=())
        elif running:
            time.sleep(POLL_S)  # other workers' trials: the best setting needs them
        else:
            break
    if not any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
        raise ConfigError(f"cell {cell.key}: every trial was pruned or failed; raise tuning.n_trials "
                          "or pruner.n_startup_trials")
    return study


def retrain_and_test(config: CurveConfig, cell: Cell, study: optuna.Study | None, seed: int, run_id: str,
                     config_hash: str) -> dict:
    """Train with the best trial's setting (the fixed space when the curve is not tuned) and test."""
    from decomp.lightning_cli import per_operator

    start = time.time()
    params = {**{k: v for k, v in config.space.items() if not isinstance(v, list | dict)},
              **(study.best_trial.params if study is not None else {})}
    dm = _data_module(config, cell, params["batch_size"], tuning=False)
    reader = _reader(config, cell, params, seed)
    loader = reader.training_loader(dm.fit_set, params["batch_size"])
    max_steps = step_budget(config, params["epochs"], len(loader))
    trainer = _trainer(config, max_steps, [])
    trainer.fit(reader, loader)
    trainer.test(reader, dm.test_dataloader(), verbose=False)
    records = reader.predictions["test"]
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test_")}
    ops = {e.id: e.operators for e in dm.eval_set}
    meta = {e.id: {"answer_type": e.answer_type, "question_type": e.question_type, "operators": list(e.operators)}
            for e in dm.eval_set}
    return build_row(
        run_id=run_id, config=config, cell=cell, seed=seed, study=study, study_name=study_name(config, cell),
        data=dm.describe(),
        strategy=reader.strategy.describe(), reader=dict(reader.hparams), params={**params, "max_steps": max_steps},
        metrics=metrics, per_operator=per_operator(records, ops), records=records,
        run_time_s=time.time() - start, config_hash=config_hash, example_meta=meta)


def run_worker(config: CurveConfig, storage_url: str, run_dir: Path, on_row=None) -> None:
    """Work through every cell: tune (shared with other workers), then claim and run missing rows."""
    storage = open_storage(storage_url, config)
    path, digest = results_path(run_dir), curve_hash(config)
    while True:
        pending = False
        for cell in config.cells():
            ids = {seed: f"{study_name(config, cell)}/seed={seed}" for seed in config.training_seeds}
            if set(ids.values()) <= done_ids(path):
                continue
            study = tune(storage, config, cell) if config.n_trials else None
            for seed, run_id in ids.items():
                with claim(run_dir, run_id) as mine:
                    if not mine:
                        pending = True  # another worker is on it; if it dies, its lock goes with it
                        continue
                    if run_id in done_ids(path):
                        continue
                    row = retrain_and_test(config, cell, study, seed, run_id, digest)
                    if append_row(path, row) and on_row:
                        on_row(row)
        if not pending:
            return
        time.sleep(POLL_S)


def _quiet() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    for message in (".*does not have many workers.*", ".*no `val_dataloader`.*", ".*treespec.*"):
        warnings.filterwarnings("ignore", message)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import transformers

    transformers.logging.set_verbosity_error()  # a load report per trained model would bury the progress lines
    transformers.logging.disable_progress_bar()


def run_curve(args: Namespace) -> int:
    from decomp.curves.progress import CurveProgress

    _quiet()
    config = load_config(args.config)
    run_dir = Path(args.run_dir or config.run_dir)
    workers = args.workers
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    url = args.storage or default_storage(run_dir, workers)
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.worker:
        run_worker(config, url, run_dir)
        return 0
    create_studies(open_storage(url, config, workers), config)
    progress = CurveProgress(config, results_path(run_dir))
    with progress:
        if workers == 1:
            run_worker(config, url, run_dir, on_row=lambda row: progress.refresh())
        else:
            _spawn(args, url, run_dir, workers, progress)
    progress.summary()
    return 0


def _spawn(args: Namespace, url: str, run_dir: Path, workers: int, progress) -> None:
    command = [sys.executable, "-m", "decomp.cli", "curve", "--config", str(args.config), "--storage", url,
               "--run-dir", str(run_dir), "--worker"]
    procs = [subprocess.Popen(command) for _ in range(workers)]
    while any(p.poll() is None for p in procs):
        progress.refresh()
        time.sleep(POLL_S)
    progress.refresh()
    failed = [p.returncode for p in procs if p.returncode]
    if failed:
        raise ConfigError(f"{len(failed)} of {workers} workers failed (exit codes {failed}); "
                          "re-run the same command to resume")
