from __future__ import annotations

import pytest

from decomp.readers.models import load_tokenizer
from decomp.readers.windows import (
    BIO_B,
    BIO_I,
    IGNORE,
    bio_labels,
    distinct_gold_spans,
    locate_answer,
    locate_spans,
    window_features,
)
from decomp.types import ReaderInput

FILLER = " ".join(f"Sentence {k} talks about nothing in particular." for k in range(40))
LONG = f"{FILLER} The winning kick came from Jason Elam at the end. {FILLER}"


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer("tiny-bert")


def test_locate_answer_is_case_insensitive_on_word_boundaries():
    context = "Scarlett sang; the car was red. RED cars win."
    assert locate_answer(context, [("red",)]) == (27, 30)
    assert locate_answer(context, [("Car",)]) == (19, 22)  # not inside "Scarlett" or "cars"
    assert locate_answer("In 1999, 19 people came.", [("19",)]) == (9, 11)
    assert locate_answer("Kicked by Jason\n  Elam.", [(" jason elam ",)]) == (10, 22)


def test_locate_answer_takes_the_first_alternative_and_span_that_occur():
    context = "Paris and Lyon are cities."
    assert locate_answer(context, [("Berlin",), ("Madrid", "Lyon", "Paris")]) == (10, 14)
    assert locate_answer(context, [("",), ("Rome",)]) is None


def test_long_context_is_split_into_overlapping_windows(tokenizer):
    item = ReaderInput("u", "u", "Who kicked?", LONG, (("Jason Elam",),))
    features, stats = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=False)
    assert len(features) > 10 and stats.unanswerable == []
    assert all(f["uid"] == "u" and f["length"] == len(f["input_ids"]) <= 64 for f in features)
    spans = [[o for o in f["offsets"] if o is not None] for f in features]
    for before, after in zip(spans, spans[1:], strict=False):
        shared = set(before) & set(after)
        assert len(shared) == 16  # the stride: context tokens two neighbouring windows share
    assert spans[0][0][0] == 0 and spans[-1][-1][1] == len(LONG)


def test_training_windows_point_at_the_answer_or_cls(tokenizer):
    item = ReaderInput("u", "u", "Who kicked?", LONG, (("jason elam",),))
    features, stats = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True)
    positive = [f for f in features if f["start_positions"] > 0]
    assert 1 <= len(positive) <= 2  # the span sits in one window, or also in the overlap of the next
    for f in positive:
        ids = f["input_ids"][f["start_positions"]:f["end_positions"] + 1]
        assert tokenizer.decode(ids) == "jason elam"
    assert all(f["end_positions"] == 0 for f in features if f["start_positions"] == 0)
    assert stats.negative_windows == len(features) - len(positive) and stats.negative_windows_dropped == 0


def test_negative_share_keeps_a_seeded_part_of_the_windows_without_answer(tokenizer):
    item = ReaderInput("u", "u", "Who kicked?", LONG, (("Jason Elam",),))
    options = {"max_length": 64, "doc_stride": 16, "train": True, "negative_share": 0.25}
    kept = [window_features(tokenizer, [item], seed=s, **options)[0] for s in (1, 1, 2)]
    _, stats = window_features(tokenizer, [item], **options)
    assert sum(f["start_positions"] == 0 for f in kept[0]) == round(0.25 * stats.negative_windows)
    assert stats.negative_windows_dropped == stats.negative_windows - round(0.25 * stats.negative_windows)
    assert sum(f["start_positions"] > 0 for f in kept[0]) >= 1
    assert kept[0] == kept[1] and kept[0] != kept[2]


def test_inputs_without_a_span_answer_are_counted_not_trained(tokenizer):
    inputs = [ReaderInput("a", "a", "How many?", "They scored 3 and 4 points.", (("7",),)),
              ReaderInput("b", "b", "Who?", "Anna scored.", (("Anna",),)),
              ReaderInput("c", "c", "Who?", "Anna scored.", ())]
    features, stats = window_features(tokenizer, inputs, max_length=64, doc_stride=16, train=True)
    assert [i.uid for i in stats.unanswerable] == ["a", "c"]
    assert {f["uid"] for f in features} == {"b"}
    inference, _ = window_features(tokenizer, inputs, max_length=64, doc_stride=16, train=False)
    assert [f["uid"] for f in inference] == ["a", "b", "c"]


def test_long_questions_are_cut_to_half_the_window(tokenizer):
    question = "why " * 100 + "?"
    item = ReaderInput("u", "u", question, "Because it rained all day long.", (("it rained",),))
    features, stats = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True)
    assert stats.truncated_questions == 1
    assert features[0]["input_ids"].index(tokenizer.sep_token_id) <= 32
    assert features[0]["start_positions"] > 0


def test_stride_must_leave_room_for_the_context(tokenizer):
    with pytest.raises(ValueError, match="doc_stride"):
        window_features(tokenizer, [], max_length=64, doc_stride=32, train=False)


def test_locate_spans_finds_every_occurrence_of_every_gold_span():
    context = "Elam kicked. Vanderjagt kicked. Elam kicked again."
    assert locate_spans(context, [("Nobody",), ("Elam", "Vanderjagt")]) == [(0, 4), (13, 23), (32, 36)]
    assert locate_spans(context, [("Jason",)]) == []


def test_training_windows_tag_every_occurrence_and_ignore_cut_ones(tokenizer):
    context = "Elam kicked a goal. Vanderjagt kicked a goal. Elam kicked again."
    item = ReaderInput("u", "u", "Who kicked?", context, (("Elam", "Vanderjagt"),))
    (feature,), _ = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True)
    spans: list[list[int]] = []
    for token, tag in zip(feature["input_ids"], feature["bio_labels"], strict=True):
        if tag == BIO_B:
            spans.append([token])
        elif tag == BIO_I:
            spans[-1].append(token)
    assert [tokenizer.decode(s) for s in spans] == ["elam", "vanderjagt", "elam"]
    assert feature["bio_labels"][0] == IGNORE and not feature["negative"]
    # An occurrence cut by the window edge is left out of the loss, not taught as O.
    offsets = [None, (0, 4), (5, 11), None]
    assert bio_labels(offsets, [(0, 4), (5, 15)]) == [IGNORE, BIO_B, IGNORE, IGNORE]


def test_training_windows_say_whether_the_answer_has_several_spans(tokenizer):
    context = "Elam kicked a goal. Vanderjagt kicked a goal. Elam kicked again."
    several = ReaderInput("m", "m", "Who kicked?", context, (("Elam", "Vanderjagt", "elam"),))
    one = ReaderInput("o", "o", "Who kicked first?", context, (("Elam",),))
    features, _ = window_features(tokenizer, [several, one], max_length=64, doc_stride=16, train=True)
    assert {f["uid"]: f["multi_span_label"] for f in features} == {"m": 1, "o": 0}
    # The first alternative that occurs decides; repeated or absent spans do not count.
    assert distinct_gold_spans(context, (("Nobody",), ("Elam", "ELAM", "Bryant"))) == 1
    assert distinct_gold_spans(context, (("Nobody",),)) == 0
