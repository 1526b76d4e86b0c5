"""An unwritable run folder or results file is a `decomp: error:` naming the path, before anything trains."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from decomp.cli import main


@pytest.fixture
def unwritable():
    """Make a path unwritable for this user: permission bits for others, the immutable attribute for root
    (root writes through permission bits). Undone afterwards so the folder can be removed."""
    made: list[Path] = []

    def make(path: Path) -> Path:
        if os.geteuid() == 0:
            done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
            if done.returncode:
                pytest.skip(f"root, and `chattr +i` is refused here: {done.stderr.strip()}")
        else:
            path.chmod(0o555 if path.is_dir() else 0o444)
        made.append(path)
        return path

    yield make
    for path in made:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(0o755)


def curve(config: Path, run_dir: Path) -> int:
    return main(["curve", "--config", str(config), "--run-dir", str(run_dir)])


def test_unwritable_parent_of_the_run_folder(write_config, tmp_path, unwritable, capsys):
    parent = tmp_path / "readonly"
    parent.mkdir()
    unwritable(parent)
    assert curve(write_config(), parent / "run") == 2
    err = capsys.readouterr().err
    assert f"decomp: error: cannot write to the run folder {parent / 'run'}" in err and "Traceback" not in err
    assert list(parent.iterdir()) == []


def test_a_run_folder_under_a_file(write_config, tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    assert curve(write_config(), tmp_path / "afile" / "run") == 2
    assert f"cannot write to the run folder {tmp_path / 'afile' / 'run'}: Not a directory" in capsys.readouterr().err


def test_read_only_results_file_fails_before_training(write_config, tmp_path, unwritable, capsys):
    run = tmp_path / "run"
    run.mkdir()
    results = run / "results.jsonl"
    results.write_text("")
    unwritable(results)
    assert curve(write_config(), run) == 2
    err = capsys.readouterr().err
    assert f"decomp: error: cannot write to {results}: " in err and "Traceback" not in err
    assert sorted(p.name for p in run.iterdir()) == ["results.jsonl"]  # no storage, no locks: nothing trained


def test_rows_of_another_reader_version_are_not_resumed(tmp_path):
    """Rows made by reader version 1 (no `reader_version`, before the span-count head) stop a version-2 curve."""
    from decomp.curves.preflight import check_versions
    from decomp.errors import ConfigError

    committed = Path(__file__).parents[2] / "leaderboard" / "runs" / "drop-cpu" / "results.jsonl"
    rows = [json.loads(line) for line in committed.read_text().splitlines() if line.strip()]
    prior, now = (next(r for r in rows if r["strategy"] == name) for name in ("prior", "none"))
    assert now["reader"] == "extractive"
    assert now["reader_args"]["reader_version"] == 2
    v1_args = {k: v for k, v in now["reader_args"].items() if k != "reader_version"}
    old = {**now, "run_id": "old", "reader_args": v1_args}
    results = tmp_path / "results.jsonl"
    check_versions(results, {"extractive": 2})  # no rows yet: nothing to mix
    results.write_text(json.dumps(prior) + "\n" + json.dumps(now) + "\n")
    check_versions(results, {"extractive": 2})  # prior reads nothing; the other row agrees
    with open(results, "a") as f:
        f.write(json.dumps(old) + "\n")
    with pytest.raises(ConfigError, match=r"results.jsonl: line 3 \(old\) was made by extractive reader version 1, "
                                          r"this code's is 2"):
        check_versions(results, {"extractive": 2})
    results.write_text(json.dumps(prior) + "\n" + json.dumps(old) + "\n")
    check_versions(results, {"extractive": 1})  # the code that made them resumes them


def test_rows_of_another_strategy_version_are_not_resumed(tmp_path):
    """A `prior` row of format version 1 (before two-way choices) stops a curve whose code has version 2."""
    from decomp.curves.preflight import check_versions
    from decomp.errors import ConfigError

    committed = Path(__file__).parents[2] / "leaderboard" / "runs" / "drop-cpu" / "results.jsonl"
    rows = [json.loads(line) for line in committed.read_text().splitlines() if line.strip()]
    prior, now = (next(r for r in rows if r["strategy"] == name) for name in ("prior", "none"))
    results = tmp_path / "results.jsonl"
    old_prior = {**prior, "run_id": "old-prior", "strategy_version": 1}
    results.write_text(json.dumps(now) + "\n" + json.dumps(old_prior) + "\n")
    versions = {"prior": 2, "none": now["strategy_version"]}
    with pytest.raises(ConfigError, match=r"results.jsonl: line 2 \(old-prior\) was made by strategy 'prior' "
                                          r"version 1, this code's is 2"):
        check_versions(results, {"extractive": 2}, versions)
    check_versions(results, {"extractive": 2}, {**versions, "prior": 1})  # its own code resumes it
    check_versions(results, {"extractive": 2})  # strategies not checked: as before
    results.write_text(json.dumps(now) + "\n" + json.dumps({**old_prior, "strategy_version": 2}) + "\n")
    check_versions(results, {"extractive": 2}, versions)
