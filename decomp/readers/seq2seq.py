"""Generative pre-processing: "question: ... context: ..." in, the first gold alternative out.

A multi-span target is its spans joined by " ; " (DROP answers hold commas, "Cleveland, Ohio", but no
semicolons); `parse_spans` splits a generated answer back into its spans.
"""

from __future__ import annotations

from collections.abc import Sequence

from transformers import PreTrainedTokenizerBase

from decomp.types import ReaderInput


def source_text(item: ReaderInput) -> str:
    return f"question: {item.question} context: {item.context}"


SPAN_SEPARATOR = " ; "


def target_text(item: ReaderInput) -> str:
    """The first gold alternative, multi-span answers joined with `SPAN_SEPARATOR` ('' when there is none)."""
    return SPAN_SEPARATOR.join(s.strip() for s in item.answers[0] if s.strip()) if item.answers else ""


def parse_spans(text: str) -> tuple[str, ...]:
    """A generated answer's spans: split at the separator, blanks dropped, each distinct text once."""
    return tuple(dict.fromkeys(s.strip() for s in text.split(SPAN_SEPARATOR.strip()) if s.strip()))


def seq2seq_features(tokenizer: PreTrainedTokenizerBase, inputs: Sequence[ReaderInput], *, max_length: int,
                     max_target_length: int, eos_token_id: int,
                     train: bool) -> tuple[list[dict], list[ReaderInput]]:
    """Features (uid, length, input_ids, attention_mask, and for training `labels` ending in EOS) and the
    training inputs skipped for having no target. Sources are cut at `max_length` tokens (the context end).
    """
    skipped = [i for i in inputs if not target_text(i)] if train else []
    inputs = [i for i in inputs if target_text(i)] if train else list(inputs)
    if not inputs:
        return [], skipped
    encoded = tokenizer([source_text(i) for i in inputs], truncation=True, max_length=max_length)
    if train:
        # Labels carry no start token: the model prepends its decoder start token itself.
        labels = tokenizer([target_text(i) for i in inputs], add_special_tokens=False, truncation=True,
                           max_length=max_target_length - 1)["input_ids"]
    features = []
    for k, item in enumerate(inputs):
        ids = encoded["input_ids"][k]
        feature = {"uid": item.uid, "length": len(ids), "input_ids": ids,
                   "attention_mask": encoded["attention_mask"][k]}
        if train:
            feature["labels"] = labels[k] + [eos_token_id]
        features.append(feature)
    return features, skipped
