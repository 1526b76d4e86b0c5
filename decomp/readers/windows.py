"""Extractive pre-processing (as transformers' run_qa.py): question + overlapping context windows.

Each window is one feature: the question, then a slice of the context of at most `max_length` tokens in
all; consecutive windows share `doc_stride` context tokens (the Hugging Face meaning of stride). For
training each window points at the gold span's tokens, or at CLS when the span is not wholly inside it.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from decomp.readers.types import ReaderInput


def locate_answer(context: str, answers: Sequence[Sequence[str]]) -> tuple[int, int] | None:
    """(start, end) characters of the first gold alternative that occurs in the context.

    Alternatives are tried in order; within a multi-span alternative, its spans in order. A span matches
    case-insensitively on word boundaries, any run of whitespace matching any other, at its first
    occurrence. None when no span occurs.
    """
    for alternative in answers:
        for span in alternative:
            words = span.split()
            if not words:
                continue
            pattern = r"\s+".join(map(re.escape, words))
            match = re.search(rf"(?<!\w){pattern}(?!\w)", context, flags=re.IGNORECASE)
            if match:
                return match.start(), match.end()
    return None


@dataclass
class WindowStats:
    """What featurising one call skipped or cut, so that nothing is dropped unseen."""

    unanswerable: list[ReaderInput] = field(default_factory=list)  # training inputs without a span answer
    truncated_questions: int = 0
    negative_windows: int = 0  # training windows without the answer (pointing at CLS)
    negative_windows_dropped: int = 0


def window_features(tokenizer: PreTrainedTokenizerBase, inputs: Sequence[ReaderInput], *, max_length: int,
                    doc_stride: int, train: bool, negative_share: float = 1.0,
                    seed: int = 0) -> tuple[list[dict], WindowStats]:
    """One feature per window: uid, length, input_ids, attention_mask (token_type_ids if the model has them),
    and for training start_positions/end_positions, else `offsets` (per token: its context characters
    (start, end), or None outside the context).

    Training keeps a random `negative_share` of the windows without the answer (seeded).
    """
    if not 0 <= doc_stride < max_length // 2:
        raise ValueError(f"doc_stride must be in [0, max_length // 2): got {doc_stride} with {max_length}")
    stats = WindowStats()
    if train:
        spans = {i.uid: locate_answer(i.context, i.answers) for i in inputs}
        stats.unanswerable = [i for i in inputs if spans[i.uid] is None]
        inputs = [i for i in inputs if spans[i.uid] is not None]
    if not inputs:
        return [], stats
    questions = _truncated_questions(tokenizer, inputs, max_length, stats)
    encoded = tokenizer(questions, [i.context for i in inputs], truncation="only_second",
                        max_length=max_length, stride=doc_stride, return_overflowing_tokens=True,
                        return_offsets_mapping=True)
    features, negatives = [], []
    for w, ids in enumerate(encoded["input_ids"]):
        item = inputs[encoded["overflow_to_sample_mapping"][w]]
        pairs = zip(encoded["offset_mapping"][w], encoded.sequence_ids(w), strict=True)
        offsets = [tuple(o) if s == 1 else None for o, s in pairs]
        feature = {"uid": item.uid, "length": len(ids), "input_ids": ids,
                   "attention_mask": encoded["attention_mask"][w]}
        if "token_type_ids" in encoded:
            feature["token_type_ids"] = encoded["token_type_ids"][w]
        if not train:
            feature["offsets"] = offsets
            features.append(feature)
            continue
        start, end = _span_tokens(offsets, spans[item.uid])
        if start is None:
            cls = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
            start = end = cls
            negatives.append(len(features))
        feature["start_positions"], feature["end_positions"] = start, end
        features.append(feature)
    if train and negatives:
        stats.negative_windows = len(negatives)
        kept = set(random.Random(seed).sample(negatives, round(negative_share * len(negatives))))
        dropped = set(negatives) - kept
        stats.negative_windows_dropped = len(dropped)
        features = [f for k, f in enumerate(features) if k not in dropped]
    return features, stats


def _truncated_questions(tokenizer: PreTrainedTokenizerBase, inputs: Sequence[ReaderInput], max_length: int,
                         stats: WindowStats) -> list[str]:
    # A question may take at most half the window, so the context part always exceeds the stride.
    limit = max_length // 2 - tokenizer.num_special_tokens_to_add(pair=True)
    encoded = tokenizer([i.question for i in inputs], add_special_tokens=False, return_offsets_mapping=True)
    questions = []
    for item, offsets in zip(inputs, encoded["offset_mapping"], strict=True):
        if len(offsets) > limit:
            stats.truncated_questions += 1
            questions.append(item.question[:offsets[limit - 1][1]])
        else:
            questions.append(item.question)
    return questions


def _span_tokens(offsets: list[tuple[int, int] | None],
                 span: tuple[int, int]) -> tuple[int, int] | tuple[None, None]:
    """Token indices of the first and last context token covering the character span, if all inside."""
    context = [k for k, o in enumerate(offsets) if o is not None]
    first, last = context[0], context[-1]
    start_char, end_char = span
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return None, None
    start = next(k for k in range(first, last + 1) if offsets[k][1] > start_char)
    end = next(k for k in range(last, first - 1, -1) if offsets[k][0] < end_char)
    return start, end
