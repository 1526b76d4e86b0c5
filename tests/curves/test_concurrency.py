"""Three `decomp curve` commands started at the same moment on a fresh storage (the README's PostgreSQL URL,
and the default SQLite run folder): none may die while the storage's schema is created, and every
(cell, training seed) row appears exactly once.

Each worker process imports the harness once and then runs several tries, each on a fresh storage; before
each try the three processes meet at a file barrier, so they reach the storage within a millisecond or so
of each other (started as three commands, import times would spread them over seconds and hide the race).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from decomp.curves.study import driver_url
from tests.curves.conftest import tiny_config
from tests.curves.test_runner import REPO, assert_rows_once, postgres  # noqa: F401  (postgres: a fixture)

# With the barrier, the landed code lost 2 of the 3 workers in every try (4 of 4 on each storage).
WORKERS, TRIES = 3, 2

# One process = one worker: `decomp.cli.main(["curve", ...])` per try, after the barrier.
LAUNCH = r"""
import json, os, sys, time
from pathlib import Path
import decomp.curves.runner  # the heavy imports, before the barrier
from decomp.cli import main
barrier, tries = Path(sys.argv[1]), json.loads(sys.argv[2])
codes = []
for i, argv in enumerate(tries):
    (barrier / f"{i}.{os.getpid()}").touch()
    while len(list(barrier.glob(f"{i}.*"))) < int(sys.argv[3]):
        time.sleep(0.001)
    codes.append(main(argv))
print(json.dumps(codes))
"""


def test_the_readme_url_names_an_installed_driver():
    import importlib.util

    url = driver_url("postgresql://me@127.0.0.1:5432/db")
    if importlib.util.find_spec("psycopg") is None:  # SQLAlchemy's default for postgresql:// is psycopg 3
        assert url == "postgresql+psycopg2://me@127.0.0.1:5432/db"
    else:
        assert url == "postgresql://me@127.0.0.1:5432/db"
    assert driver_url("postgresql+psycopg://me@h/db") == "postgresql+psycopg://me@h/db"  # a named driver stays


def run_together(tmp_path: Path, tries: list[list[str]]) -> list[list[int]]:
    """Start WORKERS processes that run `decomp curve <argv>` for each try at the same moment; their exit codes."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", LAUNCH, str(barrier), json.dumps(tries), str(WORKERS)],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(WORKERS)]
    outs = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err[-3000:] for _, err in outs]
    codes = [json.loads(out.splitlines()[-1]) for out, _ in outs]
    errors = "\n".join(line for _, err in outs for line in err.splitlines() if "error" in line.lower())
    assert all(c == [0] * len(tries) for c in codes), (codes, errors)
    return codes


def tiny_curve(tmp_path: Path) -> Path:
    """One cell, one training seed, one trial: the schema, study, trial and row all see three workers."""
    path = tmp_path / "curve.yaml"
    path.write_text(yaml.safe_dump(tiny_config(sizes=[6], training_seeds=[0], tuning={
        "n_trials": 1, "heartbeat_interval": 1, "grace_period": 2,
        "space": {"lr": {"low": 1.0e-4, "high": 1.0e-3, "log": True}, "batch_size": [4], "epochs": 1}},
        budget={"min_steps": 1, "max_steps": 2, "patience": None})))
    return path


@pytest.mark.slow
def test_three_workers_at_once_on_a_fresh_sqlite_run_folder(tmp_path):
    config = tiny_curve(tmp_path)
    runs = [tmp_path / f"run{i}" for i in range(TRIES)]
    run_together(tmp_path, [["curve", "--config", str(config), "--run-dir", str(run)] for run in runs])
    for run in runs:
        assert (run / "optuna.db").exists()
        assert_rows_once(run, config)


@pytest.mark.slow
def test_three_workers_at_once_on_a_fresh_postgresql_database(tmp_path, postgres):  # noqa: F811
    import psycopg2

    # The README's URL form, without a driver name: postgresql://USER@HOST:PORT/DB.
    base = postgres.replace("postgresql+psycopg2://", "postgresql://")
    assert base.startswith("postgresql://postgres@127.0.0.1:")
    connection = psycopg2.connect(postgres.replace("postgresql+psycopg2", "postgresql"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for i in range(TRIES):
            cursor.execute(f"CREATE DATABASE fresh{i}")
    connection.close()
    config = tiny_curve(tmp_path)
    runs = [tmp_path / f"run{i}" for i in range(TRIES)]
    run_together(tmp_path, [["curve", "--config", str(config), "--run-dir", str(run),
                             "--storage", f"{base.rsplit('/', 1)[0]}/fresh{i}"] for i, run in enumerate(runs)])
    for run in runs:
        assert not (run / "optuna.db").exists()
        assert_rows_once(run, config)
