"""The causal reader: a decoder-only LM (Qwen2.5, Llama, SmolLM2, ...) reads a prompt and writes the answer.

Training puts the loss on the answer tokens only (and the end-of-answer token that follows them). Inference
is batched greedy generation with left padding, stopped at the end-of-answer token or a stop string; the
continuation is parsed into DROP/HotpotQA answer forms (`decomp.readers.answers`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import torch
from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig, PreTrainedModel, PreTrainedTokenizerBase
from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES

from decomp.data.features import Featurized
from decomp.errors import ConfigError
from decomp.readers import register_reader
from decomp.readers.adapters import add_lora, base_model, check_finetune, is_adapted, quantization_config
from decomp.readers.answers import answer_spans
from decomp.readers.base import ReaderModule, check_unique_uids, chunks
from decomp.readers.models import eos_token_id, loaded_copy, resolve, set_attention_dropout
from decomp.readers.prompts import DEFAULT_TEMPLATE, INSTRUCTION, TEMPLATES, PromptFormat, check_template
from decomp.readers.seq2seq import target_text
from decomp.types import ReaderInput

_KEY = "model.init_args"


def pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """Padding (always masked out): the tokenizer's pad token, else its end-of-answer token."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_token_id(tokenizer)


def prompt_format(tokenizer: PreTrainedTokenizerBase, settings: Mapping) -> PromptFormat:
    """The prompt of a reader's settings: its own template or its strategy's, chat when the tokenizer has one."""
    chat = settings.get("chat_template")
    if chat is None:
        chat = bool(getattr(tokenizer, "chat_template", None))
    elif chat and not getattr(tokenizer, "chat_template", None):
        raise ConfigError(f"{_KEY}.chat_template: the tokenizer of {tokenizer.name_or_path!r} has no chat template")
    template = settings.get("prompt") or TEMPLATES.get(settings.get("strategy") or "none", DEFAULT_TEMPLATE)
    instruction = settings.get("instruction")
    return PromptFormat(template=template, instruction=INSTRUCTION if instruction is None else instruction,
                        chat=chat)


def encode(tokenizer: PreTrainedTokenizerBase, fmt: PromptFormat, text: str) -> list[int]:
    # A chat template writes its own special tokens; a plain prompt gets the tokenizer's (e.g. Llama's BOS).
    return tokenizer(text, add_special_tokens=not fmt.chat)["input_ids"]


def fit_prompt(tokenizer: PreTrainedTokenizerBase, fmt: PromptFormat, render: Callable[[str], str], context: str,
               budget: int) -> list[int]:
    """The ids of `render(context)`, the context cut at its end until the prompt takes at most `budget` tokens."""
    ids = encode(tokenizer, fmt, render(context))
    while len(ids) > budget and context:
        offsets = tokenizer(context, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
        keep = max(0, len(offsets) - (len(ids) - budget) - 1)  # one spare: merges at the cut may shift a token
        context = context[:offsets[keep - 1][1]] if keep else ""
        ids = encode(tokenizer, fmt, render(context))
    if len(ids) > budget:
        raise ConfigError(f"{_KEY}.max_length: a prompt takes {len(ids)} tokens even without its passage, over "
                          f"the {budget} left for it")
    return ids


def causal_features(tokenizer: PreTrainedTokenizerBase, inputs: Sequence[ReaderInput], train: bool, *,
                    fmt: PromptFormat, max_length: int, max_new_tokens: int) -> Featurized:
    """Prompt ids (uid, length, input_ids, attention_mask); for training also the answer and its end token,
    with `labels` -100 over the prompt. Inputs without a gold answer are skipped in training."""
    eos = eos_token_id(tokenizer)
    features, skipped = [], []
    for item in inputs:
        answer = target_text(item)
        if train and not answer:
            skipped.append(item)
            continue
        target = []
        if train:
            target = tokenizer(fmt.answer_text(answer), add_special_tokens=False)["input_ids"][:max_new_tokens - 1]
            target.append(eos)
        room = max_length - (len(target) if train else max_new_tokens)
        render = functools.partial(_single_turn, tokenizer, fmt, item.question)
        prompt = fit_prompt(tokenizer, fmt, render, item.context, room)
        ids = prompt + target
        feature = {"uid": item.uid, "length": len(ids), "input_ids": ids, "attention_mask": [1] * len(ids)}
        if train:
            feature["labels"] = [-100] * len(prompt) + target
        features.append(feature)
    return Featurized(features, skipped)


def _single_turn(tokenizer: PreTrainedTokenizerBase, fmt: PromptFormat, question: str, context: str) -> str:
    return fmt.render(tokenizer, [[(fmt.turn(question, context), None)]])


def load_causal(spec: str, attention_dropout: float | None, dtype: torch.dtype, quantized: bool) -> PreTrainedModel:
    """The checkpoint's causal LM; a clear error when `spec` names another kind of model."""
    path = resolve(spec)
    config = AutoConfig.from_pretrained(path)
    architectures = config.architectures or []
    causal = (any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in architectures) if architectures
              else config.model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES)
    if config.is_encoder_decoder or not causal:
        kind = ", ".join(architectures) or config.model_type
        raise ConfigError(f"{_KEY}.model: {spec!r} is not a causal (decoder-only) LM but {kind}; use the "
                          "generative reader for encoder-decoder models, the extractive one for encoders")
    set_attention_dropout(config, attention_dropout)
    if quantized:
        return AutoModelForCausalLM.from_pretrained(path, config=config, quantization_config=quantization_config(),
                                                    dtype=torch.bfloat16, device_map={"": torch.cuda.current_device()})

    def load() -> tuple[PreTrainedModel, list[str]]:
        return AutoModelForCausalLM.from_pretrained(path, config=config, dtype=dtype), []
    return loaded_copy(("causal", path, attention_dropout, str(dtype)), load)


@register_reader("causal")
class CausalReader(ReaderModule):
    """A decoder-only LM fine-tuned (LoRA, QLoRA or fully) to write answers after a prompt.

    Args (besides `ReaderModule`'s):
        model: hub name or folder of any `AutoModelForCausalLM`, or `tiny-llama` / `tiny-qwen2` (tests).
        max_new_tokens: longest generated answer; training answers are cut to this length too.
        prompt: the question template ({question}, optionally {context}); None: the strategy's own.
        instruction: said once before the question (None: the default; '' none).
        chat_template: wrap prompts in the tokenizer's chat template (None: when it has one).
        stop: strings that end an answer besides the end-of-answer token (default: a newline).
        finetune: `lora`, `qlora` (4-bit base; CUDA and bitsandbytes) or `full`.
        lora_rank, lora_alpha, lora_dropout, lora_target_modules: the adapters (names of linear layers, or
            "all-linear").
        gradient_checkpointing: recompute activations in the backward pass (less memory, ~30% slower).
        dtype: weights' dtype; "auto" is bfloat16 on a GPU that has it (except for full fine-tuning, which
            keeps float32 weights under the trainer's bf16-mixed autocast), float32 otherwise.
    """

    model_keys = ("input_ids", "attention_mask", "labels")
    featurizer_settings = ("max_length", "max_new_tokens", "prompt", "instruction", "chat_template", "strategy")

    @classmethod
    def grid_args(cls, max_length: int) -> dict:
        # A prompt holds an instruction and labels besides the encoder's window; tiny-llama works offline.
        return {"model": "tiny-llama", "max_length": 2 * max_length, "lr": 1e-3, "max_new_tokens": 32,
                "finetune": "lora"}

    def __init__(self, model: str = "Qwen/Qwen2.5-0.5B-Instruct", max_length: int = 1024, max_new_tokens: int = 32,
                 prompt: str | None = None, instruction: str | None = None, chat_template: bool | None = None,
                 stop: list[str] | None = None, finetune: str = "lora", lora_rank: int = 16,
                 lora_alpha: float = 32.0, lora_dropout: float = 0.05,
                 lora_target_modules: str | list[str] = "all-linear", gradient_checkpointing: bool = False,
                 dtype: str = "auto", **kwargs):
        check_finetune(finetune)
        if prompt is not None:
            check_template(prompt, f"{_KEY}.prompt")
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"{_KEY}.dtype: one of auto, float32, bfloat16; got {dtype!r}")
        if max_new_tokens < 1 or max_new_tokens >= max_length:
            raise ConfigError(f"{_KEY}.max_new_tokens must be in [1, max_length), got {max_new_tokens}")
        super().__init__(model=model, max_length=max_length, **kwargs)
        self.max_new_tokens = max_new_tokens
        self.stop = ["\n"] if stop is None else list(stop)
        # Adapters are added by attach_strategy, once the strategy's tokens have joined the vocabulary.
        # A LoRA checkpoint holds the trainable weights only (see on_save_checkpoint).
        self.strict_loading = finetune == "full"

    # --- model ----------------------------------------------------------------------------------------------
    def build_model(self, spec: str, attention_dropout: float | None) -> PreTrainedModel:
        h = self.hparams
        bf16 = h.dtype == "bfloat16" or (h.dtype == "auto" and h.finetune != "full" and torch.cuda.is_available()
                                         and torch.cuda.is_bf16_supported())
        model = load_causal(spec, attention_dropout, torch.bfloat16 if bf16 else torch.float32,
                            quantized=h.finetune == "qlora")
        model.generation_config.pad_token_id = pad_id(self.tokenizer)
        if h.gradient_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            model.config.use_cache = False
        return model

    def attach_strategy(self, strategy) -> None:
        """Add the strategy's tokens (each embedded as the mean of the pieces it used to be split into, so
        that a reload gives the same rows), then the adapters."""
        if is_adapted(self.model):
            vocab = self.tokenizer.get_vocab()
            if any(t not in vocab for t in strategy.special_tokens()):
                raise ConfigError("the reader already has LoRA adapters: pass the strategy at construction "
                                  "(strategy=...) so that its tokens join the vocabulary first")
            self.strategy = strategy
            return
        vocab = self.tokenizer.get_vocab()
        pieces = {t: self.tokenizer(t, add_special_tokens=False)["input_ids"]
                  for t in strategy.special_tokens() if t not in vocab}
        super().attach_strategy(strategy)
        with torch.no_grad():
            for layer in {id(e): e for e in (self.model.get_input_embeddings(),
                                               self.model.get_output_embeddings()) if e is not None}.values():
                for token, ids in pieces.items():
                    layer.weight[self.tokenizer.convert_tokens_to_ids(token)] = layer.weight[ids].mean(0)
        self._added = [self.tokenizer.convert_tokens_to_ids(t) for t in pieces]
        if self.hparams.get("strategy") is None:  # attached after construction: its prompt template applies
            self.hparams["strategy"] = getattr(strategy, "name", None)
        self._prepare_weights()

    def _prepare_weights(self) -> None:
        h = self.hparams
        if self.in_context:
            self.model.requires_grad_(False)
        elif h.finetune in ("lora", "qlora") and not is_adapted(self.model):
            self.model = add_lora(self.model, rank=h.lora_rank, alpha=h.lora_alpha, dropout=h.lora_dropout,
                                  targets=h.lora_target_modules, trainable_tokens=getattr(self, "_added", ()),
                                  quantized=h.finetune == "qlora", gradient_checkpointing=h.gradient_checkpointing)

    @property
    def fmt(self) -> PromptFormat:
        return prompt_format(self.tokenizer, self.hparams)

    @property
    def pad_values(self) -> dict[str, int]:
        return {"input_ids": pad_id(self.tokenizer), "attention_mask": 0, "labels": -100}

    @classmethod
    def featurizer(cls, tokenizer, settings: Mapping) -> Callable[[Sequence[ReaderInput], bool], Featurized]:
        return functools.partial(causal_features, tokenizer, fmt=prompt_format(tokenizer, settings),
                                 max_length=settings["max_length"], max_new_tokens=settings["max_new_tokens"])

    # --- checkpoints ----------------------------------------------------------------------------------------
    def trainable_names(self) -> set[str]:
        return {name for name, p in self.named_parameters() if p.requires_grad}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        if self.hparams.finetune != "full":
            keep = self.trainable_names()
            checkpoint["state_dict"] = {k: v for k, v in checkpoint["state_dict"].items() if k in keep}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        missing = sorted(self.trainable_names() - set(checkpoint["state_dict"]))
        if missing and self.hparams.finetune != "full":
            raise ConfigError(f"the checkpoint lacks {len(missing)} adapter weights of this reader (e.g. "
                              f"{missing[0]}): was it trained with other lora_* settings or another strategy?")

    # --- inference ------------------------------------------------------------------------------------------
    def prompts(self, inputs: Sequence[ReaderInput]) -> list[list[int]]:
        """The prompt ids of each input."""
        return [f["input_ids"] for f in self.featurize(inputs, train=False)]

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, tuple[str, ...]]:
        check_unique_uids(inputs)
        texts = self.generate(self.prompts(inputs))
        return {i.uid: answer_spans(t, self.stop) for i, t in zip(inputs, texts, strict=True)}

    def generate(self, prompts: Sequence[list[int]]) -> list[str]:
        """Greedy continuations of `prompts` (left-padded batches, shortest first), in the order given."""
        pad = pad_id(self.tokenizer)
        config = GenerationConfig(max_new_tokens=self.max_new_tokens, do_sample=False, num_beams=1,
                                  pad_token_id=pad, eos_token_id=self.stop_ids(), stop_strings=self.stop or None)
        out: list[str] = [""] * len(prompts)
        order = sorted(range(len(prompts)), key=lambda k: len(prompts[k]))
        with self.inference():
            for chunk in chunks(order, self.eval_batch_size):
                width = max(len(prompts[k]) for k in chunk)
                ids = torch.tensor([[pad] * (width - len(prompts[k])) + prompts[k] for k in chunk], device=self.device)
                mask = torch.tensor([[0] * (width - len(prompts[k])) + [1] * len(prompts[k]) for k in chunk],
                                    device=self.device)
                generated = self.model.generate(input_ids=ids, attention_mask=mask, generation_config=config,
                                                tokenizer=self.tokenizer)
                texts = self.tokenizer.batch_decode(generated[:, width:], skip_special_tokens=True)
                for k, text in zip(chunk, texts, strict=True):
                    out[k] = text
        return out

    def stop_ids(self) -> list[int]:
        """End-of-answer tokens: the tokenizer's and the model's own (an instruct model's end of turn)."""
        ids = {eos_token_id(self.tokenizer)}
        model_eos = base_model(self.model).generation_config.eos_token_id
        ids.update(model_eos if isinstance(model_eos, list) else [model_eos] if model_eos is not None else [])
        return sorted(ids)
