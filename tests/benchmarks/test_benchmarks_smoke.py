"""Smoke runs of the benchmark scripts: tiny random model, real BREAK-DROP data, two or three steps.

They check that each script runs end to end and writes the figures it promises, not the figures themselves.
"""

from __future__ import annotations

import json
import math

import pytest

from decomp.precision import resolve_precision

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
    assert result["settings"]["precision"] == resolve_precision("auto") and result["max_rss_mb"] > 0
    assert result["command"].startswith("python -m benchmarks.throughput --model tiny-bert")


def test_curve_time_runs_a_derived_curve(data_dir, tmp_path):
    from benchmarks import curve_time

    out = tmp_path / "curve.json"
    result = curve_time.main(["--strategies", "none", "--sizes", "8,16", "--subset-seeds", "0", "--model", "tiny-bert",
                              "--max-steps", "2", "--eval-limit", "4", "--threads", "1", "--batch-size", "4",
                              "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    assert result["cells"] == 2 and result["rows"] == result["expected_rows"] == 2
    assert result["derived_config"]["strategies"] == ["none"]
    assert result["derived_config"]["readers"]["extractive"]["model"] == "tiny-bert"
    assert result["derived_config"]["tuning"]["space"]["batch_size"] == 4
    for key in ("wall_s", "s_per_row", "child_max_rss_mb"):
        assert _positive(result[key]), key
    assert result["threads"] == 1
    assert all(" 1 torch threads" in h for h in result["hardware_in_rows"] if h.startswith("cpu"))  # reached the child
    assert result["s_per_row"] == pytest.approx(result["wall_s"] / 2, abs=0.01)
    # Timed inside the child: 2 rows of 2 steps of at most 4 windows (--batch-size), then the evaluation questions.
    assert result["fits"] == result["tests"] == 2 and result["train_steps"] == 4
    assert 4 <= result["train_windows"] <= 4 * 4 and result["test_windows"] >= result["test_questions"] >= 2 * 4
    assert _positive(result["train_windows_per_s"]) and _positive(result["eval_windows_per_s"])
    assert set(result["scores"]) == {"em", "f1", "by_row"} and len(result["scores"]["by_row"]) == 2


def test_curve_time_compares_old_and_new_code():
    from benchmarks.curve_time import compare

    def side(wall, train, evaluation, em, f1):
        return {"wall_s": wall, "train_windows_per_s": train, "eval_windows_per_s": evaluation,
                "train_windows": 64, "test_questions": 80, "scores": {"em": em, "f1": f1, "by_row": {
                    "a": {"em": em - 1, "f1": f1}, "b": {"em": em + 1, "f1": f1}}}}
    c = compare(side(100.0, 4.0, 10.0, 10.0, 15.0), side(40.0, 6.0, 25.0, 10.5, 14.0))
    assert c["wall_speedup"] == 2.5 and c["train_speedup"] == 1.5 and c["eval_speedup"] == 2.5
    assert c["em_diff"] == 0.5 and c["f1_diff"] == -1.0 and c["row_em_diffs"] == [0.5, 0.5]
    assert c["same_work"] and c["rows_compared"] == 2


def test_cpu_ceiling_counts_the_step_and_compares_it_with_the_matrix_rate(tmp_path):
    from benchmarks import cpu_ceiling
    from decomp.readers.models import tiny_bert_config

    out = tmp_path / "ceiling.json"
    b, n = 2, 32
    result = cpu_ceiling.main(["--model", "tiny-bert", "--batch-size", str(b), "--length", str(n), "--rounds", "2",
                               "--steps", "1", "--square", "64", "--bf16", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    # The step's work, by hand: per layer 4 d x d and 2 d x ff products per token plus attention's two batched
    # products; the start/end (2), tagging (3) and span-count (2, first token only) heads; backward twice forward.
    c = tiny_bert_config(vocab_size=100)
    d, ff, layers, t = c.hidden_size, c.intermediate_size, c.num_hidden_layers, b * n
    forward = layers * (2 * t * (4 * d * d + 2 * d * ff) + 4 * b * n * n * d) + 2 * t * d * (2 + 3) + 2 * b * d * 2
    assert result["step_gflop"] == round(3 * forward / 1e9, 3)
    for r in result["rounds"]:
        assert _positive(r["step_s"]) and set(r["gemm_gflops"]) == {"fp32", "bf16"}
        assert r["best_fp32_gemm_gflops"] == max(r["gemm_gflops"]["fp32"].values())
        assert r["ceiling"] == pytest.approx(r["best_fp32_gemm_gflops"] / r["step_gflops"], rel=0.01)
        assert f"{b * n}x{d}x{ff}" in r["gemm_gflops"]["fp32"]  # the encoder's own shapes are timed
    assert _positive(result["bf16_over_fp32_gemm"]) and result["settings"]["threads"] == 1


@pytest.mark.parametrize("flag", ["--batch-size", "--length", "--steps", "--rounds", "--square", "--threads"])
def test_cpu_ceiling_refuses_a_count_below_one_by_its_flag(flag, capsys):
    from benchmarks import cpu_ceiling

    with pytest.raises(SystemExit):
        cpu_ceiling.parse_args([flag, "0"])
    assert f"argument {flag}: expected a whole number of at least 1, got '0'" in capsys.readouterr().err


@pytest.mark.parametrize("bf16", [True, False])
def test_the_trainer_baseline_builds_its_arguments_in_bf16_and_fp32_on_any_cpu(bf16, tmp_path, monkeypatch):
    """Machines here differ: with AVX512-BF16 `precision: auto` picks bf16, and transformers then refuses
    `TrainingArguments(bf16=True)` on a CPU unless told to use it; without, fp32. Both paths must build."""
    from types import SimpleNamespace

    from benchmarks import throughput

    monkeypatch.setattr(throughput, "bf16", lambda: bf16)
    fake = SimpleNamespace(workdir=str(tmp_path), args=SimpleNamespace(batch_size=4, eval_batch_size=4, lr=1e-4,
                                                                       compile=False))
    args = throughput._Sides._training_args(fake, max_steps=2, seed=0, warmup_ratio=0.0, weight_decay=0.0)
    assert args.bf16 is bf16 and args.max_steps == 2


def test_fit_cost_normalises_threads_and_native_bf16_and_compares_cells(tmp_path):
    from benchmarks import fit_cost
    from tests.leaderboard.test_rows import make_row, write

    scores = {"q1": 1.0}
    old = [make_row(f"o{s}", scores, strategy="none", k="all", training_seed=s, learner="finetune", run_time_s=t,
                    hardware="cpu x86_64, 2 cores, 1 torch threads", precision="32-true", budget={"kind": "converged"})
           for s, t in ((0, 900.0), (1, 1100.0))]
    new = [make_row("n0", scores, strategy="none", k="all", learner="finetune", run_time_s=100.0,
                    hardware="cpu x86_64, 2 cores, 2 torch threads, avx512_bf16", precision="bf16-mixed",
                    budget={"kind": "converged"}),
           make_row("z0", scores, strategy="none", k=0, learner="finetune", run_time_s=50.0,
                    budget={"kind": "converged", "stop_reason": "zero-shot"}),  # trains nothing: left out
           make_row("p0", scores, strategy="prior", k="all", learner="none", run_time_s=1.0)]
    write(tmp_path / "old" / "results.jsonl", old)
    write(tmp_path / "new" / "results.jsonl", new)
    result = fit_cost.main(["--old", str(tmp_path / "old"), "--new", str(tmp_path / "new"),
                            "--out", str(tmp_path / "cost.json")])
    (cell,) = result["cells"]
    assert (cell["strategy"], cell["k"], cell["old_fits"], cell["new_fits"]) == ("none", "all", 2, 1)
    assert cell["old_cpu_s"] == 1000.0 and cell["new_cpu_s"] == 320.0  # 100 s x 2 threads x 1.6 (native bf16)
    assert result["ratio_of_means"] == 3.12 and json.loads((tmp_path / "cost.json").read_text())["cells"]
    # accuracy beside the cost, on the fits both ran: old seed 1 has no new partner
    assert cell["paired_fits"] == 1 and cell["old_em"] == cell["new_em"] == old[0]["em"]
    # --paired-cpu: the old side's CPU over its paired fit only (seed 0's 900 s, not the mean with seed 1's)
    paired = fit_cost.main(["--old", str(tmp_path / "old"), "--new", str(tmp_path / "new"), "--paired-cpu",
                            "--out", str(tmp_path / "paired.json")])
    (cell,) = paired["cells"]
    assert (cell["old_cpu_s"], cell["old_fits"], cell["new_fits"]) == (900.0, 1, 1) and paired["paired_cpu"]


def test_frozen_layers_times_each_setting_cold_and_warm(tmp_path):
    from benchmarks import frozen_layers

    out = tmp_path / "frozen.json"
    result = frozen_layers.main(["--hidden", "32", "--layers", "2", "--heads", "2", "--frozen", "0,1,2",
                                 "--batch-size", "2", "--length", "32", "--eval-windows", "4", "--steps", "1",
                                 "--rounds", "1", "--threads", "1", "--out", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(result))
    base, *frozen = result["results"]
    assert base["frozen_layers"] == 0 and "train_warm_s" not in base and base["train_cold_speedup"] == 1.0
    assert [r["frozen_layers"] for r in frozen] == [1, 2]
    assert base["trainable_parameters"] > frozen[0]["trainable_parameters"] > frozen[1]["trainable_parameters"]
    for row in frozen:
        for key in ("train_cold_s", "train_warm_s", "eval_cold_s", "eval_warm_s", "train_warm_speedup",
                    "eval_warm_speedup"):
            assert _positive(row[key]), key
    for by_storage in result["logit_error"].values():
        assert set(by_storage) == {"float32", "float16", "bfloat16"}
        assert by_storage["float32"]["max_relative_difference"] < 1e-5
        assert by_storage["float32"]["best_start_agrees"] == 1.0
    assert result["bytes_per_cached_window"]["float16"] == 32 * 32 * 2
    assert result["settings"]["threads"] == 1 and result["command"].startswith("python -m benchmarks.frozen_layers")


def test_fit_cost_names_a_rows_folder_that_does_not_exist(tmp_path, capsys):
    from benchmarks import fit_cost

    with pytest.raises(SystemExit):
        fit_cost.main(["--old", str(tmp_path / "nope"), "--new", str(tmp_path), "--out", str(tmp_path / "c.json")])
    assert f"--old {tmp_path / 'nope'}: no rows file" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()
