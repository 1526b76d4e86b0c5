from __future__ import annotations

import re

import numpy as np

from decomp.readers.models import load_tokenizer
from decomp.readers.spans import answers_from_windows, best_span, distinct_spans, tagged_spans, whole_words
from decomp.readers.windows import BIO_B, BIO_I, BIO_O, window_features
from decomp.types import ReaderInput

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
    assert answers["q1"] == ("Jason Elam",)  # original casing, from the character offsets
    assert set(answers) == {"q1", "q2"}


def test_an_input_without_a_valid_span_answers_empty():
    windows = [{"uid": "a", "offsets": [None, None]}]
    answers = answers_from_windows(windows, [np.zeros(2)], [np.zeros(2)], {"a": "text"}, n_best=2,
                                   max_answer_length=3)
    assert answers == {"a": ()}


def _tags(n: int, marks: dict[int, int]) -> np.ndarray:
    """Tag logits (tokens x O/B/I) that pick O everywhere except at the marked tokens."""
    logits = np.zeros((n, 3))
    logits[:, BIO_O] = 1.0
    for k, tag in marks.items():
        logits[k, tag] = 5.0
    return logits


def test_tagged_spans_follow_b_and_i_inside_the_context():
    offsets = [None, (0, 4), (5, 9), (10, 14), (15, 19), None]
    tags = _tags(6, {0: BIO_B, 1: BIO_B, 2: BIO_I, 4: BIO_I, 5: BIO_I})
    # [CLS] tagged B is outside the context; an I after O starts a span (lenient); SEP ends it.
    assert tagged_spans(tags, offsets, max_answer_length=5) == [(0, 9), (15, 19)]
    assert tagged_spans(tags, offsets, max_answer_length=1) == [(15, 19)]


def test_distinct_spans_keep_the_longest_of_overlaps_and_each_text_once():
    context = "Jason Elam kicked; jason elam kicked again; Mike Vanderjagt missed."
    spans = [(0, 5), (0, 10), (19, 29), (44, 59), (44, 59)]
    assert distinct_spans(spans, context) == ("Jason Elam", "Mike Vanderjagt")


KICKERS = "Elam kicked a field goal, then Vanderjagt kicked a field goal."


def _kickers_window() -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """One window over KICKERS (a token per word): its feature, start/end logits pointing at "Elam", and
    tags marking "Elam" and "Vanderjagt"."""
    offsets = [None] + [m.span() for m in re.finditer(r"\w+", KICKERS)] + [None]
    n = len(offsets)
    start, end = np.zeros(n), np.zeros(n)
    start[1], end[1] = 5.0, 5.0
    return {"uid": "u", "offsets": offsets}, start, end, _tags(n, {1: BIO_B, 7: BIO_B})


def test_several_tagged_spans_answer_else_the_start_end_span():
    context = KICKERS
    window, start, end, two = _kickers_window()
    one = _tags(len(window["offsets"]), {7: BIO_B})
    args = {"n_best": 3, "max_answer_length": 5}
    assert answers_from_windows([window], [start], [end], {"u": context}, tag_logits=[two], **args) == \
        {"u": ("Elam", "Vanderjagt")}
    # One tagged span: the start/end head answers, as a single-span reader does.
    assert answers_from_windows([window], [start], [end], {"u": context}, tag_logits=[one], **args) == \
        {"u": ("Elam",)}
    assert answers_from_windows([window], [start], [end], {"u": context}, **args) == {"u": ("Elam",)}


def test_the_span_count_head_decides_between_one_span_and_the_tagged_spans():
    context = KICKERS
    window, start, end, two = _kickers_window()
    args = {"n_best": 3, "max_answer_length": 5, "tag_logits": [two]}
    # The count head says "one span": the tagger's second span (a fragment, say) is not added.
    assert answers_from_windows([window], [start], [end], {"u": context}, multi_probs=[0.2], **args) == \
        {"u": ("Elam",)}
    assert answers_from_windows([window], [start], [end], {"u": context}, multi_probs=[0.9], **args) == \
        {"u": ("Elam", "Vanderjagt")}
    # Several windows of one question vote by their mean probability.
    two_windows = ([window, window], [start, start], [end, end])
    assert answers_from_windows(*two_windows, {"u": context}, multi_probs=[0.9, 0.3], n_best=3,
                                max_answer_length=5, tag_logits=[two, two]) == {"u": ("Elam", "Vanderjagt")}
    assert answers_from_windows(*two_windows, {"u": context}, multi_probs=[0.6, 0.3], n_best=3,
                                max_answer_length=5, tag_logits=[two, two]) == {"u": ("Elam",)}


def test_spans_are_widened_to_whole_words_but_not_across_punctuation():
    context = "The Battle of Blackwater ended with a 42-yard run."
    assert whole_words(16, 23, context) == (14, 24)  # "ackwate" of "Blackwater"
    assert context[slice(*whole_words(38, 40, context))] == "42"  # "42" of "42-yard" stays a number
    assert context[slice(*whole_words(41, 45, context))] == "yard"
    assert whole_words(0, 3, context) == (0, 3)
    assert whole_words(47, 48, context) == (46, 49)  # "u" of "run", which the full stop ends
    # Through the decoder: a start/end span cut inside a word answers the word.
    offsets = [None, (14, 18), (18, 24), None]  # "Blac", "kwater"
    n = len(offsets)
    start, end = np.zeros(n), np.zeros(n)
    start[2], end[2] = 5.0, 5.0
    assert answers_from_windows([{"uid": "u", "offsets": offsets}], [start], [end], {"u": context}, n_best=3,
                                max_answer_length=5) == {"u": ("Blackwater",)}
