from __future__ import annotations

import lightning as L
import pytest

from decomp.decomposers import load_decomposer
from decomp.decomposers.seq2seq import DecomposerModule, parse_target, target_text
from decomp.qdmr.steps import Step, references_of, validate_references

QUESTIONS = ["Who directed the film Titanic?", "How many touchdowns did Smith score?",
             "Who was born first, Ann or Bob?", "Where does Leviathan's author reside?"]
GOLD = [(Step("the film Titanic", "select"), Step("director of #1", "project", (1,))),
        (Step("touchdowns Smith scored", "select"), Step("number of #1", "aggregate", (1,))),
        (Step("when Ann was born", "select"), Step("when Bob was born", "select"),
         Step("which is lowest of #1 , #2", "comparison", (1, 2))),
        (Step("Leviathan", "select"), Step("author of #1", "project", (1,)))]


def test_targets_round_trip_and_bad_outputs_are_rejected():
    text = target_text(GOLD[2])
    assert text == "select: when Ann was born ;select: when Bob was born ;comparison: which is lowest of #1 , #2"
    assert parse_target(text) == GOLD[2]
    assert parse_target("select : the film ; project : director of # 1") == (
        Step("the film", "select"), Step("director of #1", "project", (1,)))
    assert parse_target("select: a ;project: b of #3") is None
    assert parse_target("jump: a") is None and parse_target("no operator") is None


class ModeProbe(L.Callback):
    def __init__(self) -> None:
        self.modes: set[bool] = set()

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self.modes |= {m.training for m in module.model.modules()}


@pytest.mark.slow  # a Lightning fit + generate: ~15-40 s on a loaded 2-core CPU
def test_tiny_model_fits_a_batch_decodes_and_reloads(tmp_path):
    module = DecomposerModule(model="tiny-bert", max_length=32, max_new_tokens=24, lr=1e-3, attention_dropout=0.0)
    module.eval()  # as from_pretrained leaves the model
    probe = ModeProbe()
    trainer = L.Trainer(accelerator="cpu", max_steps=3, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                        callbacks=[probe])
    trainer.fit(module, module.train_loader(QUESTIONS, GOLD, batch_size=4), module.eval_loader(QUESTIONS, GOLD))
    assert probe.modes == {True}  # dropout active while fine-tuning
    assert {"train_loss", "val_em", "val_valid"} <= set(trainer.callback_metrics)
    assert 0 <= float(trainer.callback_metrics["val_em"]) <= 100
    decoded = module.decompose(QUESTIONS + ["Which song reached #1?"])
    assert len(decoded) == 5 and 0 <= module.invalid <= 5
    for steps in decoded:
        validate_references([s.text for s in steps])
        assert all(s.references == references_of(s.text) for s in steps)
    path = tmp_path / "decomposer.ckpt"
    trainer.save_checkpoint(path)
    reloaded = load_decomposer(str(path))
    assert isinstance(reloaded, DecomposerModule)
    assert reloaded.decompose(QUESTIONS[:2]) == module.decompose(QUESTIONS[:2])
