"""Run a learning curve: per cell, tune on a validation split of the training subset, then retrain the
best setting with each training seed (stopping by the budget's rule, see decomp.curves.training) and test
it on the evaluation set. The `prior` strategy (no reader), size 0 (the starting model) and in-context
readers (the subset as demonstrations) are evaluated without training or tuning.

`decomp curve --config configs/curves/<dataset>.yaml [--storage URL] [--workers N]`. Re-running the
same command resumes: finished trials and rows are kept, a dead worker's trial is failed and retried.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import time
import warnings
from argparse import Namespace
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import optuna
import torch
from lightning.pytorch import Callback, Trainer, seed_everything
from optuna.trial import TrialState

from decomp.curves.config import INT_PARAMS, Cell, CurveConfig, RunSpec, load_config, reader_class
from decomp.curves.fit_cache import FitCache
from decomp.curves.predictions import predictions_path, write_predictions
from decomp.curves.preflight import check_run_dir, check_starting_points, check_versions
from decomp.curves.rows import build_row
from decomp.curves.store import SUPERSEDED, append_row, claim, results_path, supersede
from decomp.curves.study import (
    WORKER_ATTR,
    create_studies,
    curve_hash,
    default_storage,
    done_runs,
    fail_dead_trials,
    load_study,
    open_storage,
    study_name,
    worker_id,
)
from decomp.curves.training import fit
from decomp.errors import ConfigError
from decomp.precision import resolve_precision, worker_threads
from decomp.provenance import git_commit

POLL_S = 1.0


class PruningCallback(Callback):
    """Reports the validation metric to the trial after each validation and prunes a hopeless trial."""

    def __init__(self, trial: optuna.Trial, metric: str) -> None:
        self.trial, self.metric = trial, metric

    def on_validation_end(self, trainer: Trainer, module) -> None:
        if trainer.sanity_checking or self.metric not in trainer.callback_metrics:
            return
        value = float(trainer.callback_metrics[self.metric])
        self.trial.report(value, step=trainer.global_step)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"{self.metric}={value:.2f} at step {trainer.global_step}")


def _data_module(config: CurveConfig, cell: Cell, batch_size: int, validation: bool):
    from decomp.data.module import DecompDataModule

    dm = DecompDataModule(dataset=config.dataset, **config.data, k=cell.k, fold=cell.fold,
                          subset_seed=cell.subset_seed, batch_size=batch_size,
                          val_fraction=config.val_fraction if validation else 0.0)
    dm.setup()
    return dm


def _reader(config: CurveConfig, cell: Cell, params: dict, seed: int):
    seed_everything(seed, verbose=False)
    extra = {k: params[k] for k in ("lr", "weight_decay", "warmup_ratio") if k in params}
    return reader_class(cell.reader)(**config.readers[cell.reader], **extra, strategy=cell.strategy.name,
                                     strategy_options=cell.strategy.options or None, seed=seed)


def _trainer_options(config: CurveConfig) -> dict:
    options = {"accelerator": "auto", "devices": 1, "precision": "auto", **config.trainer}
    options["precision"] = resolve_precision(options["precision"], options["accelerator"])  # auto: bf16 if native
    return options


def _trainer(config: CurveConfig, max_steps: int, callbacks: list, val_every: int | None = None) -> Trainer:
    options = _trainer_options(config)
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
            is_int = name in INT_PARAMS
            suggest_fn = trial.suggest_int if is_int else trial.suggest_float
            cast = int if is_int else float
            step = spec.get("step")
            params[name] = suggest_fn(name, cast(spec["low"]), cast(spec["high"]), log=bool(spec.get("log")),
                                      **({"step": cast(step)} if step else {}))
        else:
            params[name] = spec
    return params


def train_cell(config: CurveConfig, cell: Cell, params: dict, seed: int, validation: bool, callbacks: tuple = (),
               cache: FitCache | None = None, run_id: str = "", by_rule: bool = False):
    """Build the cell's data and reader with `params` and train under the budget: (data module, reader,
    budget record, validation tracker or None). With `cache`, a fit it holds is loaded instead of trained
    (no tracker then) and a fit trained here is added to it. `by_rule`: a validation split smaller than
    `budget.min_val_questions` is given back to training and the fit runs to the rule's cap."""
    dm = _data_module(config, cell, params["batch_size"], validation)
    small_split = None
    if by_rule and validation and len(dm.val_set) < config.budget.min_val_questions:
        small_split, validation = len(dm.val_set), False
        dm = _data_module(config, cell, params["batch_size"], validation=False)
    epochs = params.get("epochs")
    if small_split is not None and config.budget.rule_epochs is not None:
        epochs = config.budget.rule_epochs
    reader = _reader(config, cell, params, seed)
    dm.use_training_data(reader.training_data())  # one training-data path with `decomp fit`
    key = cache.key(reader, dm, params["batch_size"], config.budget, config.metric,
                    str(_trainer_options(config)["precision"]), epochs) if cache else None
    if key and (budget := cache.load(key, reader)) is not None:
        print(f"  fit loaded from the fit cache ({key}, trained by {budget['reused_fit']['trained_by']})",
              file=sys.stderr)
        return dm, reader, budget, None
    loader = dm.train_dataloader()
    budget, tracker = fit(config.budget, config.metric, functools.partial(_trainer, config), reader, loader,
                          dm.val_dataloader() if validation else None, epochs, callbacks, echo=True)
    if small_split is not None:
        budget["stop_reason"] = f"{budget['stop_reason']} (rule: a validation split of {small_split} < " \
                                f"{config.budget.min_val_questions} questions chooses nothing)"
    budget["min_val_questions"] = config.budget.min_val_questions
    if key:
        cache.save(key, reader, budget, trained_by=run_id)
    return dm, reader, budget, tracker


def objective(config: CurveConfig, cell: Cell):
    def run(trial: optuna.Trial) -> float:
        trial.set_user_attr(WORKER_ATTR, worker_id())
        params = suggest(trial, config.space)
        _, _, budget, tracker = train_cell(config, cell, params, config.training_seeds[0], validation=True,
                                           callbacks=(PruningCallback(trial, config.metric),))
        trial.set_user_attr("budget", budget)
        # A converged fit keeps its best validated weights: that is the score of what it trained.
        return tracker.best if config.budget.patience else tracker.last
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


def _strategy_class(cell: Cell) -> type:
    from decomp.strategies import REGISTRY

    return REGISTRY[cell.strategy.name]


def trains(cell: Cell) -> bool:
    """Whether the cell fine-tunes a reader (and so is tuned): not the prior, size 0 or an in-context reader."""
    return (_strategy_class(cell).needs_reader and cell.k != 0
            and not reader_class(cell.reader).in_context)


@dataclass
class Outcome:
    """What one evaluated (cell, training seed) gives the row."""

    dm: object
    strategy: dict
    records: list[dict]
    metrics: dict
    learner: str
    reader_args: dict = field(default_factory=dict)
    budget: dict | None = None
    n_demonstrations: int | None = None
    precision: str | None = None


def _evaluate_prior(config: CurveConfig, cell: Cell) -> Outcome:
    """A strategy without a reader (`prior`): fit on the training subset, answer the evaluation set."""
    from decomp.metrics.scoring import prediction_record
    from decomp.strategies import get_strategy

    dm = _data_module(config, cell, 1, validation=False)
    strategy = get_strategy(cell.strategy.name, **cell.strategy.options)
    strategy.fit(dm.fit_set)
    predictions = {p.example_id: p for p in strategy.predict(dm.eval_set)}
    records = [prediction_record(e, predictions[e.id]) for e in dm.eval_set]
    metrics = {f"test_{m}": 100 * sum(r[m] for r in records) / len(records) for m in ("em", "f1")}
    return Outcome(dm, strategy.describe(), records, metrics, learner="none")


def _evaluate_reader(config: CurveConfig, cell: Cell, params: dict, seed: int, cache: FitCache | None = None,
                     run_id: str = "") -> Outcome:
    """Fine-tune the reader under the budget (an in-context reader gets the subset as demonstrations;
    size 0 evaluates the starting model), then test it."""
    budget = n_demo = None
    if reader_class(cell.reader).in_context or cell.k == 0:  # no training (nor batch size)
        dm = _data_module(config, cell, params.get("batch_size", 1), validation=False)
        reader = _reader(config, cell, params, seed)
    if reader_class(cell.reader).in_context:
        n_demo = reader.set_demonstrations(list(dm.fit_set))
    elif cell.k == 0:
        budget = {"kind": config.budget.kind, "min_steps": 0, "max_steps": 0, "steps_trained": 0,
                  "stop_reason": "zero-shot", "patience": None}
    else:
        dm, reader, budget, _ = train_cell(config, cell, params, seed, validation=config.budget.kind == "converged",
                                           cache=cache, run_id=run_id, by_rule=True)
    trainer = _trainer(config, -1, [])
    trainer.test(reader, dm.test_dataloader(), verbose=False)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test_")}
    return Outcome(dm, reader.strategy.describe(), reader.predictions["test"], metrics,
                   learner="in-context" if n_demo is not None else "finetune",
                   reader_args={**reader.hparams, "reader_version": reader.version,
                                **({"init": reader.starting_point()} if reader.starting_point() else {})},
                   budget=budget, n_demonstrations=n_demo, precision=str(trainer.precision))


def _trials(study: optuna.Study | None) -> list[dict]:
    return [{"number": t.number, "state": t.state.name, "params": t.params, "value": t.value,
             "budget": t.user_attrs.get("budget")} for t in (study.get_trials(deepcopy=False) if study else [])]


def retrain_and_test(config: CurveConfig, cell: Cell, study: optuna.Study | None, seed: int, run_id: str,
                     config_hash: str, run_dir: Path | None = None, cache: FitCache | None = None,
                     params: dict | None = None) -> dict:
    """Train with the best trial's setting (the fixed space when the cell is not tuned; `params` when given,
    as a replay does), test, build the row with the run's spec; with `run_dir`, the predictions and their
    traces go to its predictions file first."""
    from decomp.metrics.breakdown import per_operator

    start = time.time()
    reads = _strategy_class(cell).needs_reader
    if params is None:
        params = {**{k: v for k, v in config.space.items() if not isinstance(v, list | dict)},
                  **(study.best_trial.params if study is not None else {})} if reads else {}
    params = dict(params)  # max_steps is added below: the spec keeps what the fit was given
    spec = RunSpec(config, cell, seed, dict(params)).to_dict()
    out = _evaluate_reader(config, cell, params, seed, cache, run_id) if reads else _evaluate_prior(config, cell)
    if out.budget:
        params["max_steps"] = out.budget["steps_trained"]
    best = {"number": study.best_trial.number, "value": study.best_value} if study is not None else None
    if run_dir is not None:
        write_predictions(predictions_path(run_dir, run_id), out.records)
    return build_row(
        run_id=run_id, config=config, cell=cell, seed=seed, trials=_trials(study), best=best,
        search=config.search if study is not None else "fixed", data=out.dm.describe(), strategy=out.strategy,
        reader=out.reader_args, params=params, metrics=out.metrics,
        per_operator=per_operator(out.records, {e.id: e.operators for e in out.dm.eval_set}), records=out.records,
        examples=out.dm.eval_set, run_time_s=time.time() - start, config_hash=config_hash,
        study_name=study_name(config, cell), budget=out.budget, learner=out.learner,
        n_demonstrations=out.n_demonstrations, precision=out.precision, spec=spec)


def replay(spec: RunSpec, row: dict) -> dict:
    """Train and test again the run `row`'s spec describes: no tuning (the spec holds the chosen hyper-
    parameters), no fit cache, nothing written. The replayed row keeps the row's names (run_id, config hash,
    study), which may come from an older naming than the spec's."""
    _quiet()
    torch.set_num_threads(worker_threads())  # as run_curve: a CPU fit's float sums depend on the thread count
    git_commit()
    replayed = retrain_and_test(spec.config, spec.cell, None, spec.seed, row["run_id"], row["config_hash"],
                                params=spec.params)
    return {**replayed, "study": row.get("study")}


def run_worker(config: CurveConfig, storage_url: str, run_dir: Path, on_row=None,
               cache: FitCache | None = None) -> None:
    """Work through every cell: tune (shared with other workers), then claim and run missing rows."""
    storage = open_storage(storage_url, config)
    path, digest = results_path(run_dir), curve_hash(config)
    while True:
        pending = False
        done = done_runs(path)  # once per pass: a row added meanwhile is caught by the check under the claim
        for cell in config.cells():
            ids = {seed: f"{study_name(config, cell)}/seed={seed}" for seed in config.training_seeds}
            if set(ids.values()) <= done:
                continue
            study = tune(storage, config, cell) if config.n_trials and trains(cell) else None
            for seed, run_id in ids.items():
                with claim(run_dir, run_id) as mine:
                    if not mine:
                        pending = True  # another worker is on it; if it dies, its lock goes with it
                        continue
                    if run_id in done_runs(path):
                        continue
                    row = retrain_and_test(config, cell, study, seed, run_id, digest, run_dir, cache)
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


def check_adapted_starts(config: CurveConfig, run_dir: Path) -> None:
    """Readers that start from an adapted model: one starting point per curve, and none that read what the
    curve evaluates on."""
    from decomp.readers.starts import adapted_folder, check_curve_start, read_card

    inits = {}
    for kind, args in config.readers.items():
        folder = adapted_folder(str(args.get("model", "")))
        inits[kind] = read_card(folder) if folder else None
        if folder:
            check_curve_start(str(args["model"]), config.dataset, config.data)
    check_starting_points(results_path(run_dir), inits)


def check_supersede_names(names: Sequence[str], strategies: Sequence[str], curve: str) -> None:
    """Every `--supersede` name is a strategy of the curve."""
    unknown = [n for n in names if n not in strategies]
    if unknown:
        raise ConfigError(f"--supersede {unknown[0]!r}: not a strategy of curve {curve!r} "
                          f"(its strategies: {', '.join(strategies)})")


def run_curve(args: Namespace) -> int:
    from decomp.curves.progress import CurveProgress

    _quiet()
    torch.set_num_threads(worker_threads())  # one worker uses every core; spawned workers get their share
    config = load_config(args.config)
    git_commit()  # the commit of the code this process loaded, for every row it writes
    run_dir = Path(args.run_dir or config.run_dir)
    workers = args.workers
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers}")
    url = args.storage or default_storage(run_dir, workers)
    if args.supersede:  # bad flags are refused before the run folder is made
        check_supersede_names(args.supersede, [s.name for s in config.strategies], config.name)
    cache = FitCache(args.fit_cache) if args.fit_cache else None
    check_run_dir(run_dir, url)  # before any training: an unwritable path is an error now, not after a cell
    from decomp.strategies import REGISTRY  # after the config check, as the runner's other registry reads

    if args.supersede:
        moved = supersede(run_dir, {name: REGISTRY[name].format_version for name in args.supersede})
        names = ", ".join(args.supersede)
        print(f"decomp curve: {len(moved)} row(s) of {names} of another version moved to {run_dir / SUPERSEDED}; "
              "they are recomputed" if moved else f"decomp curve: no row of {names} is of another version",
              file=sys.stderr)
    check_versions(results_path(run_dir), {kind: reader_class(kind).version for kind in config.readers},
                          {s.name: REGISTRY[s.name].format_version for s in config.strategies})
    check_adapted_starts(config, run_dir)
    if args.worker:
        run_worker(config, url, run_dir, cache=cache)
        return 0
    create_studies(open_storage(url, config, workers), config)
    progress = CurveProgress(config, results_path(run_dir))
    with progress:
        if workers == 1:
            run_worker(config, url, run_dir, on_row=lambda row: progress.refresh(), cache=cache)
        else:
            _spawn(args, url, run_dir, workers, progress)
    progress.summary()
    return 0


def _spawn(args: Namespace, url: str, run_dir: Path, workers: int, progress) -> None:
    command = [sys.executable, "-m", "decomp.cli", "curve", "--config", str(args.config), "--storage", url,
               "--run-dir", str(run_dir), "--worker", *(["--fit-cache", args.fit_cache] if args.fit_cache else [])]
    env = {**os.environ, "OMP_NUM_THREADS": str(worker_threads(workers))}  # the cores shared out, not each all
    procs = [subprocess.Popen(command, env=env) for _ in range(workers)]
    while any(p.poll() is None for p in procs):
        progress.refresh()
        time.sleep(POLL_S)
    progress.refresh()
    failed = [p.returncode for p in procs if p.returncode]
    if failed:
        raise ConfigError(f"{len(failed)} of {workers} workers failed (exit codes {failed}); "
                          "re-run the same command to resume")
