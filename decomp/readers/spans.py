"""Extractive post-processing: the best context span over all windows (as transformers' run_qa.py) or,
where the span-count head calls the answer multi-span and the B/I/O tagging head marks several spans, all
of them (Segal et al. 2020's multi-span answers). Spans are widened to whole words: a sub-word piece
("ckwater" of "Blackwater") is never an answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from decomp.metrics.drop import normalize_span
from decomp.readers.windows import BIO_B, BIO_I


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, offsets: Sequence[tuple[int, int] | None],
              n_best: int, max_answer_length: int) -> tuple[float, int, int] | None:
    """(score, start char, end char) of the best valid span of one window, or None.

    Candidates are the `n_best` top start and end tokens; a span is valid when both ends lie in the
    context, end >= start and it has at most `max_answer_length` tokens. Score: start + end logit.
    """
    best = None
    starts = np.argsort(start_logits)[::-1][:n_best]
    ends = np.argsort(end_logits)[::-1][:n_best]
    for s in starts:
        if s >= len(offsets) or offsets[s] is None:
            continue
        for e in ends:
            if e >= len(offsets) or offsets[e] is None or e < s or e - s + 1 > max_answer_length:
                continue
            score = float(start_logits[s] + end_logits[e])
            if best is None or score > best[0]:
                best = (score, offsets[s][0], offsets[e][1])
    return best


def question_span_text(start_logits: np.ndarray, end_logits: np.ndarray,
                       offsets: Sequence[tuple[int, int] | None], question: str, *, n_best: int,
                       max_answer_length: int) -> str | None:
    """The best question span of one window (`best_span` over its question tokens, `offsets` their question
    characters), widened to whole words; None when no span is valid."""
    found = best_span(start_logits, end_logits, offsets, n_best, max_answer_length)
    if found is None:
        return None
    start, end = whole_words(found[1], found[2], question)
    return question[start:end]


def tagged_spans(tag_logits: np.ndarray, offsets: Sequence[tuple[int, int] | None],
                 max_answer_length: int) -> list[tuple[int, int]]:
    """(start char, end char) of each span the B/I/O tags of one window mark in its context.

    Per token the likeliest tag; a span starts at B (or at an I after O, as a lenient decoder does) and
    runs over the following I tags; spans longer than `max_answer_length` tokens are dropped.
    """
    tags = np.argmax(tag_logits, axis=-1)
    spans, current = [], None
    for k, tag in enumerate(tags[:len(offsets)]):
        inside = offsets[k] is not None
        if inside and (tag == BIO_B or tag == BIO_I and current is None):
            if current is not None:
                spans.append(current)
            current = [k, k]
        elif inside and tag == BIO_I:
            current[1] = k
        elif current is not None:  # O, or a token outside the context
            spans.append(current)
            current = None
    if current is not None:
        spans.append(current)
    return [(offsets[s][0], offsets[e][1]) for s, e in spans if e - s + 1 <= max_answer_length]


def whole_words(start: int, end: int, context: str) -> tuple[int, int]:
    """(start, end) widened to the letters and digits that continue the span's first and last words (a
    span cut inside a word by sub-word tokens); punctuation such as the hyphen of "42-yard" still ends it."""
    while start > 0 and context[start - 1].isalnum() and context[start].isalnum():
        start -= 1
    while end < len(context) and end > 0 and context[end].isalnum() and context[end - 1].isalnum():
        end += 1
    return start, end


def distinct_spans(spans: Sequence[tuple[int, int]], context: str) -> tuple[str, ...]:
    """The texts of character spans in context order: of overlapping spans (overlapping windows) the
    longest, and each normalised text once (DROP scores an answer's spans as a set)."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], s[0] - s[1])):
        if kept and start < kept[-1][1]:
            if end - start > kept[-1][1] - kept[-1][0]:
                kept[-1] = (start, end)
            continue
        kept.append((start, end))
    texts = {}
    for start, end in kept:
        texts.setdefault(normalize_span(context[start:end]), context[start:end])
    return tuple(texts.values())


def answers_from_windows(windows: Sequence[Mapping], start_logits: Sequence[np.ndarray],
                         end_logits: Sequence[np.ndarray], contexts: Mapping[str, str], *, n_best: int,
                         max_answer_length: int, tag_logits: Sequence[np.ndarray] | None = None,
                         multi_probs: Sequence[float] | None = None) -> dict[str, tuple[str, ...]]:
    """Each uid's answer spans, cut from its context (whole words): the spans tagged over its windows where
    there are at least two distinct ones and the span-count head calls the answer multi-span (mean over
    the uid's windows of `multi_probs` > 0.5; without `multi_probs`, two tagged spans suffice), else the
    highest-scoring start/end span (() if none).

    `windows[k]` is the feature (uid, offsets) whose unpadded logits are `start_logits[k]`/`end_logits[k]`
    (and `tag_logits[k]`, tokens x 3, when the reader has a tagging head; `multi_probs[k]`, the window's
    probability that the answer has several spans, when it has a span-count head).
    """
    best: dict[str, tuple[float, int, int]] = {}
    tagged: dict[str, list[tuple[int, int]]] = {uid: [] for uid in contexts}
    votes: dict[str, list[float]] = {uid: [] for uid in contexts}
    for k, (window, starts, ends) in enumerate(zip(windows, start_logits, end_logits, strict=True)):
        span = best_span(starts, ends, window["offsets"], n_best, max_answer_length)
        uid = window["uid"]
        if span is not None and (uid not in best or span[0] > best[uid][0]):
            best[uid] = span
        if tag_logits is not None:
            tagged[uid] += tagged_spans(tag_logits[k], window["offsets"], max_answer_length)
        if multi_probs is not None:
            votes[uid].append(float(multi_probs[k]))
    answers = {}
    for uid, context in contexts.items():
        several = distinct_spans([whole_words(s, e, context) for s, e in tagged[uid]], context)
        wants_several = multi_probs is None or (bool(votes[uid]) and sum(votes[uid]) / len(votes[uid]) > 0.5)
        if len(several) >= 2 and wants_several:
            answers[uid] = several
        elif uid in best:
            start, end = whole_words(best[uid][1], best[uid][2], context)
            answers[uid] = (context[start:end],)
        else:
            answers[uid] = ()
    return answers
