from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from decomp import lightning_cli
from decomp.cli import main
from decomp.decomposers import load_decomposer
from decomp.decomposers.data import BreakDecompositionData, break_split, held_out
from decomp.decomposers.questions import load_questions
from decomp.decomposers.seq2seq import DecomposerModule
from decomp.errors import ConfigError
from decomp.qdmr.steps import validate_references

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "decomposers"
TINY = str(CONFIGS / "tiny.yaml")


@pytest.mark.slow  # builds both datasets' pools and deployed sets (~20 s on a cold cache)
def test_a_fold_decomposer_never_trains_on_that_fold_or_deployed_questions(data_dir):
    ids, texts = held_out(0)
    split = break_split(0)
    seen = {r.question_id for r in split.train + split.val}
    assert not seen & ids
    assert not {" ".join(r.question.lower().split()) for r in split.train + split.val} & texts
    assert split.excluded > 250 and {r.question_id.split("_")[0] for r in split.train} == {"DROP", "HOTPOT", "CWQ"}
    assert len(break_split(None).train) > len(split.train)
    # What `decompose --input drop:fold0` scores is exactly what this decomposer never saw.
    held = {i for name in ("drop", "hotpotqa") for i, _, _ in load_questions(f"{name}:fold0")}
    assert held and held <= ids


def test_the_data_module_rejects_a_fold_outside_the_protocol():
    with pytest.raises(ConfigError, match="data.fold must be in 0..4"):
        BreakDecompositionData(fold=5)


@pytest.mark.slow  # a LightningCLI fit of the tiny decomposer on real BREAK rows (~20-40 s on 2 busy cores)
def test_decomposer_trains_through_the_lightning_cli_and_its_checkpoint_decomposes(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["fit", "--config", TINY,
                 "--trainer.logger.init_args.save_dir", str(run)]) == 0
    checkpoint = run / "checkpoints" / "last.ckpt"
    assert checkpoint.is_file() and (run / "config.yaml").is_file()
    decomposer = load_decomposer(str(checkpoint))
    assert isinstance(decomposer, DecomposerModule) and decomposer.hparams.model == "tiny-bert"
    for steps in decomposer.decompose(["How many yards did Smith run?", "Who directed Titanic?"]):
        validate_references([s.text for s in steps])
    # A second fresh fit into the same folder would overwrite the checkpoint: refused, resumable instead.
    before = checkpoint.read_bytes()
    assert main(["fit", "--config", TINY,
                 "--trainer.logger.init_args.save_dir", str(run)]) == 2
    assert "--ckpt_path last" in capsys.readouterr().err and checkpoint.read_bytes() == before
    out = tmp_path / "pred.jsonl"
    assert main(["decompose", "--input", "drop:fold0", "--decomposer", str(checkpoint), "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == len(load_questions("drop:fold0"))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["id"] for r in records) and {r["source"] for r in records} == {f"tiny-bert seq2seq ({checkpoint})"}


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_decomposer_config_instantiates(path, monkeypatch):
    # Everything but the pretrained weights: the tiny model stands in for minilm.
    monkeypatch.setattr(lightning_cli, "DecompCLI", functools.partial(lightning_cli.DecompCLI, run=False))
    cli = lightning_cli.run_lightning_cli(["--config", str(path), "--model.init_args.model", "tiny-bert"])
    assert isinstance(cli.model, DecomposerModule) and isinstance(cli.datamodule, BreakDecompositionData)
    assert cli.datamodule.hparams.fold == 0 and cli.datamodule.hparams.n_folds == 5  # the readers' fold 0
    assert cli.trainer.checkpoint_callback is not None


def test_arguments_shared_with_the_readers_data_module_have_its_defaults():
    # The CLI's default data class is DecompDataModule; jsonargparse carries its values over to a decomposer
    # config for each shared argument the config omits, so differing defaults would silently change a run.
    import inspect

    from decomp.data.module import DecompDataModule

    ours, theirs = (inspect.signature(c.__init__).parameters for c in (BreakDecompositionData, DecompDataModule))
    shared = set(ours) & set(theirs) - {"self"}
    assert shared >= {"fold", "n_folds", "val_fraction", "batch_size", "data_dir"}
    assert {n: ours[n].default for n in shared} == {n: theirs[n].default for n in shared}
