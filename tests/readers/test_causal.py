"""The causal reader on tiny random Llama/Qwen2 models with byte-level BPE tokenizers (decomp.readers.tiny)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from decomp.data.synthetic import generate
from decomp.errors import ConfigError
from decomp.readers.adapters import base_model
from decomp.readers.answers import answer_form, answer_spans
from decomp.readers.causal import CausalReader
from decomp.strategies import get_strategy
from tests.readers.conftest import WholeQuestion

STRATEGIES = ("none", "implicit-operators", "implicit-steps", "explicit", "explicit-hybrid")


def trainer(**options) -> L.Trainer:
    return L.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, num_sanity_val_steps=0, **options)


def reader(model: str = "tiny-llama", **options) -> CausalReader:
    args = {"max_length": 320, "max_new_tokens": 8, "attention_dropout": 0.0, "eval_batch_size": 4, **options}
    return CausalReader(model=model, **args)


@pytest.fixture(scope="module")
def synthetic():
    return generate(24, 0)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_one_batch_fit_validate_predict_for_every_strategy(strategy, synthetic):
    model = "tiny-qwen2" if strategy in ("implicit-operators", "explicit") else "tiny-llama"
    module = reader(model, strategy=strategy, strategy_options={"supervision": "oracle"}
                    if strategy.startswith("explicit") else None, gradient_checkpointing=strategy == "implicit-steps")
    run = trainer(max_steps=1, limit_val_batches=1, val_check_interval=1)
    run.fit(module, module.training_loader(synthetic[:8], 4), DataLoader(synthetic[8:12], batch_size=4,
                                                                         collate_fn=list))
    assert {"train_loss", "val_em", "val_f1"} <= set(run.callback_metrics)
    records = [r for b in run.predict(module, DataLoader(synthetic[12:16], batch_size=4, collate_fn=list)) for r in b]
    assert [r["example_id"] for r in records] == [e.id for e in synthetic[12:16]]
    if strategy.startswith("explicit"):  # a trace step per decomposition step, by the reader or the executor
        steps = {e.id: len(e.decomposition) for e in synthetic[12:16]}
        assert all([s["step"] for s in r["trace"]] == list(range(1, steps[r["example_id"]] + 1)) for r in records)
        assert all(s["by"] in ("reader", "executor") for r in records for s in r["trace"])
    if strategy == "implicit-operators":
        ids = module.tokenizer.convert_tokens_to_ids("[select]")
        rows = base_model(module.model).get_input_embeddings().weight.shape[0]
        assert ids >= 1200 and rows >= len(module.tokenizer)
        assert any("trainable_tokens" in n for n, p in module.named_parameters() if p.requires_grad)


def test_loss_is_on_the_answer_tokens_only(memory_examples):
    module = reader(finetune="full", strategy=None)
    module.attach_strategy(WholeQuestion())
    feature = module.training_features(memory_examples[:1])[0]
    labels = [t for t in feature["labels"] if t != -100]
    assert feature["labels"][:len(feature["labels"]) - len(labels)] == [-100] * (len(feature["labels"]) - len(labels))
    assert module.tokenizer.decode(labels) == " Walter Payton</s>"
    assert feature["input_ids"][0] == module.tokenizer.bos_token_id
    chat = reader("tiny-qwen2", finetune="full", strategy=None)
    chat.attach_strategy(WholeQuestion())
    feature = chat.training_features(memory_examples[:1])[0]
    text = chat.tokenizer.decode(feature["input_ids"])
    assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\nWalter Payton<|im_end|>")
    assert chat.tokenizer.decode([t for t in feature["labels"] if t != -100]) == "Walter Payton<|im_end|>"


def test_long_passages_are_cut_to_max_length():
    module = reader(finetune="full", max_length=160)
    example = generate(1, 0)[0]
    (feature,) = module.featurize(get_strategy("none").training_inputs(example), train=True)
    assert 155 <= feature["length"] == len(feature["input_ids"]) <= 160  # the passage was cut, not the answer
    assert module.tokenizer.decode(feature["input_ids"]).endswith(example.answers[0].text() + "</s>")


@pytest.mark.slow
def test_a_trained_reader_answers_its_training_questions_batched_as_one_by_one(memory_examples):
    L.seed_everything(0)
    module = reader(finetune="full", lr=3e-3, warmup_ratio=0.0, strategy=None, instruction="")
    module.attach_strategy(WholeQuestion())
    trainer(max_steps=60).fit(module, module.training_loader(memory_examples, 8))
    scores = trainer().validate(module, DataLoader(memory_examples, batch_size=8, collate_fn=list), verbose=False)
    assert scores[0]["val_em"] == 100
    inputs = [i for e in memory_examples for i in WholeQuestion().training_inputs(e)]
    batched = module.answer(inputs)  # left-padded batches of 4
    module.eval_batch_size = 1
    assert {i.uid: module.answer([i])[i.uid] for i in inputs} == batched


@pytest.mark.slow
def test_lora_adapters_are_saved_alone_and_reload_to_the_same_predictions(memory_examples, tmp_path):
    L.seed_everything(0)
    options = {"model": "tiny-qwen2", "finetune": "lora", "lora_rank": 4, "lr": 2e-2, "warmup_ratio": 0.0,
               "lora_target_modules": ["q_proj", "v_proj"], "strategy": "implicit-operators", "max_new_tokens": 6}
    module = reader(**options)
    trainable = {n for n, p in module.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or "trainable_tokens" in n for n in trainable)
    run = trainer(max_steps=15)
    run.fit(module, module.training_loader(memory_examples, 8))
    path = tmp_path / "lora.ckpt"
    run.save_checkpoint(path)
    saved = torch.load(path, weights_only=True)["state_dict"]
    assert set(saved) == trainable  # the frozen base is not in the checkpoint
    before = module.predict_records(memory_examples)
    reloaded = CausalReader.load_from_checkpoint(path)
    assert [r["prediction"] for r in reloaded.predict_records(memory_examples)] == [r["prediction"] for r in before]
    fresh = reader(**options)
    assert not torch.equal(dict(fresh.named_parameters())[next(n for n in trainable if "lora_B" in n)],
                           dict(reloaded.named_parameters())[next(n for n in trainable if "lora_B" in n)])


def test_bad_configuration_is_refused_naming_the_key():
    with pytest.raises(ConfigError, match="model.init_args.model.*not a causal"):
        reader("tiny-t5-unigram")
    with pytest.raises(ConfigError, match="lora_target_modules.*'w_in'.*q_proj"):
        reader(lora_target_modules=["q_proj", "w_in"])
    with pytest.raises(ConfigError, match=r"model.init_args.prompt.*\{question\}"):
        reader(prompt="Passage: {context}\nAnswer:")
    with pytest.raises(ConfigError, match="unknown placeholder"):
        reader(prompt="{passage} {question}")
    with pytest.raises(ConfigError, match="finetune"):
        reader(finetune="adapters")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="finetune: qlora.*GPU"):
            reader(finetune="qlora")


def test_generated_text_becomes_answer_forms():
    assert answer_spans(" Walter Payton\nQuestion: who", ["\n"]) == ("Walter Payton",)
    assert answer_spans("Anna ; Ben ; Anna", ["\n"]) == ("Anna", "Ben")
    assert answer_spans("Answer: 1,234", []) == ("1234",)
    assert [answer_form(s) for s in ("seven", "12.5%", "October 3, 1990", "May 1990", "Super Bowl 50", "May")] == [
        "7", "12.5", "3 October 1990", "May 1990", "Super Bowl 50", "May"]
