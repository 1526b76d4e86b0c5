"""Optuna storage and studies: one study per curve cell, named deterministically so a re-run resumes it.

One study per cell (rather than one study with the grid enqueued) because each size is tuned on its own:
TPE's history for k=16 says little about k=512, each cell resumes and finishes independently, and
several workers can share a cell or spread over cells without coordination beyond the storage.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import socket
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import optuna
from optuna.storages import RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from decomp.curves.config import Cell, CurveConfig, config_spec
from decomp.curves.store import read_rows
from decomp.errors import ConfigError
from decomp.hashing import json_digest, seeded_int

WORKER_ATTR = "worker"  # host:pid of the process running a trial, to fail it when that process is gone


# Keys that only choose which cells a curve runs: growing a curve by folds, subset seeds, sizes or strategies
# keeps the cells it has (their studies and rows), since none of these changes what a cell trains or scores.
CELL_SELECTION = ("folds", "subset_seeds", "sizes", "strategies", "training_seeds", "run_dir")


def spec_hash(spec: dict) -> str:
    """What changes the meaning of a cell, from a resolved config (`config_spec`, as a row's spec holds it):
    a changed config starts new studies and rows instead of resuming old ones."""
    return json_digest({k: v for k, v in spec.items() if k not in CELL_SELECTION}, 10)


def curve_hash(config: CurveConfig) -> str:
    return spec_hash(config_spec(config))


def study_name(config: CurveConfig, cell: Cell) -> str:
    return f"{config.name}-{curve_hash(config)}/{config.dataset}/{cell.key}"


def row_study(row: dict) -> str | None:
    """The study a row belongs to, named from the spec it embeds, so rows written under an older naming
    (or a config that listed fewer cells) resume; a row without a spec keeps the name it recorded."""
    spec = row.get("spec")
    try:
        config, key = spec["config"], Cell.from_dict(spec["cell"]).key
        return f"{config['name']}-{spec_hash(config)}/{config['dataset']}/{key}"
    except (KeyError, TypeError):
        return row.get("study")


def done_runs(path: Path) -> set[str]:
    """The run ids (study/seed=N) of the rows in a results file, named as `row_study` names them."""
    return {f"{row_study(r)}/seed={r['training_seed']}" for r in read_rows(path)[0]}


def default_storage(run_dir: Path, workers: int) -> str:
    # SQLite locks up under several writers; the journal file is Optuna's multi-process file storage.
    return f"sqlite:///{run_dir / 'optuna.db'}" if workers == 1 else f"journal:{run_dir / 'optuna.journal'}"


def driver_url(url: str) -> str:
    """`postgresql://` means psycopg 3 to SQLAlchemy 2.1; with only psycopg2 installed, name psycopg2."""
    if url.startswith("postgresql://") and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2://" + url.removeprefix("postgresql://")
    return url


SCHEMA_LOCK = 0x6465636F6D70  # "decomp": the PostgreSQL advisory lock held while a worker opens the storage


@contextmanager
def _first_open_lock(url: str) -> Iterator[None]:
    """Serialise opening an RDB storage across processes: opening creates the schema, and two processes doing
    it at once collide (PostgreSQL: `CREATE TYPE studydirection`; SQLite: `alembic_version.version_num`)."""
    if url.startswith("sqlite:///"):
        folder = os.open(Path(url.removeprefix("sqlite:///")).parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)  # released when closed, or when the process dies
            yield
        finally:
            os.close(folder)
        return
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    engine = sqlalchemy.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:  # a session-level lock: the server drops it with the connection
            connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
            yield
    finally:
        engine.dispose()


def open_storage(url: str, config: CurveConfig, workers: int = 1) -> optuna.storages.BaseStorage:
    """Open (creating the schema of) an Optuna storage:
    `sqlite:///FILE`, `postgresql[+driver]://...` or `journal:FILE` (Optuna's journal file storage)."""
    if url.startswith("journal:"):
        path = Path(url.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

        backend = JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path)))
        return optuna.storages.JournalStorage(backend)
    if url.startswith("sqlite:///"):
        if workers > 1:
            raise ConfigError("SQLite storage cannot take several writing workers ('database is locked'); "
                              "use --storage journal:FILE or postgresql://...")
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        kwargs = {"connect_args": {"timeout": 60}}
    elif url.startswith(("postgresql://", "postgresql+")):
        kwargs = {"pool_pre_ping": True}
    else:
        raise ConfigError(f"unsupported storage URL {url!r}: use sqlite:///FILE, postgresql://USER@HOST:PORT/DB "
                          "or journal:FILE")
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)  # heartbeat is "experimental"
    try:
        with _first_open_lock(driver_url(url)):
            return optuna.storages.RDBStorage(
                driver_url(url), engine_kwargs=kwargs, heartbeat_interval=config.heartbeat_interval,
                grace_period=config.grace_period,
                heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(config.max_retry))
    except Exception as exc:  # sqlalchemy/driver errors: name the storage, not a 40-line traceback
        raise ConfigError(f"cannot open Optuna storage {url!r}: {type(exc).__name__}: "
                          f"{str(exc).splitlines()[0] if str(exc) else ''}") from None


def sampler(config: CurveConfig, cell: Cell) -> optuna.samplers.BaseSampler:
    # Seeded per cell, so a cell's suggestions do not depend on which worker or order ran the others.
    # `config.search` says random when every trial would be one of TPE's random startup trials.
    seed = seeded_int(config.sampler_seed, cell.key, 8)
    if config.search == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=config.startup_trials)


def load_study(storage: optuna.storages.BaseStorage, config: CurveConfig, cell: Cell) -> optuna.Study:
    return optuna.create_study(storage=storage, study_name=study_name(config, cell), direction="maximize",
                               sampler=sampler(config, cell), pruner=optuna.pruners.MedianPruner(**config.pruner),
                               load_if_exists=True)


def create_studies(storage: optuna.storages.BaseStorage, config: CurveConfig, attempts: int = 5) -> None:
    """Create the schema and every study once, before workers start (concurrent creation races)."""
    for cell in config.cells() if config.n_trials else []:
        for attempt in range(attempts):
            try:
                load_study(storage, config, cell)
                break
            except Exception:  # another process created the schema or the study at the same moment
                if attempt == attempts - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(worker: str) -> bool:
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname():
        return True  # another machine's process: only the heartbeat (RDB storages) can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


def _orphaned(trial: optuna.trial.FrozenTrial, config: CurveConfig) -> bool:
    """A running trial that never recorded its worker (killed right after creating it) for grace_period s."""
    started = trial.datetime_start
    if started is None:
        return False
    now = datetime.now(started.tzinfo) if started.tzinfo else datetime.now()
    return (now - started).total_seconds() > config.grace_period


def fail_dead_trials(study: optuna.Study, config: CurveConfig) -> int:
    """Fail (and re-enqueue) running trials whose worker died: heartbeats for RDB, host:pid for all, and
    age for a trial whose worker died before recording itself."""
    optuna.storages.fail_stale_trials(study)  # heartbeats: a no-op on storages without them
    retry = RetryHeartbeatStaleTrialCallback(config.max_retry)
    failed = 0
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get(WORKER_ATTR)
        if worker and _alive(worker):
            continue
        if not worker and not _orphaned(trial, config):
            continue  # just created: its worker is about to record itself
        try:
            study.tell(trial.number, state=TrialState.FAIL)
        except (ValueError, optuna.exceptions.UpdateFinishedTrialError):
            continue  # no longer running: another worker failed it first
        retry(study, trial)  # re-enqueues its parameters (the snapshot taken while it ran)
        failed += 1
    return failed
