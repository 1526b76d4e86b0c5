"""End to end on the tiny curve: SQLite in-process, two workers on journal and PostgreSQL storage, and a
worker SIGKILLed mid-trial whose command is re-run. Every (cell, training seed) row must appear exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from decomp.cli import main
from decomp.curves.config import load_config, parse_config
from decomp.curves.predictions import predictions_path, read_predictions
from decomp.curves.store import read_rows
from decomp.curves.study import study_name
from decomp.curves.training import step_budget
from decomp.strategies import REGISTRY
from tests.curves.conftest import tiny_config

REPO = Path(__file__).resolve().parents[2]
ROW_FIELDS = {"run_id", "dataset", "reader", "strategy", "decompositions", "supervision", "protocol",
              "protocol_version", "fold", "k", "subset_seed", "training_seed", "hparams", "em", "f1",
              "per_operator", "n_eval", "examples", "run_time_s", "git_commit", "config_hash", "data_hash",
              "versions"}


def expected_ids(path: Path) -> set[str]:
    config = load_config(path)
    return {f"{study_name(config, c)}/seed={s}" for c in config.cells() for s in config.training_seeds}


def assert_rows_once(run_dir: Path, config_path: Path) -> list[dict]:
    rows, bad = read_rows(run_dir / "results.jsonl")
    counts = Counter(r["run_id"] for r in rows)
    assert set(counts) == expected_ids(config_path) and set(counts.values()) == {1}, counts
    return rows


def test_step_budget_is_a_floor_the_searched_epochs_exceed_and_a_cap():
    budget = parse_config(tiny_config(budget={"min_steps": 20, "max_steps": 100, "patience": None})).budget
    assert step_budget(budget, epochs=3, steps_per_epoch=4) == (20, "min_steps")  # below the floor: lifted
    assert step_budget(budget, epochs=3, steps_per_epoch=10) == (30, "max_epochs")  # the searched value counts
    assert step_budget(budget, epochs=5, steps_per_epoch=10) == (50, "max_epochs")
    assert step_budget(budget, epochs=20, steps_per_epoch=10) == (100, "max_steps")  # the cap
    assert step_budget(budget, epochs=None, steps_per_epoch=10) == (100, "max_steps")  # no epochs: the cap


def test_tiny_curve_on_sqlite_writes_each_row_once_and_resumes(write_config, tmp_path, capsys):
    config = write_config()
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = assert_rows_once(run_dir, config)
    assert len(rows) == 4 and (run_dir / "optuna.db").exists()
    row = rows[0]
    assert ROW_FIELDS <= set(row)
    assert row["dataset"] == "synthetic" and row["strategy"] == "none" and row["protocol_version"] == "gold-v1"
    assert row["n_eval"] == len(row["examples"]) == 6
    assert {"lr", "batch_size", "epochs", "max_steps"} <= set(row["hparams"]) and row["hparams"]["max_steps"] <= 3
    assert row["budget"]["kind"] == "fixed" and row["budget"]["steps_trained"] == row["hparams"]["max_steps"]
    assert row["search"] == "random" and row["learner"] == "finetune" and row["eval_sample"]["n_questions"] == 6
    assert len(row["trials"]) == 2 and all(set(t) >= {"number", "state", "params", "value"} for t in row["trials"])
    assert {t["number"] for t in row["trials"]} == {0, 1} and row["best_trial"] in (0, 1)
    best = next(t for t in row["trials"] if t["number"] == row["best_trial"])  # what a replay trains with
    assert row["spec"]["params"] == {**best["params"], "epochs": 1} and row["spec"]["training_seed"] == row[
        "training_seed"]
    assert all(set(v) == {"em", "f1", "answer_type", "question_type", "operators", "prediction", "passage"}
               for v in row["examples"].values())
    assert row["n_eval_passages"] == len({v["passage"] for v in row["examples"].values()})
    assert all(v["operators"] and v["answer_type"] in ("number", "span", "spans", "date", "yesno")
               for v in row["examples"].values())
    assert 100 * sum(v["f1"] for v in row["examples"].values()) / 6 == pytest.approx(row["f1"], abs=1e-3)
    assert {r["k"] for r in rows} == {6, 10} and {r["training_seed"] for r in rows} == {0, 1}
    err = capsys.readouterr().err
    assert err.count("done extractive/none/k=") == 2 and "2/2 cells, 4 rows" in err
    study = optuna.load_study(study_name=rows[0]["study"], storage=f"sqlite:///{run_dir / 'optuna.db'}")
    assert sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials) == 2
    # The same command again: nothing to do, nothing duplicated.
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    assert_rows_once(run_dir, config)
    assert len(study.trials) == len(optuna.load_study(study_name=rows[0]["study"],
                                                      storage=f"sqlite:///{run_dir / 'optuna.db'}").trials)


def test_fixed_hyper_parameters_run_no_trials(write_config, tmp_path):
    config = write_config(tuning={"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}})
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = assert_rows_once(run_dir, config)
    assert {(r["n_trials"], r["best_trial"], r["hparams"]["lr"], r["hparams"]["batch_size"]) for r in rows} == {
        (0, None, 5e-4, 4)}
    assert optuna.get_all_study_names(f"sqlite:///{run_dir / 'optuna.db'}") == []
    # Each row's predictions and traces are in its own file, keyed by the same example ids.
    for row in rows:
        records = read_predictions(predictions_path(run_dir, row["run_id"]))
        assert set(records) == set(row["examples"])
        for example_id, scores in row["examples"].items():
            record = records[example_id]
            assert (record["prediction"], record["em"], record["f1"]) == (
                scores["prediction"], scores["em"], scores["f1"])
            assert record["question"] and record["gold"] and record["trace"]


def test_a_curve_grown_by_a_subset_seed_keeps_its_rows_and_a_row_under_an_older_id_still_counts(
        write_config, tmp_path):
    fixed = {"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}}
    config = write_config(tuning=fixed, sizes=[6])
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    first = assert_rows_once(run_dir, config)
    # A row written before a naming change (another id, the same embedded spec) is still that cell's row.
    path = run_dir / "results.jsonl"
    renamed = [{**r, "run_id": "tiny-oldnaming" + r["run_id"][r["run_id"].index("/"):], "study": "old"} for r in first]
    path.write_text("".join(json.dumps(r) + "\n" for r in renamed))
    grown = write_config(tuning=fixed, sizes=[6], subset_seeds=[0, 1])
    assert main(["curve", "--config", str(grown), "--run-dir", str(run_dir)]) == 0
    rows, _ = read_rows(path)
    assert len(rows) == 2 * len(first)  # the new seed's cells only: the first seed's were not trained again
    assert [r for r in rows if r["subset_seed"] == 0] == renamed
    assert {r["subset_seed"] for r in rows[len(first):]} == {1}
    # What a cell trains on is another curve: a changed rate starts new rows.
    changed = parse_config(tiny_config(tuning={**fixed, "space": {**fixed["space"], "lr": 1e-3}}, sizes=[6]))
    assert study_name(changed, changed.cells()[0]) not in {r["study"] for r in rows}


def test_unknown_strategy_and_bad_storage_fail_clearly(write_config, tmp_path, capsys):
    assert main(["curve", "--config", str(write_config(strategies=["telepathy"]))]) == 2
    assert "unknown strategy 'telepathy'" in capsys.readouterr().err
    assert main(["curve", "--config", str(write_config()), "--run-dir", str(tmp_path / "r"),
                 "--storage", "redis://localhost"]) == 2
    assert "unsupported storage URL 'redis://localhost'" in capsys.readouterr().err


def two_worker_curve(config: Path, run_dir: Path, storage: str) -> None:
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir), "--workers", "2",
                 "--storage", storage]) == 0
    assert_rows_once(run_dir, config)


@pytest.mark.slow
def test_two_workers_on_journal_storage(write_config, tmp_path):
    config = write_config(training_seeds=[0])
    two_worker_curve(config, tmp_path / "run", f"journal:{tmp_path / 'optuna.journal'}")


def _initdb() -> Path | None:
    import shutil

    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return versions[-1].parent if versions else None


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL cluster on 127.0.0.1 (as the `postgres` user when run as root)."""
    import socket
    import tempfile

    bin_dir = _initdb()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have PostgreSQL (initdb): .ci/run installs it")
        pytest.skip("PostgreSQL (initdb) not installed")
    folder = Path(tempfile.mkdtemp(prefix="decomp-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        import pwd

        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = folder / "data"
    quiet = {"capture_output": True, "check": True}
    subprocess.run(as_user + [str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"], **quiet)
    subprocess.run(as_user + [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log"), "-o",
                              f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start"], **quiet)
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        subprocess.run(["rm", "-rf", str(folder)], check=False)


@pytest.mark.slow
def test_two_workers_on_postgresql(write_config, tmp_path, postgres):
    config = write_config(training_seeds=[0])
    two_worker_curve(config, tmp_path / "run", postgres)


@pytest.mark.slow
def test_sigkilled_worker_then_rerun_loses_and_duplicates_nothing(write_config, tmp_path):
    config = write_config(sizes=[6], budget={"min_steps": 8, "max_steps": 8, "patience": None})
    run_dir, db = tmp_path / "run", tmp_path / "run" / "optuna.db"
    command = [sys.executable, "-m", "decomp.cli", "curve", "--config", str(config), "--run-dir", str(run_dir)]
    worker = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    name = study_name(load_config(config), load_config(config).cells()[0])
    deadline = time.time() + 120
    try:
        while time.time() < deadline and worker.poll() is None:
            try:
                trials = optuna.load_study(study_name=name, storage=f"sqlite:///{db}").trials
            except Exception:  # the study or its schema is not there yet
                trials = []
            if any(t.state == TrialState.RUNNING and "worker" in t.user_attrs for t in trials):
                break
            time.sleep(0.2)
        assert worker.poll() is None, "the worker finished before it could be killed"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()  # reap it, so its pid is gone
    assert not (run_dir / "results.jsonl").exists()
    assert main(command[3:]) == 0
    assert_rows_once(run_dir, config)
    trials = optuna.load_study(study_name=name, storage=f"sqlite:///{db}").trials
    states = Counter(t.state for t in trials)
    assert states[TrialState.FAIL] == 1 and states[TrialState.COMPLETE] + states[TrialState.PRUNED] == 2
    assert states[TrialState.RUNNING] == 0


@pytest.mark.slow
def test_prior_zero_shot_and_converged_tuned_rows(write_config, tmp_path):
    budget = {"min_steps": 1, "max_steps": 4, "patience": 1, "val_every": 1}
    config = write_config(strategies=["prior", "none"], sizes=[0, 6], training_seeds=[0], budget=budget)
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = {(r["strategy"], r["k"]): r for r in assert_rows_once(run_dir, config)}
    for k in (0, 6):
        prior = rows[("prior", k)]
        assert (prior["learner"], prior["budget"], prior["trials"], prior["search"]) == ("none", None, [], "fixed")
        assert prior["strategy_version"] == REGISTRY["prior"].format_version == 3 and prior["n_train"] == k
        assert all(v["prediction"] is not None for v in prior["examples"].values())
    zero = rows[("none", 0)]
    assert zero["budget"]["stop_reason"] == "zero-shot" and zero["budget"]["steps_trained"] == 0
    assert zero["trials"] == [] and zero["n_train"] == 0 and zero["learner"] == "finetune"
    tuned = rows[("none", 6)]
    assert tuned["search"] == "random" and tuned["budget"]["kind"] == "converged"
    assert tuned["budget"]["stop_reason"] in ("early_stop", "max_epochs", "max_steps")  # epochs: 1 is the cap
    assert 1 <= tuned["budget"]["steps_trained"] <= 4
    assert len(tuned["trials"]) == 2 and all(t["state"] in ("COMPLETE", "PRUNED") for t in tuned["trials"])
    assert all({"lr", "batch_size"} <= set(t["params"]) and t["budget"]["kind"] == "converged"
               for t in tuned["trials"])
    assert tuned["n_train"] + tuned["n_val"] == 6  # the final fit early-stops on the split carved from its subset
    studies = optuna.get_all_study_names(f"sqlite:///{run_dir / 'optuna.db'}")
    trials = {name: len(optuna.load_study(study_name=name, storage=f"sqlite:///{run_dir / 'optuna.db'}").trials)
              for name in studies}
    assert sum(trials.values()) == 2  # only the cell that fine-tunes was tuned


@pytest.mark.slow
def test_an_in_context_reader_gets_the_subset_as_demonstrations(write_config, tmp_path, monkeypatch):
    from decomp.readers import REGISTRY
    from decomp.readers.extractive import ExtractiveReader

    class Demonstrated(ExtractiveReader):
        in_context = True

        def set_demonstrations(self, examples) -> int:
            self.demonstrations = list(examples)
            return max(0, len(examples) - 1)  # as if one did not fit the context

    list(REGISTRY)  # discover the built-in readers first
    monkeypatch.setitem(REGISTRY._classes, "demonstrated", Demonstrated)
    config = write_config(readers={"demonstrated": tiny_config()["readers"]["extractive"]}, training_seeds=[0],
                          sizes=[0, 6])
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = {r["k"]: r for r in assert_rows_once(run_dir, config)}
    assert {k: (r["learner"], r["n_demonstrations"], r["budget"], r["trials"]) for k, r in rows.items()} == {
        0: ("in-context", 0, None, []), 6: ("in-context", 5, None, [])}


def test_a_validation_split_below_min_val_questions_gives_way_to_the_rule(write_config, tmp_path):
    budget = {"min_steps": 3, "max_steps": 6, "patience": 1, "val_every": 1, "min_val_questions": 50}
    config = write_config(sizes=[10], training_seeds=[0], budget=budget,
                          tuning={"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}})
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    (row,) = assert_rows_once(run_dir, config)
    assert row["n_train"] == 10 and row["n_val"] == 0  # the 2-question split went back to training
    b = row["budget"]
    assert b["val_rounds"] == 0 and b["min_val_questions"] == 50 and b["steps_trained"] == b["cap"] >= 3
    assert b["stop_reason"].endswith(" (rule: a validation split of 2 < 50 questions chooses nothing)")


def test_rule_epochs_cap_only_the_fits_the_rule_decides(write_config, tmp_path):
    budget = {"min_steps": 0, "max_steps": 12, "patience": 2, "val_every": 2, "min_val_questions": 5,
              "rule_epochs": 1}
    config = write_config(sizes=[10, 40], training_seeds=[0], budget=budget,
                          tuning={"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4}})
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = {r["k"]: r["budget"] for r in assert_rows_once(run_dir, config)}
    ruled, stopped = rows[10], rows[40]  # carved splits of 2 and 8 questions
    assert ruled["stop_reason"].startswith("max_epochs (rule: a validation split of 2 < 5")
    assert ruled["cap"] == ruled["steps_trained"] < 12  # one epoch of 10 questions at batch 4
    assert stopped["cap"] == 12 and stopped["val_rounds"] >= 2  # one epoch does not cap it
    assert stopped["steps_trained"] > ruled["cap"]


def test_rule_epochs_replace_the_space_epochs_for_the_rule_fits_only(write_config, tmp_path):
    budget = {"min_steps": 0, "max_steps": 40, "patience": 2, "val_every": 2, "min_val_questions": 5,
              "rule_epochs": 3}
    config = write_config(sizes=[10, 40], training_seeds=[0], budget=budget,
                          tuning={"n_trials": 0, "space": {"lr": 5e-4, "batch_size": 4, "epochs": 1}})
    run_dir = tmp_path / "run"
    assert main(["curve", "--config", str(config), "--run-dir", str(run_dir)]) == 0
    rows = {r["k"]: r["budget"] for r in assert_rows_once(run_dir, config)}
    ruled, capped = rows[10], rows[40]  # carved splits of 2 and 8 questions
    # the 10 questions' windows make 4 batches of 4, the 32 questions' 19: the rule fit runs 3 epochs, the
    # other fit the space's 1 epoch (not the rule's 3, which would be 57, and not max_steps)
    assert ruled["cap"] == ruled["steps_trained"] == 3 * 4
    assert capped["cap"] == 19 and capped["stop_reason"] != "max_steps"
