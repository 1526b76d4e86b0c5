"""Smoke runs of the benchmark scripts: tiny random model, real BREAK-DROP data, two or three steps.

They check that each script runs end to end and writes the figures it promises, not the figures themselves.
"""

from __future__ import annotations

import json
import math

import pytest

pytestmark = pytest.mark.slow  # each runs training end to end (10-20 s on 2 busy cores)


def _positive(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value) and value > 0


def test_throughput_writes_rates_and_ratios(data_dir, tmp_path):
    from benchmarks import throughput

    out = tmp_path / "throughput.json"
    result = throughput.main(["--model", "tiny-bert", "--k", "24", "--eval-questions", "6", "--batch-size", "4",
                              "--steps", "2", "--warmup", "1", "--rounds", "2", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    for part in ("train", "eval"):
        for side in ("ours", "baseline"):
            assert len(result[part][side]["rounds"]) == 2
            assert _positive(result[part][side]["windows_per_s"]) and _positive(result[part][side]["examples_per_s"])
        assert _positive(result[part]["ratio"])
    # Both sides time the same steps of the same windows; ours pads only to the batch's longest window.
    ours, baseline = result["train"]["ours"]["rounds"][0], result["train"]["baseline"]["rounds"][0]
    assert 2 <= ours["windows"] == baseline["windows"] <= 2 * 4
    assert ours["padded_tokens"] < baseline["padded_tokens"] == baseline["windows"] * 384
    # Same weights at evaluation: the padded baseline must give the same answers.
    assert result["eval"]["answers_agree"] == 1.0
    assert result["settings"]["precision"] == "32-true" and result["max_rss_mb"] > 0
    assert result["command"].startswith("python -m benchmarks.throughput --model tiny-bert")


def test_curve_time_runs_a_derived_curve(data_dir, tmp_path):
    from benchmarks import curve_time

    out = tmp_path / "curve.json"
    result = curve_time.main(["--strategies", "none", "--sizes", "8,16", "--subset-seeds", "0", "--model", "tiny-bert",
                              "--max-steps", "2", "--eval-limit", "4", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["cells"] == 2 and result["rows"] == result["expected_rows"] == 2
    assert result["derived_config"]["strategies"] == ["none"]
    assert result["derived_config"]["readers"]["extractive"]["model"] == "tiny-bert"
    for key in ("wall_s", "s_per_row", "child_max_rss_mb"):
        assert _positive(result[key]), key
    assert result["threads"] == 1
    assert all(" 1 torch threads" in h for h in result["hardware_in_rows"] if h.startswith("cpu"))  # reached the child
    assert result["s_per_row"] == pytest.approx(result["wall_s"] / 2, abs=0.01)
