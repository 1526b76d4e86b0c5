from __future__ import annotations

from pathlib import Path

import pytest
from transformers import EncoderDecoderModel, T5Config, T5ForConditionalGeneration

from decomp.errors import ConfigError
from decomp.readers.models import (
    load_extractive,
    load_generative,
    load_tokenizer,
    resize_embeddings,
    resolve,
    set_attention_dropout,
)


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("minilm")


def test_minilm_alias_is_the_offline_folder(tokenizer):
    assert (Path(resolve("minilm")) / "config.json").is_file()
    assert resolve("some/hub-model") == "some/hub-model"
    assert tokenizer.is_fast and len(tokenizer) == 30522


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
