"""The generative reader: a seq2seq model writes the answer (numbers and multi-span answers included)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

from transformers import PreTrainedModel

from decomp.data.features import Featurized
from decomp.readers import register_reader
from decomp.readers.base import ReaderModule, check_unique_uids, chunks
from decomp.readers.models import eos_token_id, load_generative
from decomp.readers.seq2seq import parse_spans, seq2seq_features
from decomp.types import ReaderInput


@register_reader("generative")
class GenerativeReader(ReaderModule):
    """Reads "question: ... context: ..." and writes the answer; multi-span targets are joined with " ; " and
    generated answers are split there into their spans.

    The model is the checkpoint's own seq2seq model (T5, BART, ...) or, for an encoder-only checkpoint
    such as the default "minilm", a BERT2BERT `EncoderDecoderModel` warm-started from it.

    Args (besides `ReaderModule`'s):
        num_beams: beam width of `generate` (1: greedy).
        max_new_tokens: longest generated answer; training targets are cut to this length too.
    """

    model_keys = ("input_ids", "attention_mask", "labels")
    featurizer_settings = ("max_length", "max_new_tokens")

    @classmethod
    def grid_args(cls, max_length: int) -> dict:
        return {**super().grid_args(max_length), "lr": 3e-4, "max_new_tokens": 32}

    def __init__(self, num_beams: int = 1, max_new_tokens: int = 32, **kwargs):
        super().__init__(**kwargs)
        self.num_beams = num_beams
        self.max_new_tokens = max_new_tokens

    def build_model(self, spec: str, attention_dropout: float | None) -> PreTrainedModel:
        return load_generative(spec, self.tokenizer, attention_dropout)

    @property
    def pad_values(self) -> dict[str, int]:
        return {"input_ids": self.tokenizer.pad_token_id, "attention_mask": 0, "labels": -100}

    @classmethod
    def featurizer(cls, tokenizer, settings: Mapping) -> Callable[[Sequence[ReaderInput], bool], Featurized]:
        return functools.partial(_seq2seq, tokenizer, max_length=settings["max_length"],
                                 max_target_length=settings["max_new_tokens"])

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, tuple[str, ...]]:
        check_unique_uids(inputs)
        features = self.featurize(inputs, train=False)
        answers = {}
        order = sorted(range(len(features)), key=lambda k: features[k]["length"])
        with self.inference():
            for chunk in chunks(order, self.eval_batch_size):
                batch = self.model_inputs(self.collate([features[k] for k in chunk]))
                generated = self.model.generate(**batch, num_beams=self.num_beams,
                                                max_new_tokens=self.max_new_tokens)
                texts = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
                for k, text in zip(chunk, texts, strict=True):
                    answers[features[k]["uid"]] = parse_spans(text)
        return answers


def _seq2seq(tokenizer, inputs: Sequence[ReaderInput], train: bool, *, max_length: int,
             max_target_length: int) -> Featurized:
    features, skipped = seq2seq_features(tokenizer, inputs, max_length=max_length,
                                         max_target_length=max_target_length,
                                         eos_token_id=eos_token_id(tokenizer), train=train)
    return Featurized(features, skipped)
