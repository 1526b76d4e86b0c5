from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import optuna
import pytest
from optuna.trial import TrialState

from decomp.curves.config import parse_config
from decomp.curves.study import WORKER_ATTR, create_studies, fail_dead_trials, load_study, open_storage, study_name
from decomp.errors import ConfigError
from tests.curves.conftest import tiny_config


@pytest.fixture
def config():
    return parse_config(tiny_config(strategies=["none", "implicit-operators"]))


def test_study_names_are_deterministic_and_distinct(config):
    names = [study_name(config, c) for c in config.cells()]
    assert len(set(names)) == len(names) == 4
    assert names == [study_name(parse_config(tiny_config(strategies=["none", "implicit-operators"])), c)
                     for c in config.cells()]
    other = parse_config(tiny_config(strategies=["none", "implicit-operators"], tuning={
        **tiny_config()["tuning"], "val_fraction": 0.3}))
    assert study_name(other, other.cells()[0]) != names[0]  # a changed curve does not resume old studies
    grown = parse_config(tiny_config(strategies=["none", "implicit-operators", "explicit-hybrid"],
                                     subset_seeds=[0, 1], folds=[0, 1]))
    assert set(names) <= {study_name(grown, c) for c in grown.cells()}  # more cells keep the cells it had


@pytest.mark.parametrize("url", ["mysql://db/x", "/tmp/optuna.db", "sqlite:/relative"])
def test_bad_storage_url(url, config):
    with pytest.raises(ConfigError, match="unsupported storage URL"):
        open_storage(url, config)


def test_unreachable_postgres_is_a_clear_error(config):
    with pytest.raises(ConfigError, match="cannot open Optuna storage"):
        open_storage("postgresql+psycopg2://nobody@127.0.0.1:1/none", config)


def test_sqlite_refuses_several_workers(tmp_path, config):
    with pytest.raises(ConfigError, match="several writing workers"):
        open_storage(f"sqlite:///{tmp_path}/o.db", config, workers=2)


def test_a_dead_workers_trial_is_failed_and_retried(tmp_path, config):
    storage = open_storage(f"journal:{tmp_path}/o.journal", config)
    create_studies(storage, config)
    study = load_study(storage, config, config.cells()[0])
    trial = study.ask()
    trial.suggest_float("lr", 1e-4, 1e-3)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    trial.set_user_attr(WORKER_ATTR, f"{__import__('socket').gethostname()}:{int(dead.stdout)}")
    alive = study.ask()
    alive.set_user_attr(WORKER_ATTR, f"{__import__('socket').gethostname()}:{__import__('os').getpid()}")
    assert fail_dead_trials(study, config) == 1
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.RUNNING, TrialState.WAITING]
    assert study.get_trials()[2].params == {"lr": trial.params["lr"]}  # the retry repeats the setting
    assert config.search == "random" and isinstance(study.sampler, optuna.samplers.RandomSampler)  # 2 trials


def test_the_sampler_is_the_search_the_config_names(config):
    tpe = parse_config(tiny_config(tuning={**tiny_config()["tuning"], "n_trials": 6, "startup_trials": 2}))
    study = load_study(open_storage("sqlite:///:memory:", tpe), tpe, tpe.cells()[0])
    assert tpe.search == "tpe" and isinstance(study.sampler, optuna.samplers.TPESampler)


def test_a_trial_whose_worker_died_before_recording_itself_is_failed_after_the_grace_period(tmp_path, config):
    storage = open_storage(f"journal:{tmp_path}/o.journal", config)
    create_studies(storage, config)
    study = load_study(storage, config, config.cells()[0])
    study.ask()  # created, then the worker was killed before trial.set_user_attr(WORKER_ATTR, ...)
    assert fail_dead_trials(study, config) == 0  # within the grace period: its worker may still record itself
    later = replace(config, tuning=replace(config.tuning, grace_period=-1))
    assert fail_dead_trials(study, later) == 1
    assert [t.state for t in study.get_trials()] == [TrialState.FAIL, TrialState.WAITING]
