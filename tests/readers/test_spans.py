from __future__ import annotations

import numpy as np

from decomp.readers.models import load_tokenizer
from decomp.readers.spans import answers_from_windows, best_span
from decomp.readers.types import ReaderInput
from decomp.readers.windows import window_features

FILLER = " ".join(f"Sentence {k} talks about nothing in particular." for k in range(30))
CONTEXT = f"{FILLER} Late in the game Jason Elam kicked the field goal. {FILLER} Then Mike Vanderjagt missed."


def _logits(feature: dict, span: tuple[int, int] | None, score: float) -> tuple[np.ndarray, np.ndarray]:
    n = feature["length"]
    starts, ends = np.zeros(n), np.zeros(n)
    if span is not None:
        starts[span[0]], ends[span[1]] = score, score
    return starts, ends


def _token_span(feature: dict, start_char: int, end_char: int) -> tuple[int, int]:
    offsets = feature["offsets"]
    inside = [k for k, o in enumerate(offsets) if o is not None and o[0] >= start_char and o[1] <= end_char]
    return inside[0], inside[-1]


def test_best_span_respects_context_order_and_length():
    offsets = [None, (0, 4), (5, 9), (10, 14), None]
    starts = np.array([9.0, 1.0, 5.0, 0.0, 9.0])
    ends = np.array([9.0, 4.0, -1.0, 3.0, 9.0])  # CLS/SEP score highest but are outside the context
    assert best_span(starts, ends, offsets, n_best=5, max_answer_length=5) == (8.0, 5, 14)
    assert best_span(starts, ends, offsets, n_best=5, max_answer_length=1) == (5.0, 0, 4)
    assert best_span(starts, ends, [None] * 5, n_best=5, max_answer_length=5) is None


def test_the_best_span_over_all_windows_is_cut_from_the_context():
    tokenizer = load_tokenizer("tiny-bert")
    item = ReaderInput("q1", "q1", "Who kicked the field goal?", CONTEXT)
    other = ReaderInput("q2", "q2", "Who missed?", "Nobody missed.")
    windows, _ = window_features(tokenizer, [item, other], max_length=48, doc_stride=16, train=False)
    mine = [w for w in windows if w["uid"] == "q1"]
    assert len(mine) > 5
    target = CONTEXT.index("Jason Elam")
    decoy = CONTEXT.index("Mike Vanderjagt")
    logits = []
    for w in windows:
        covered = [o for o in w["offsets"] if o is not None]
        if w["uid"] == "q1" and covered[0][0] <= target and covered[-1][1] >= target + 10:
            logits.append(_logits(w, _token_span(w, target, target + 10), 6.0))
        elif w["uid"] == "q1" and covered[0][0] <= decoy and covered[-1][1] >= decoy + 15:
            logits.append(_logits(w, _token_span(w, decoy, decoy + 15), 4.0))
        else:
            logits.append(_logits(w, None, 0.0))
    answers = answers_from_windows(windows, [s for s, _ in logits], [e for _, e in logits],
                                   {"q1": item.context, "q2": other.context}, n_best=5, max_answer_length=10)
    assert answers["q1"] == "Jason Elam"  # original casing, from the character offsets
    assert set(answers) == {"q1", "q2"}


def test_an_input_without_a_valid_span_answers_empty():
    windows = [{"uid": "a", "offsets": [None, None]}]
    answers = answers_from_windows(windows, [np.zeros(2)], [np.zeros(2)], {"a": "text"}, n_best=2,
                                   max_answer_length=3)
    assert answers == {"a": ""}
