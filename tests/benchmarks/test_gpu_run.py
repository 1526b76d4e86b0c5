"""`benchmarks/gpu_run.py` on CPU with tiny settings: step order, per-fold configs, and stopping at a deadline
with what was written kept."""

from __future__ import annotations

import json
import sys
import time

import pytest

from benchmarks import gpu_run
from benchmarks.common import REPO


def test_fold_zero_of_every_curve_runs_first():
    assert gpu_run.plan(["a.yaml", "b.yaml"], [0, 1, 2]) == [
        ("a.yaml", 0), ("b.yaml", 0), ("a.yaml", 1), ("b.yaml", 1), ("a.yaml", 2), ("b.yaml", 2)]


def test_derived_curve_keeps_one_fold_and_applies_overrides():
    raw = gpu_run.derived_curve(REPO / "configs" / "curves" / "drop.yaml", 3,
                                ["sizes=[8, 16]", "readers={extractive: {model: tiny-bert}}"])
    assert raw["folds"] == [3] and raw["sizes"] == [8, 16] and raw["readers"] == {"extractive": {"model": "tiny-bert"}}
    assert raw["dataset"] == "drop"  # the rest is the config's own
    with pytest.raises(SystemExit, match="KEY=YAML"):
        gpu_run.derived_curve(REPO / "configs" / "curves" / "drop.yaml", 0, ["sizes"])


def test_a_step_past_its_deadline_is_stopped_and_its_output_kept(tmp_path):
    rows = tmp_path / "results.jsonl"
    # A child that writes a row, then would run for a minute; SIGINT ends it at the deadline.
    script = f"import time; open({str(rows)!r}, 'w').write('{{}}\\n'); time.sleep(60)"
    started = time.monotonic()
    step = gpu_run.run_step([sys.executable, "-c", script], time.monotonic() + 3, 5, tmp_path / "log")
    assert step["status"] == "deadline" and step["exit_code"] != 0
    assert time.monotonic() - started < 3 + 5 + 5
    assert rows.read_text() == "{}\n"
    assert gpu_run.run_step(["true"], time.monotonic() - 1, 5, tmp_path / "log")["status"] == "not started"
    assert gpu_run.run_step([sys.executable, "-c", "pass"], time.monotonic() + 60, 5, tmp_path / "log")["status"] \
        == "done"


@pytest.mark.slow
def test_the_whole_run_ends_before_its_limit_with_a_summary(tmp_path):
    tiny = ["--override", "readers={extractive: {model: tiny-bert, max_length: 64, doc_stride: 16}}",
            "--override", "sizes=[8]", "--override", "subset_seeds=[0]"]
    started = time.monotonic()
    summary = gpu_run.main([str(tmp_path / "out"), "--minutes", str(10 / 60), "--margin-s", "0", "--grace-s", "3",
                            "--throughput-minutes", str(3 / 60), "--throughput-args", "--model tiny-bert --k 8",
                            "--precision-minutes", "0", "--curves", "configs/curves/drop-cpu.yaml",
                            "--folds", "0,1", "--workers", "2", *tiny])
    assert time.monotonic() - started < 10 + 2 * 3 * 3 + 5  # at worst, each stopped step waits out 3 signals
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["steps"] == json.loads(json.dumps(summary["steps"]))
    throughput, first, second = summary["steps"]
    assert throughput["step"] == "throughput" and throughput["status"] == "deadline"
    assert throughput["wall_s"] < 3 + 3 * 3 + 2
    assert first["step"] == "curve drop-cpu fold 0" and first["status"] == "deadline"
    assert second["status"] == "not started"
    config = (tmp_path / "out" / "curves" / "drop-cpu" / "fold0" / "config.yaml").read_text()
    assert "tiny-bert" in config and "folds:\n- 0" in config
