from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import BertModel, EncoderDecoderModel, T5Config, T5ForConditionalGeneration

from decomp.errors import ConfigError
from decomp.readers.models import (
    load_extractive,
    load_generative,
    load_tokenizer,
    resize_embeddings,
    resolve,
    set_attention_dropout,
    tiny_bert_config,
)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


def test_minilm_alias_is_the_offline_folder(tokenizer):
    assert (Path(resolve("minilm")) / "config.json").is_file()
    assert resolve("some/hub-model") == "some/hub-model"
    assert tokenizer.is_fast and len(tokenizer) == 30522


def test_an_unknown_model_is_a_config_error_naming_it(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # as on a machine without the hub: no network wait
    with pytest.raises(ConfigError, match=r"model 'no-such/model-xyz': not 'minilm', 'tiny-bert', 'tiny-t5', a "
                                          r"model folder, or a hub model this machine can reach \("):
        load_tokenizer("no-such/model-xyz")
    with pytest.raises(ConfigError, match=f"model '{tmp_path}'"):  # a folder without a model
        load_tokenizer(str(tmp_path))


def test_tiny_extractive_model_and_attention_dropout_override(tokenizer):
    model = load_extractive("tiny-bert", tokenizer)
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    assert model.get_input_embeddings().num_embeddings == len(tokenizer)
    assert model.config.attention_probs_dropout_prob == 0.1
    quiet = load_extractive("tiny-bert", tokenizer, attention_dropout=0.0)
    assert quiet.config.attention_probs_dropout_prob == 0
    with pytest.raises(ConfigError, match="generative"):
        load_extractive("tiny-t5", tokenizer)


def test_attention_dropout_needs_a_field_to_set():
    with pytest.raises(ConfigError, match="attention-dropout"):
        set_attention_dropout(T5Config(), 0.0)
    set_attention_dropout(T5Config(), None)  # None keeps the model's own


def test_tiny_generative_models_end_answers_at_sep(tokenizer):
    bert2bert = load_generative("tiny-bert", tokenizer)
    assert isinstance(bert2bert, EncoderDecoderModel)
    assert bert2bert.generation_config.decoder_start_token_id == tokenizer.cls_token_id
    assert bert2bert.generation_config.eos_token_id == tokenizer.sep_token_id
    t5 = load_generative("tiny-t5", tokenizer)
    assert isinstance(t5, T5ForConditionalGeneration) and t5.config.eos_token_id == tokenizer.sep_token_id


def test_minilm_generative_is_bert2bert_warm_started_on_both_sides(tokenizer):
    model = load_generative("minilm", tokenizer, attention_dropout=0.0)
    assert isinstance(model, EncoderDecoderModel)
    assert model.config.decoder.is_decoder and model.config.decoder.add_cross_attention
    assert model.config.encoder.attention_probs_dropout_prob == 0
    assert model.config.decoder.attention_probs_dropout_prob == 0
    encoder_words = model.encoder.get_input_embeddings().weight
    assert encoder_words.equal(model.decoder.get_input_embeddings().weight)  # both from the checkpoint
    assert model.config.decoder_start_token_id == tokenizer.cls_token_id


def test_resize_grows_both_sides_of_an_encoder_decoder(tokenizer):
    model = load_generative("tiny-bert", tokenizer)
    resize_embeddings(model, len(tokenizer) + 3)
    assert model.encoder.get_input_embeddings().num_embeddings == len(tokenizer) + 3
    assert model.decoder.get_output_embeddings().out_features == len(tokenizer) + 3
    assert model.config.vocab_size == len(tokenizer) + 3
    resize_embeddings(model, 10)  # never shrinks
    assert model.decoder.get_input_embeddings().num_embeddings == len(tokenizer) + 3


# --- pretrained weights are read once per process and copied for every reader ----------------------------
@pytest.fixture
def tiny_checkpoint(tmp_path, tokenizer) -> str:
    """A tiny pretrained encoder in a local folder: no QA head, no cross-attention, no LM head."""
    torch.manual_seed(123)
    BertModel(tiny_bert_config(len(tokenizer))).save_pretrained(tmp_path / "tiny")
    return str(tmp_path / "tiny")


def _state(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_extractive_copies_are_independent_and_reseeded(tiny_checkpoint, tokenizer, monkeypatch):
    from transformers import AutoModelForQuestionAnswering

    reads = []
    load = AutoModelForQuestionAnswering.from_pretrained
    monkeypatch.setattr(AutoModelForQuestionAnswering, "from_pretrained",
                        lambda *a, **k: reads.append(a) or load(*a, **k))
    encoder = BertModel.from_pretrained(tiny_checkpoint).state_dict()
    torch.manual_seed(0)
    first = load_extractive(tiny_checkpoint, tokenizer, attention_dropout=0.0)
    initial = _state(first)
    # Training the first reader must not reach the next one's starting weights.
    optimizer = torch.optim.SGD(first.parameters(), lr=1.0)
    ids = torch.tensor([[tokenizer.cls_token_id, 2000, 2001, tokenizer.sep_token_id]])
    first(input_ids=ids, start_positions=torch.tensor([1]), end_positions=torch.tensor([2])).loss.backward()
    optimizer.step()
    assert not first.bert.encoder.layer[0].attention.self.query.weight.equal(
        initial["bert.encoder.layer.0.attention.self.query.weight"])
    torch.manual_seed(0)
    second = load_extractive(tiny_checkpoint, tokenizer, attention_dropout=0.0)
    assert all(v.equal(initial[k]) for k, v in second.state_dict().items())  # same seed: same start
    assert all(v.equal(encoder[k]) for k, v in second.bert.state_dict().items())  # the checkpoint's encoder
    torch.manual_seed(1)
    third = load_extractive(tiny_checkpoint, tokenizer, attention_dropout=0.0)
    assert not third.qa_outputs.weight.equal(second.qa_outputs.weight)  # the new head follows the seed
    assert third.qa_outputs.bias.abs().sum() == 0 and third.config.attention_probs_dropout_prob == 0
    assert len(reads) == 1  # read from disk once
    load_extractive(tiny_checkpoint, tokenizer, attention_dropout=0.1)
    assert len(reads) == 2  # another dropout is another model


def test_bert2bert_copies_redraw_cross_attention_and_keep_tied_weights(tiny_checkpoint, tokenizer):
    encoder = BertModel.from_pretrained(tiny_checkpoint).state_dict()
    torch.manual_seed(0)
    a = load_generative(tiny_checkpoint, tokenizer)
    torch.manual_seed(1)
    b = load_generative(tiny_checkpoint, tokenizer)
    cross = "bert.encoder.layer.0.crossattention.self.query.weight"
    assert not a.decoder.state_dict()[cross].equal(b.decoder.state_dict()[cross])
    for model in (a, b):
        assert all(v.equal(encoder[k]) for k, v in model.encoder.state_dict().items())
        words = model.decoder.get_input_embeddings().weight
        assert words.equal(encoder["embeddings.word_embeddings.weight"])  # tied LM head did not overwrite them
        assert model.decoder.get_output_embeddings().weight.data_ptr() == words.data_ptr()
