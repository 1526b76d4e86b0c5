"""Extractive pre-processing (as transformers' run_qa.py): question + overlapping context windows.

Each window is one feature: the question, then a slice of the context of at most `max_length` tokens in
all; consecutive windows share `doc_stride` context tokens (the Hugging Face meaning of stride). For
training each window points at the gold span's tokens, or at CLS when the span is not wholly inside it, and
tags its context tokens B/I/O with every occurrence of every gold span (the multi-span head of Segal et
al. 2020); tokens of an occurrence cut by the window edge are not tagged (ignored by the loss). It also says
whether the answer has one span or several (the span-count head's label). With question spans, windows also
mark the question's tokens, and training windows point at every occurrence of the gold answer in the question.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from decomp.readers.numeric import (
    MAX_DERIVATIONS,
    MAX_NUMBERS,
    MAX_QUESTION_SPANS,
    NO_DERIVATION,
    NO_SPAN,
    count_label,
    derivations,
    find_numbers,
    gold_numbers,
    yesno_label,
)
from decomp.types import ReaderInput


def locate_answer(context: str, answers: Sequence[Sequence[str]]) -> tuple[int, int] | None:
    """(start, end) characters of the first gold alternative that occurs in the context.

    Alternatives are tried in order; within a multi-span alternative, its spans in order. A span matches
    case-insensitively on word boundaries, any run of whitespace matching any other, at its first
    occurrence. None when no span occurs.
    """
    for alternative in answers:
        for span in alternative:
            if not span.split():
                continue
            match = re.search(_span_pattern(span), context, flags=re.IGNORECASE)
            if match:
                return match.start(), match.end()
    return None


def locate_spans(context: str, answers: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """Every occurrence (start, end characters, in context order, none overlapping) of every span of the
    first gold alternative that occurs in the context, matched as `locate_answer` matches; [] if none."""
    for alternative in answers:
        found = sorted(m.span() for span in alternative if span.split()
                       for m in re.finditer(_span_pattern(span), context, flags=re.IGNORECASE))
        kept: list[tuple[int, int]] = []
        for start, end in found:
            if not kept or start >= kept[-1][1]:
                kept.append((start, end))
        if kept:
            return kept
    return []


def distinct_gold_spans(context: str, answers: Sequence[Sequence[str]]) -> int:
    """How many distinct spans (case and whitespace folded) the first gold alternative that occurs in the
    context has there: the span-count head's target (1: one span; 2 or more: a multi-span answer)."""
    for alternative in answers:
        present = {" ".join(span.lower().split()) for span in alternative
                   if span.split() and re.search(_span_pattern(span), context, flags=re.IGNORECASE)}
        if present:
            return len(present)
    return 0


def question_span_labels(offsets: Sequence[tuple[int, int] | None], question: str,
                         answers: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """(start, end) tokens of every occurrence in the question of every one-span gold alternative, matched as
    `locate_answer` matches, in question order; `offsets` are per token its question characters (None outside
    the question). Occurrences past a truncated question's last token are left out; at most MAX_QUESTION_SPANS."""
    if not any(o is not None for o in offsets):
        return []
    found = sorted({m.span() for alternative in answers if len(alternative) == 1 and alternative[0].split()
                    for m in re.finditer(_span_pattern(alternative[0]), question, flags=re.IGNORECASE)})
    tokens = [_span_tokens(offsets, span) for span in found]
    return list(dict.fromkeys(t for t in tokens if t[0] is not None))[:MAX_QUESTION_SPANS]


def question_span_slots(spans: Sequence[tuple[int, int]]) -> dict:
    """The question-span labels as fixed-width start and end lists, NO_SPAN-padded (for batching)."""
    pad = [NO_SPAN] * (MAX_QUESTION_SPANS - len(spans))
    return {"question_starts": [s for s, _ in spans] + pad, "question_ends": [e for _, e in spans] + pad}


def _span_pattern(span: str) -> str:
    words = r"\s+".join(map(re.escape, span.split()))  # any run of whitespace matches any other
    return rf"(?<!\w){words}(?!\w)"


BIO_O, BIO_B, BIO_I = 0, 1, 2
IGNORE = -100  # label of tokens the losses skip


def bio_labels(offsets: Sequence[tuple[int, int] | None], spans: Sequence[tuple[int, int]]) -> list[int]:
    """Per token: B/I for the occurrences wholly inside the window's context, O for the other context
    tokens, IGNORE outside the context and on occurrences the window cuts."""
    labels = [IGNORE if o is None else BIO_O for o in offsets]
    context = [k for k, o in enumerate(offsets) if o is not None]
    if not context:
        return labels
    low, high = offsets[context[0]][0], offsets[context[-1]][1]
    for start, end in spans:
        tokens = [k for k in context if offsets[k][1] > start and offsets[k][0] < end]
        inside = low <= start and end <= high
        for n, k in enumerate(tokens):
            labels[k] = (BIO_B if n == 0 else BIO_I) if inside else IGNORE
    return labels


@dataclass
class WindowStats:
    """What featurising one call skipped or cut, so that nothing is dropped unseen."""

    unanswerable: list[ReaderInput] = field(default_factory=list)  # training inputs without a span answer
    truncated_questions: int = 0
    negative_windows: int = 0  # training windows without the answer (pointing at CLS)
    negative_windows_dropped: int = 0


def window_features(tokenizer: PreTrainedTokenizerBase, inputs: Sequence[ReaderInput], *, max_length: int,
                    doc_stride: int, train: bool, negative_share: float = 1.0, seed: int = 0,
                    answer_heads: bool = False, question_spans: bool = False) -> tuple[list[dict], WindowStats]:
    """One feature per window: uid, length, input_ids, attention_mask (token_type_ids if the model has them),
    and for training start_positions/end_positions, bio_labels and multi_span_label (1 when the question's
    answer is two or more distinct spans: a label of the question, given to each of its windows), else
    `offsets` (per token: its context characters (start, end), or None outside the context).

    Training windows also say whether they are `negative` (without the start/end answer, pointing at CLS);
    training keeps a random `negative_share` of those (seeded, see `keep_negatives`).

    With `answer_heads`, every window also lists its numbers (`number_positions`, `number_mask`, and at
    inference `number_values`), and training windows carry the answer-type heads' labels (`answer_labels`);
    an input is trained on when any answer type can produce its gold answer, not only a span.

    With `question_spans` (and `answer_heads`) every window marks its question tokens (`question_mask`; at
    inference `question_offsets`, their question characters), and training windows carry the question-span
    labels (`question_starts`, `question_ends`; see `question_span_labels`) and a fifth `type_mask` entry.
    """
    if not 0 <= doc_stride < max_length // 2:
        raise ValueError(f"doc_stride must be in [0, max_length // 2): got {doc_stride} with {max_length}")
    if question_spans and not answer_heads:
        raise ValueError("question_spans is an answer type: it needs answer_heads")
    stats = WindowStats()
    numbers = {i.uid: find_numbers(i.context) for i in inputs} if answer_heads else {}
    if train:
        spans = {i.uid: locate_answer(i.context, i.answers) for i in inputs}
        usable = {i.uid for i in inputs if spans[i.uid] is not None
                  or (answer_heads and answer_labels_possible(i, numbers[i.uid]))
                  or (question_spans and question_span_possible(i))}
        stats.unanswerable = [i for i in inputs if i.uid not in usable]
        inputs = [i for i in inputs if i.uid in usable]
    if not inputs:
        return [], stats
    questions = _truncated_questions(tokenizer, inputs, max_length, stats)
    encoded = tokenizer(questions, [i.context for i in inputs], truncation="only_second",
                        max_length=max_length, stride=doc_stride, return_overflowing_tokens=True,
                        return_offsets_mapping=True)
    features = []
    for w, ids in enumerate(encoded["input_ids"]):
        item = inputs[encoded["overflow_to_sample_mapping"][w]]
        pairs = list(zip(encoded["offset_mapping"][w], encoded.sequence_ids(w), strict=True))
        offsets = [tuple(o) if s == 1 else None for o, s in pairs]
        feature = {"uid": item.uid, "length": len(ids), "input_ids": ids,
                   "attention_mask": encoded["attention_mask"][w]}
        if "token_type_ids" in encoded:
            feature["token_type_ids"] = encoded["token_type_ids"][w]
        if answer_heads:
            feature.update(number_slots(offsets, numbers[item.uid], with_values=not train))
        if question_spans:
            question_offsets = [tuple(o) if s == 0 else None for o, s in pairs]
            feature["question_mask"] = [int(o is not None) for o in question_offsets]
            if not train:
                feature["question_offsets"] = question_offsets
        if not train:
            feature["offsets"] = offsets
            features.append(feature)
            continue
        feature["bio_labels"] = bio_labels(offsets, locate_spans(item.context, item.answers))
        feature["multi_span_label"] = int(distinct_gold_spans(item.context, item.answers) >= 2)
        start, end = _span_tokens(offsets, spans[item.uid]) if spans[item.uid] else (None, None)
        feature["negative"] = start is None
        if start is None:
            start = end = ids.index(tokenizer.cls_token_id) if tokenizer.cls_token_id in ids else 0
        feature["start_positions"], feature["end_positions"] = start, end
        if answer_heads:
            window_numbers = [numbers[item.uid][k] for k in feature.pop("number_index")]
            feature.update(answer_labels(item, spans[item.uid] is not None, window_numbers))
            if question_spans:
                found = question_span_labels(question_offsets, item.question, item.answers)
                feature.update(question_span_slots(found))
                feature["type_mask"] = [*feature["type_mask"], int(bool(found))]
            if not any(feature["type_mask"]):
                continue  # no answer type can say the gold answer from this window (its numbers are elsewhere)
        features.append(feature)
    return (keep_negatives(features, negative_share, seed, stats) if train else features), stats


def keep_negatives(features: list[dict], share: float, seed: int, stats: WindowStats | None = None) -> list[dict]:
    """The training windows with a seeded random `share` of the negative ones (order kept).

    Which negatives stay depends only on (seed, the features given), so cached features sampled again
    give the same windows as a fresh featurisation.
    """
    negatives = [k for k, f in enumerate(features) if f.get("negative")]
    kept = set(random.Random(seed).sample(negatives, round(share * len(negatives))))
    dropped = set(negatives) - kept
    if stats is not None:
        stats.negative_windows, stats.negative_windows_dropped = len(negatives), len(dropped)
    return [f for k, f in enumerate(features) if k not in dropped] if dropped else features


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


def number_slots(offsets: Sequence[tuple[int, int] | None], numbers: Sequence[tuple[int, int, float]],
                 with_values: bool) -> dict:
    """The window's numbers (those wholly inside its context, the first MAX_NUMBERS): the token of each,
    padded to MAX_NUMBERS slots with a mask; `number_index` says which of the context's numbers they are."""
    context = [k for k, o in enumerate(offsets) if o is not None]
    positions, index = [], []
    if context:
        low, high = offsets[context[0]][0], offsets[context[-1]][1]
        for n, (start, end, _) in enumerate(numbers):
            if start < low or end > high:
                continue
            token = next((k for k in context if offsets[k][1] > start and offsets[k][0] < end), None)
            if token is not None:
                positions.append(token)
                index.append(n)
            if len(positions) == MAX_NUMBERS:
                break
    pad = MAX_NUMBERS - len(positions)
    slots = {"number_positions": positions + [0] * pad, "number_mask": [1] * len(positions) + [0] * pad,
             "number_index": index}
    if with_values:
        slots["number_values"] = [numbers[n][2] for n in index]
        del slots["number_index"]
    return slots


def answer_labels_possible(item: ReaderInput, numbers: Sequence[tuple[int, int, float]]) -> bool:
    """Whether a non-span answer type can produce the gold answer from the whole context."""
    return (count_label(item.answers) >= 0 or yesno_label(item.answers) >= 0
            or bool(derivations([v for _, _, v in numbers[:MAX_NUMBERS * 4]], gold_numbers(item.answers))))


def question_span_possible(item: ReaderInput) -> bool:
    """Whether a one-span gold alternative occurs in the question."""
    return locate_answer(item.question, [a for a in item.answers if len(a) == 1]) is not None


def answer_labels(item: ReaderInput, span_possible: bool, numbers: Sequence[tuple[int, int, float]]) -> dict:
    """The answer-type heads' labels for one training window: which types can yield the gold answer
    (`type_mask`: span, count, arithmetic, yes/no), the count and yes/no classes (-1: none) and the sign vectors
    of the arithmetic derivations over the window's number slots (flat, MAX_DERIVATIONS x MAX_NUMBERS, -1 pads)."""
    found = derivations([v for _, _, v in numbers], gold_numbers(item.answers))
    flat = [NO_DERIVATION] * (MAX_DERIVATIONS * MAX_NUMBERS)
    for d, signs in enumerate(found):
        flat[d * MAX_NUMBERS:d * MAX_NUMBERS + len(signs)] = signs
        flat[d * MAX_NUMBERS + len(signs):(d + 1) * MAX_NUMBERS] = [0] * (MAX_NUMBERS - len(signs))
    count, yesno = count_label(item.answers), yesno_label(item.answers)
    return {"type_mask": [int(span_possible), int(count >= 0), int(bool(found)), int(yesno >= 0)],
            "count_label": count, "yesno_label": yesno, "arith_derivations": flat}
