"""The generative (seq2seq) reader with its families' own tokenizers: T5-style Unigram with `</s>` and
sentinels, BART-style byte-level BPE (tiny random models built offline by decomp.readers.tiny)."""

from __future__ import annotations

from dataclasses import replace

import lightning as L
import pytest
from torch.utils.data import DataLoader

from decomp.data.schema import Answer
from decomp.readers.generative import GenerativeReader
from decomp.readers.seq2seq import SPAN_SEPARATOR
from tests.readers.conftest import WholeQuestion, example

FAMILIES = {"tiny-t5-unigram": ("</s>", 1), "tiny-bart": ("</s>", 2)}


@pytest.mark.parametrize("model", FAMILIES)
def test_targets_round_trip_and_end_in_the_families_eos(model):
    module = GenerativeReader(model=model, strategy=None, max_length=64, max_new_tokens=24, attention_dropout=None)
    module.attach_strategy(WholeQuestion())
    eos, eos_id = FAMILIES[model]
    assert module.tokenizer.eos_token == eos and module.tokenizer.eos_token_id == eos_id
    item = replace(example("x", "Who scored?", "Walter Payton and Jason Elam scored in 1986."),
                   answers=(Answer.span("Walter Payton", "Jason Elam"),))  # one answer of two spans
    (feature,) = module.training_features([item])
    assert feature["labels"][-1] == eos_id
    assert module.tokenizer.decode(feature["labels"], skip_special_tokens=True) == SPAN_SEPARATOR.join(
        ["Walter Payton", "Jason Elam"])
    assert module.tokenizer.decode(feature["input_ids"], skip_special_tokens=True) == (
        "question: Who scored? context: Walter Payton and Jason Elam scored in 1986.")
    if model == "tiny-t5-unigram":
        assert module.tokenizer.convert_tokens_to_ids("<extra_id_0>") != module.tokenizer.unk_token_id


@pytest.mark.slow
@pytest.mark.parametrize("model", FAMILIES)
def test_fit_and_predict_with_realistic_tokenizers(model, memory_examples):
    L.seed_everything(0)
    module = GenerativeReader(model=model, strategy=None, max_length=64, max_new_tokens=8, lr=3e-3,
                              warmup_ratio=0.0)
    module.attach_strategy(WholeQuestion())
    run = L.Trainer(accelerator="cpu", max_steps=2, logger=False, enable_checkpointing=False,
                    enable_progress_bar=False, enable_model_summary=False)
    run.fit(module, module.training_loader(memory_examples[:4], 4))
    records = [r for b in run.predict(module, DataLoader(memory_examples[:4], batch_size=4, collate_fn=list))
               for r in b]
    assert [r["example_id"] for r in records] == [e.id for e in memory_examples[:4]]
    assert not any("</s>" in r["prediction"] or "<pad>" in r["prediction"] for r in records)
