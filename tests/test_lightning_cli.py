"""`decomp fit|validate|test|predict --config ...`: the committed configs, every strategy x reader end to
end on a tiny model, results files, resuming a killed run, and clear errors for bad configurations."""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from decomp import lightning_cli
from decomp.cli import main
from decomp.curves.config import Strategy
from decomp.curves.fit_spec import FIT_SPEC, FIT_SPEC_VERSION, read_fit_spec
from decomp.data.datasets import get_dataset
from decomp.lightning_cli import DecompCLI, RefuseOverwrite
from decomp.readers import REGISTRY as READER_REGISTRY
from decomp.strategies import REGISTRY as STRATEGY_REGISTRY
from decomp.strategies.explicit import expand
from decomp.strategies.implicit import ImplicitOperators

CONFIGS = Path(__file__).resolve().parents[1] / "configs"
# Every registered strategy that trains a reader (discovered: a new one is tested with no edit here).
STRATEGIES = tuple(name for name, cls in STRATEGY_REGISTRY.items() if cls.needs_reader)
READERS = ("extractive", "generative")
SYNTHETIC = {"n": 30, "seed": 0, "n_deployed": 10}
# The Lightning configs: configs/<dataset>/<reader>-<strategy>.yaml (other folders hold other commands' files).
RUN_CONFIGS = sorted(p for d in ("drop", "hotpotqa", "synthetic") for p in (CONFIGS / d).glob("*.yaml"))
TINY_MODELS = {"extractive": "tiny-bert", "generative": "tiny-t5"}
QUIET = ["--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


def tiny(reader: str, strategy: str, *extra: str, dataset: str = "synthetic") -> list[str]:
    """The committed config with a tiny model, a small synthetic set and a one-step budget."""
    args = ["--config", str(CONFIGS / dataset / f"{reader}-{strategy}.yaml"), *QUIET]
    if reader in TINY_MODELS:  # the causal configs already name their tiny offline model
        args += ["--model.init_args.model", TINY_MODELS[reader]]
    if reader == "generative":
        args += ["--model.init_args.max_new_tokens", "3"]
    if dataset == "synthetic":
        args += ["--data.synthetic", json.dumps(SYNTHETIC), "--data.batch_size", "4", "--data.eval_examples", "4",
                 "--data.eval_limit", "4", "--trainer.max_steps", "1", "--trainer.num_sanity_val_steps", "0",
                 "--trainer.limit_val_batches", "1"]
    return [*args, *extra]


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- the committed configs ----------------------------------------------------------------------------
def test_committed_configs_are_what_make_configs_writes():
    spec = importlib.util.spec_from_file_location("make_configs", CONFIGS / "make_configs.py")
    make_configs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_configs)
    grid = make_configs.grid()
    assert sorted(grid) == RUN_CONFIGS
    gpu = make_configs.gpu_grid()
    assert sorted(gpu) == sorted([*(CONFIGS / "gpu").rglob("*.yaml"), *(CONFIGS / "curves").glob("*-gpu-*.yaml")])
    for path, text in {**grid, **gpu}.items():
        assert path.read_text() == text, f"{path} is stale: run python configs/make_configs.py"


@pytest.mark.parametrize("path", RUN_CONFIGS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_config_instantiates(path, in_tmp, monkeypatch):
    # Everything but the pretrained weights: a tiny model stands in for minilm (a second each, 30 times).
    monkeypatch.setattr(lightning_cli, "DecompCLI", functools.partial(DecompCLI, run=False))
    dataset = path.parent.name
    # <reader>-<strategy>: the longest registered reader kind that prefixes the name (causal-icl before causal)
    reader = max((kind for kind in READER_REGISTRY if path.stem.startswith(kind + "-")), key=len)
    strategy = path.stem.removeprefix(reader + "-")
    cli = lightning_cli.run_lightning_cli(tiny(reader, strategy, dataset=dataset))
    assert type(cli.model) is READER_REGISTRY[reader]
    assert cli.model.strategy.name == strategy
    assert cli.datamodule.hparams.dataset == dataset
    assert cli.trainer.max_epochs >= 1 and cli.trainer.checkpoint_callback is not None
    assert any(isinstance(c, RefuseOverwrite) for c in cli.trainer.callbacks)


def test_print_config_shows_the_resolved_configuration(capsys):
    path = CONFIGS / "synthetic" / "extractive-explicit.yaml"
    with pytest.raises(SystemExit) as exit_:
        main(["fit", "--config", str(path), "--print_config"])
    assert exit_.value.code == 0
    printed = capsys.readouterr().out
    assert "class_path: decomp.readers.ExtractiveReader" in printed and "supervision: oracle" in printed


# --- every strategy x reader, end to end -----------------------------------------------------------------
# Generative explicit runs generate once per step (10-20 s on 2 cores): marked slow.
CASES = [pytest.param(r, s, marks=[pytest.mark.slow] if r == "generative" and s.startswith("explicit") else [])
         for r in READERS for s in STRATEGIES]


@pytest.mark.parametrize(("reader", "strategy"), CASES)
def test_fit_validate_predict(reader, strategy, in_tmp):
    run = in_tmp / "runs" / "synthetic" / f"{reader}-{strategy}"
    assert main(["fit", *tiny(reader, strategy)]) == 0
    ckpt = run / "checkpoints" / "last.ckpt"
    assert ckpt.is_file() and (run / "config.yaml").is_file()
    assert main(["validate", *tiny(reader, strategy), "--ckpt_path", str(ckpt)]) == 0
    assert main(["predict", *tiny(reader, strategy), "--ckpt_path", str(ckpt)]) == 0
    records = read_jsonl(run / "predict" / "predictions.jsonl")  # evaluations log beside, not over, the fit
    assert len(records) == 4 and not (run / "predict" / "predictions.jsonl.partial").exists()
    assert (run / "config.yaml").is_file() and (run / "validate" / "config.yaml").is_file()
    assert all({"example_id", "prediction", "trace"} <= set(r) and r["trace"] for r in records)
    if strategy.startswith("explicit"):
        steps = {e.id: e.decomposition for e in get_dataset("synthetic", **SYNTHETIC).pool()}
        for r in records:
            decomposition, trace = steps[r["example_id"]], r["trace"]
            assert [t["step"] for t in trace] == list(range(1, len(decomposition) + 1))
            answers = {t["step"]: t["answer"] for t in trace}
            for t in trace:  # each step is asked with the earlier answers in place of its #k
                assert t["question"] == expand(decomposition, t["step"], answers)
                assert not re.search(r"#\d", t["question"])
            assert r["prediction"] == trace[-1]["answer"]
    elif strategy == "implicit-operators":
        tokens = set(ImplicitOperators().special_tokens())  # the question leads with its operator tokens
        assert all(r["trace"][0]["question"].split()[0] in tokens for r in records)


def test_predictions_reach_disk_once_and_atomically(tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr(lightning_cli, "write_atomic", lambda path, text: written.append((path, text)))
    trainer = SimpleNamespace(is_global_zero=True, log_dir=str(tmp_path), default_root_dir=None)
    recorder = lightning_cli.RunRecorder()
    recorder.on_predict_start(trainer, None)
    for batch in ([{"example_id": "a"}], [{"example_id": "b"}]):
        recorder.write_on_batch_end(trainer, None, batch, None, None, 0, 0)
    assert not written  # nothing mid-loop: a killed run leaves the earlier file whole
    recorder.on_predict_end(trainer, None)
    assert written == [(tmp_path / "predictions.jsonl", '{"example_id": "a"}\n{"example_id": "b"}\n')]


# --- test results, refusing to overwrite ------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(tmp_path_factory) -> tuple[list[str], Path]:
    """An extractive `explicit` run fitted for one step (absolute paths: no chdir at module scope)."""
    run = tmp_path_factory.mktemp("fitted") / "run"
    args = tiny("extractive", "explicit", "--trainer.logger.init_args.save_dir", str(run))
    assert main(["fit", *args]) == 0
    return args, run


def test_test_writes_metrics_with_data_strategy_and_versions(fitted):
    args, run = fitted
    assert main(["test", *args, "--ckpt_path", str(run / "checkpoints" / "last.ckpt")]) == 0
    result = json.loads((run / "test" / "metrics.json").read_text())
    assert set(result["metrics"]) >= {"test_em", "test_f1"}
    assert all(0 <= v <= 100 for v in result["metrics"].values())
    assert result["n"] == 4 and len(read_jsonl(run / "test" / "test_predictions.jsonl")) == 4
    data = result["data"]
    assert (data["dataset"], data["protocol"], data["fold"], data["k"], data["n_eval"]) == ("synthetic", "gold", 0,
                                                                                             "all", 4)
    assert data["train_hash"] and data["eval_hash"] and data["protocol_version"] == "gold-v1"
    assert result["strategy"] == {"strategy": "explicit", "format_version": 1, "supervision": "oracle"}
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert checkpoint["strategy"] == result["strategy"]  # the checkpoint records the strategy's format too
    assert result["per_operator"] and all({"em", "f1", "n"} <= set(v) for v in result["per_operator"].values())
    assert {"torch", "transformers", "lightning"} <= set(result["versions"])
    assert result["reader"]["class"] == "ExtractiveReader" and result["reader"]["model"] == "tiny-bert"


def test_fit_writes_the_run_spec_of_what_it_built_and_refit_fits_it_again(fitted, tmp_path):
    args, run = fitted
    spec, record = read_fit_spec(run / FIT_SPEC)
    strategy = STRATEGY_REGISTRY["explicit"]
    assert record["spec"]["spec_version"] == FIT_SPEC_VERSION and record["git_commit"]
    assert (record["reader_version"], record["strategy_version"]) == (READER_REGISTRY["extractive"].version,
                                                                      strategy.format_version)
    assert (spec.reader, spec.strategy, spec.seed) == ("extractive", Strategy("explicit", {"supervision": "oracle"}), 0)
    assert spec.data["synthetic"] == SYNTHETIC and spec.trainer["max_steps"] == 1
    # The spec describes the objects the YAML built: the checkpoint's reader and data hyper-parameters.
    checkpoint = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    reader = {k: v for k, v in checkpoint["hyper_parameters"].items() if not k.startswith("_")}  # LightningCLI's
    data = {k: v for k, v in checkpoint["datamodule_hyper_parameters"].items() if not k.startswith("_")}
    described = {**spec.reader_args, "strategy": "explicit", "strategy_options": {"supervision": "oracle"}}
    off = {"frozen_layers", "frozen_cache_dtype", "question_spans"}  # options off stay out of the hyper-parameters
    assert reader == {k: v for k, v in described.items() if k not in off} and off <= set(described)
    assert data == spec.data

    again = tmp_path / "again"
    assert main(["refit", str(run), "--out", str(again)]) == 0
    refitted, _ = read_fit_spec(again)
    assert refitted == spec
    weights = torch.load(again / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)["state_dict"]
    assert weights.keys() == checkpoint["state_dict"].keys()
    assert all(torch.equal(weights[name], checkpoint["state_dict"][name]) for name in weights)


def test_a_fresh_fit_into_a_run_with_a_checkpoint_refuses(fitted, capsys):
    args, run = fitted
    ckpt, spec = run / "checkpoints" / "last.ckpt", run / FIT_SPEC
    before = ckpt.read_bytes(), spec.read_bytes()
    assert main(["fit", *args, "--model.init_args.lr", "0.5"]) == 2
    err = capsys.readouterr().err
    assert "already holds checkpoints" in err and "--ckpt_path last" in err
    assert (ckpt.read_bytes(), spec.read_bytes()) == before  # the refused fit's spec (lr 0.5) is not written


# --- resuming a killed run ------------------------------------------------------------------------------
class Killed(Exception):
    pass


def test_a_run_killed_mid_epoch_resumes_to_the_same_weights(in_tmp, monkeypatch):
    # 32 synthetic questions -> 14 answerable training inputs -> 4 batches of 4 per epoch: 6 steps cross an
    # epoch boundary, and the kill at step 3 lands mid-epoch (and mid-way through the lr schedule).
    args = tiny("extractive", "none", "--data.val_fraction", "0", "--data.synthetic", '{"n": 40, "n_deployed": 10}',
                "--trainer.max_steps", "6", "--trainer.max_epochs", "-1", "--checkpoint.every_n_train_steps", "1")

    def run(save_dir: str, *extra: str) -> int:
        return main(["fit", *args, "--trainer.logger.init_args.save_dir", save_dir, *extra])

    assert run("straight") == 0

    def kill(self, trainer, module, batch, batch_idx):
        if trainer.global_step == 3:  # the step-3 checkpoint is written: die before training step 4
            raise Killed

    monkeypatch.setattr(RefuseOverwrite, "on_train_batch_start", kill, raising=False)
    with pytest.raises(Killed):
        run("killed")
    monkeypatch.undo()
    monkeypatch.chdir(in_tmp)
    assert torch.load("killed/checkpoints/last.ckpt", weights_only=False)["global_step"] == 3
    assert run("killed", "--ckpt_path", "last") == 0

    straight = torch.load("straight/checkpoints/last.ckpt", weights_only=False)
    resumed = torch.load("killed/checkpoints/last.ckpt", weights_only=False)
    assert straight["global_step"] == resumed["global_step"] == 6
    assert straight["epoch"] == resumed["epoch"] == 1
    assert straight["state_dict"].keys() == resumed["state_dict"].keys()
    for name, weight in straight["state_dict"].items():
        assert torch.equal(weight, resumed["state_dict"][name]), name


# --- bad configurations ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("extra", "message"), [
    (["--model.init_args.strategy", "bogus"], "unknown strategy 'bogus'"),
    (["--data.dataset", "squad"], "data.dataset must be one of"),
    (["--data.k", "ten"], "data.k: .*'ten'"),
    (["--data.protocol", "held-out"], "field 'data.protocol': must be one of"),
    (["--data.protocol", "deployed"], "deployed protocol has no gold decompositions.*data.decompositions"),
    (["--data.decompositions", "predicted"], "predicted_file"),
    (["--model.init_args.strategy_options", '{"supervision": "psychic"}'], "unknown supervision 'psychic'"),
], ids=["strategy", "dataset", "k", "protocol", "deployed-gold", "predicted-no-file", "supervision"])
def test_bad_configurations_fail_naming_the_field(extra, message, in_tmp, capsys):
    assert main(["fit", *tiny("extractive", "explicit"), *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith("decomp: error:") and re.search(message, err), err
    assert not list(in_tmp.glob("runs/**/*.ckpt"))


def test_a_value_of_the_wrong_type_is_rejected_by_the_parser(in_tmp, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", *tiny("extractive", "none"), "--data.fold", "first"])
    assert exit_.value.code != 0 and "fold" in capsys.readouterr().err
