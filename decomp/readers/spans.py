"""Extractive post-processing (as transformers' run_qa.py): the best context span over all windows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np


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


def answers_from_windows(windows: Sequence[Mapping], start_logits: Sequence[np.ndarray],
                         end_logits: Sequence[np.ndarray], contexts: Mapping[str, str], *, n_best: int,
                         max_answer_length: int) -> dict[str, str]:
    """Each uid's answer: the highest-scoring span over its windows, cut from its context ('' if none).

    `windows[k]` is the feature (uid, offsets) whose unpadded logits are `start_logits[k]`/`end_logits[k]`.
    """
    best: dict[str, tuple[float, int, int]] = {}
    for window, starts, ends in zip(windows, start_logits, end_logits, strict=True):
        span = best_span(starts, ends, window["offsets"], n_best, max_answer_length)
        uid = window["uid"]
        if span is not None and (uid not in best or span[0] > best[uid][0]):
            best[uid] = span
    return {uid: contexts[uid][best[uid][1]:best[uid][2]] if uid in best else "" for uid in contexts}
