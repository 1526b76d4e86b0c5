from __future__ import annotations

import logging
import random

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from decomp.errors import ConfigError
from decomp.readers import ExtractiveReader
from decomp.types import ReaderInput
from tests.readers.conftest import WholeQuestion, example


def trainer(**options) -> L.Trainer:
    return L.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, num_sanity_val_steps=0, **options)


def reader(**options) -> ExtractiveReader:
    module = ExtractiveReader(model="tiny-bert", strategy=None, max_length=64, doc_stride=16,
                              attention_dropout=0.0, **options)
    module.attach_strategy(WholeQuestion())
    return module


def eval_loader(examples) -> DataLoader:
    return DataLoader(examples, batch_size=4, collate_fn=list)


@pytest.fixture(scope="module")
def trained(memory_examples) -> tuple[ExtractiveReader, float]:
    """A tiny reader trained on the eight memory questions, and its mean loss on them afterwards."""
    L.seed_everything(0)
    module = reader(lr=5e-3, warmup_ratio=0.0)  # loss 0.10 in 50 steps (2e-3 took 100 steps to 0.16)
    trainer(max_steps=50).fit(module, train_dataloaders=module.training_loader(memory_examples, 8))
    batch = module.collate(module.training_features(memory_examples))
    with module.inference():
        loss = module.model(**module.model_inputs(batch)).loss.item()
    return module, loss


def test_a_trained_reader_answers_its_own_training_questions(trained, memory_examples):
    module, loss = trained
    assert loss < 0.5
    scores = trainer().validate(module, eval_loader(memory_examples), verbose=False)[0]
    assert scores["val_em"] >= 75 and scores["val_f1"] >= scores["val_em"]
    assert len(module.predictions["val"]) == len(memory_examples)


def test_answers_map_back_by_uid_whatever_the_input_order(trained, memory_examples):
    module, _ = trained
    inputs = [i for e in memory_examples for i in WholeQuestion().training_inputs(e)]
    shuffled = random.Random(7).sample(inputs, len(inputs))
    in_order = module.answer(inputs)
    module.eval_batch_size = 3  # several batches, each sorted by length: positions move around
    try:
        answers = module.answer(shuffled)
    finally:
        module.eval_batch_size = 32
    assert answers == in_order
    assert sum(answers[i.uid] == i.answers[0] for i in inputs) >= 6


def test_fit_validate_test_and_predict_run_through_lightning(memory_examples):
    module = reader()
    run = trainer(max_epochs=2, limit_val_batches=1)
    train = module.training_loader(memory_examples, 4)
    run.fit(module, train_dataloaders=train, val_dataloaders=eval_loader(memory_examples))
    assert {"train_loss", "val_em", "val_f1"} <= set(run.callback_metrics)
    assert run.global_step == 4 and train.batch_sampler.sampler.epoch == 1  # Lightning set the epoch
    tested = run.test(module, eval_loader(memory_examples[:4]), verbose=False)[0]
    assert 0 <= tested["test_em"] <= tested["test_f1"] <= 100
    batches = run.predict(module, eval_loader(memory_examples[:6]))
    records = [r for batch in batches for r in batch]
    assert [r["example_id"] for r in records] == [e.id for e in memory_examples[:6]]
    assert set(records[0]) >= {"example_id", "prediction", "trace", "gold", "em", "f1"}


class ModeProbe(L.Callback):
    def __init__(self) -> None:
        self.modes: set[bool] = set()

    def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
        self.modes |= {m.training for m in module.model.modules()}


def test_training_runs_in_train_mode_even_after_loading_in_eval_mode(memory_examples):
    module = reader()
    module.eval()  # as from_pretrained leaves the model
    probe = ModeProbe()
    trainer(max_steps=2, callbacks=[probe]).fit(module, module.training_loader(memory_examples, 4))
    assert probe.modes == {True}  # dropout active while fine-tuning


def test_unanswerable_training_inputs_are_counted_and_logged(memory_examples, caplog):
    module = reader()
    numeric = example("n1", "How many points in all?", "They scored 3 and 4 points.", "7")
    with caplog.at_level(logging.WARNING, logger="decomp.readers.base"):
        features = module.training_features([*memory_examples, numeric])
    assert module.unanswerable == 1 and list(module.unanswerable_log) == ["n1"]
    assert "1 of 9 training inputs" in caplog.text
    assert {f["uid"] for f in features} == {e.id for e in memory_examples}


def test_stride_must_leave_room_for_the_context():
    with pytest.raises(ConfigError, match="doc_stride"):
        ExtractiveReader(model="tiny-bert", strategy=None, max_length=64, doc_stride=32)


def test_answer_keeps_the_mode_and_rejects_repeated_uids():
    module = reader()
    module.train()
    item = ReaderInput("a", "a", "Who?", "Anna came.")
    assert set(module.answer([item])) == {"a"} and module.training
    with pytest.raises(ValueError, match="unique"):
        module.answer([item, item])


def test_registry_strategy_tokens_survive_a_checkpoint(memory_examples, tmp_path):
    module = ExtractiveReader(model="tiny-bert", strategy="implicit-operators", max_length=64, doc_stride=16)
    added = len(module.tokenizer) - 30522
    assert added > 0 and module.model.get_input_embeddings().num_embeddings == len(module.tokenizer)
    run = trainer(max_steps=1)
    run.fit(module, train_dataloaders=module.training_loader(memory_examples, 8))
    run.save_checkpoint(tmp_path / "reader.ckpt")
    loaded = ExtractiveReader.load_from_checkpoint(tmp_path / "reader.ckpt")
    assert len(loaded.tokenizer) == len(module.tokenizer)
    for name, weight in module.model.state_dict().items():
        assert torch.equal(weight, loaded.model.state_dict()[name]), name


def test_a_checkpoint_from_before_the_span_count_head_loads_with_the_two_tag_rule(memory_examples, tmp_path,
                                                                                caplog):
    module = ExtractiveReader(model="tiny-bert", strategy="none", max_length=64, doc_stride=16)
    run = trainer(max_steps=1)
    run.fit(module, train_dataloaders=module.training_loader(memory_examples, 8))
    run.save_checkpoint(tmp_path / "new.ckpt")
    assert ExtractiveReader.load_from_checkpoint(tmp_path / "new.ckpt").count_head_trained
    checkpoint = torch.load(tmp_path / "new.ckpt", weights_only=False)
    for key in [k for k in checkpoint["state_dict"] if k.startswith("count_head.")]:
        del checkpoint["state_dict"][key]
    torch.save(checkpoint, tmp_path / "old.ckpt")
    with caplog.at_level(logging.WARNING, logger="decomp.readers.extractive"):
        old = ExtractiveReader.load_from_checkpoint(tmp_path / "old.ckpt")
    assert not old.count_head_trained and old.multi_span and "no span-count head" in caplog.text
    assert set(old.answer([ReaderInput("a", "a", "Who?", "Anna came.")])) == {"a"}


def test_the_span_count_loss_is_part_of_the_training_loss(memory_examples):
    module = reader()
    batch = module.collate(module.training_features(memory_examples))
    with torch.no_grad():
        with_count = module.loss(batch).item()
        module.count_head.weight.zero_()
        module.count_head.bias.copy_(torch.tensor([0.0, 30.0]))  # "several spans" for one-span answers
        assert module.loss(batch).item() > with_count + 10


def test_a_training_step_updates_the_heads_beside_the_model(memory_examples):
    """The tagging and span-count heads live on the module, not in `model`: the optimizer must hold them."""
    module = reader(lr=1e-2, warmup_ratio=0.0)
    before = {name: p.detach().clone() for name, p in module.named_parameters()}
    trainer(max_steps=2).fit(module, train_dataloaders=module.training_loader(memory_examples, 8))
    changed = {name for name, p in module.named_parameters() if not torch.equal(p.detach(), before[name])}
    assert {"tag_head.weight", "tag_head.bias", "count_head.weight", "count_head.bias"} <= changed
    assert any(name.startswith("model.") for name in changed)
