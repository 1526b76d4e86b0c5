"""The extractive reader's question-span answer type (`question_spans`, with `answer_heads`): labels, decoding,
a reader without it unchanged, adapted heads of the smaller type head, and a tiny reader that learns to answer
"Which is larger, the X or the Y?" from the question."""

from __future__ import annotations

import logging
import random

import numpy as np
import pytest
import torch

from decomp.errors import ConfigError
from decomp.readers.numeric import ANSWER_TYPES, MAX_QUESTION_SPANS, NO_SPAN, QUESTION_SPAN
from decomp.readers.spans import question_span_text
from decomp.readers.windows import question_span_labels, window_features
from decomp.types import ReaderInput
from tests.readers.conftest import example
from tests.readers.heads_training import train_and_score
from tests.readers.test_answer_heads import FRUIT, NAMES

QUESTION = "Is the red car or the blue car red?"


def _word_offsets(text: str, upto: int | None = None) -> list[tuple[int, int] | None]:
    """Per token, as a tokenizer's question offsets: None for CLS, one token per word (punctuation cut)."""
    words, start = [], 0
    for word in text.split():
        start = text.index(word, start)
        words.append((start, start + len(word.rstrip("?,"))))
        start += len(word)
    return [None, *words[:upto], None]


def test_question_span_labels_are_every_occurrence_of_a_one_span_gold_answer():
    offsets = _word_offsets(QUESTION)
    red = [(3, 3), (9, 9)]  # "red" twice; tokens count CLS
    assert question_span_labels(offsets, QUESTION, [("Red",)]) == red  # case-insensitive
    assert question_span_labels(offsets, QUESTION, [("blue car",)]) == [(7, 8)]
    assert question_span_labels(offsets, QUESTION, [("blue car",), ("red",)]) == [(3, 3), (7, 8), (9, 9)]
    assert question_span_labels(offsets, QUESTION, [("red", "blue")]) == []  # several spans: not one question span
    assert question_span_labels(offsets, QUESTION, [("re",), ("green",)]) == []  # whole words only
    assert question_span_labels(_word_offsets(QUESTION, upto=5), QUESTION, [("red",)]) == [(3, 3)]  # truncated
    assert question_span_labels([None, None], QUESTION, [("red",)]) == []
    many = " ".join(["red"] * (MAX_QUESTION_SPANS + 2))
    assert len(question_span_labels(_word_offsets(many), many, [("red",)])) == MAX_QUESTION_SPANS


@pytest.fixture(scope="module")
def tokenizer():
    from decomp.readers.models import load_tokenizer

    return load_tokenizer("minilm")


def test_a_training_window_points_at_the_answer_in_its_question(tokenizer):
    item = ReaderInput("q", "q", "Which is larger, the plum or the pear?", "The first one is larger.", (("plum",),))
    features, stats = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True,
                                      answer_heads=True, question_spans=True)
    assert not stats.unanswerable  # not in the passage, yet trainable from the question
    (f,) = features
    assert f["type_mask"] == [0, 0, 0, 0, 1]
    start, end = f["question_starts"][0], f["question_ends"][0]
    assert tokenizer.decode(f["input_ids"][start:end + 1]) == "plum"
    assert f["question_starts"][1:] == [NO_SPAN] * (MAX_QUESTION_SPANS - 1)
    assert f["question_mask"] == [int(s == 0) for s in tokenizer(item.question, item.context).sequence_ids()]
    (inference,) = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=False,
                                   answer_heads=True, question_spans=True)[0]
    offsets = inference["question_offsets"]
    assert [item.question[o[0]:o[1]] for o in offsets if o][4:8] == ["the", "plum", "or", "the"]
    without, stats = window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True, answer_heads=True)
    assert without == [] and stats.unanswerable == [item]
    with pytest.raises(ValueError, match="needs answer_heads"):
        window_features(tokenizer, [item], max_length=64, doc_stride=16, train=True, question_spans=True)


def test_decoding_picks_the_best_question_span_in_whole_words():
    question = "Which is larger, the plum or the pear?"
    offsets = [None, *[(m, m + len(w)) for m, w in [(0, "Which"), (6, "is"), (9, "larger"), (17, "the"),
                                                     (21, "pl"), (23, "um"), (26, "or"), (29, "the"), (33, "pear")]],
               None, None]
    start, end = np.full(len(offsets), -5.0), np.full(len(offsets), -5.0)
    start[0], end[0] = 9.0, 9.0  # CLS is not in the question: never a span
    start[5], end[6] = 2.0, 1.0  # "pl" .. "um"
    start[9], end[9] = 1.5, 0.5  # "pear" scores lower
    assert question_span_text(start, end, offsets, question, n_best=5, max_answer_length=4) == "plum"
    start[5], start[6] = -9.0, 2.0  # "um" alone is widened to its word
    assert question_span_text(start, end, offsets, question, n_best=20, max_answer_length=4) == "plum"
    assert question_span_text(start, end, [None] * len(offsets), question, n_best=5, max_answer_length=4) is None


def _typed(question_span: float, text: str | None) -> dict:
    types = np.full(len(ANSWER_TYPES) + 1, (1 - question_span) / len(ANSWER_TYPES))
    types[QUESTION_SPAN] = question_span
    return {"types": types, "count": np.eye(10)[3], "yesno": np.eye(2)[1], "signs": np.zeros(24, int),
            "question_span": text}


def test_typed_answers_answer_from_the_question_when_that_type_wins():
    from decomp.readers.extractive import typed_answers

    windows = [{"uid": "a"}, {"uid": "a"}, {"uid": "b"}, {"uid": "c"}]
    typed = [_typed(0.7, "the pear"), _typed(0.9, "plum"), _typed(0.1, "pear"), _typed(0.9, None)]
    answers, by = typed_answers(windows, typed, {"a": ("x",), "b": ("passage span",), "c": ("fallback",)})
    assert answers["a"] == ("plum",) and by["a"] == "question_span"  # the window most sure of the type
    assert answers["b"] == ("passage span",) and by["b"] == "span"
    assert answers["c"] == ("fallback",) and by["c"] == "span"  # no valid question span: the passage span


def _reader(**options):
    from decomp.readers.extractive import ExtractiveReader

    return ExtractiveReader(model=options.pop("model", "tiny-bert"), max_length=64, doc_stride=16,
                            attention_dropout=0.0, strategy="none", **options)


def test_question_spans_need_answer_heads():
    with pytest.raises(ConfigError, match="question_spans"):
        _reader(question_spans=True)


def test_a_reader_without_question_spans_is_the_reader_before_it():
    off, on = _reader(answer_heads=True), _reader(answer_heads=True, question_spans=True)
    # Rows, fit caches and feature caches are keyed by hyperparameters and featurizer settings.
    assert "question_spans" not in off.hparams and "question_spans" not in off.hparams_initial
    assert off.training_data().key["settings"] == {"max_length": 64, "doc_stride": 16, "answer_heads": True}
    assert on.hparams["question_spans"] and on.training_data().key["settings"]["question_spans"]
    assert off.type_head[-1].out_features == len(ANSWER_TYPES) == on.type_head[-1].out_features - 1
    assert not any(k.startswith("question_span_head") for k in off.state_dict())
    assert set(on.state_dict()) - set(off.state_dict()) == {
        k for k in on.state_dict() if k.startswith("question_span_head")}


def test_an_adapted_start_without_question_spans_loads_its_type_head_into_the_first_classes(tmp_path, caplog,
                                                                                           monkeypatch):
    from decomp.adapt.train import _save

    for name in ("decomp.readers.base", "decomp.readers.extractive"):  # a library's dictConfig may have disabled
        monkeypatch.setattr(logging.getLogger(name), "disabled", False)  # them earlier in the same process

    torch.manual_seed(0)
    old = _reader(answer_heads=True)
    folder = tmp_path / "adapted"
    _save(old, folder, {"name": "old", "hash": "0", "steps": 1}, {})
    # both loggers named: an earlier test's logging set-up must not decide what this one sees
    with caplog.at_level(logging.WARNING, logger="decomp.readers.base"), \
            caplog.at_level(logging.WARNING, logger="decomp.readers.extractive"):
        new = _reader(model=str(folder), answer_heads=True, question_spans=True)
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "adapted's type head has no question_span class" in warnings
    assert "has no trained question_span_head" in warnings and "type_head" not in warnings.split("no trained")[1]
    old_last, new_last = old.type_head[-1], new.type_head[-1]
    assert torch.equal(new_last.weight[:len(ANSWER_TYPES)], old_last.weight)
    assert torch.equal(new_last.bias[:len(ANSWER_TYPES)], old_last.bias)
    assert torch.equal(new.type_head[0].weight, old.type_head[0].weight)
    assert torch.equal(new.sign_head[0].weight, old.sign_head[0].weight)
    assert new_last.weight[QUESTION_SPAN].abs().sum() > 0  # the new class: a fresh initialisation
    same_size = _reader(model=str(folder), answer_heads=True)  # as before: every head loads, nothing said
    assert torch.equal(same_size.type_head[-1].weight, old_last.weight)


def _larger(rng: random.Random, k: int):
    x, y = rng.sample(FRUIT, 2)
    first = rng.random() < 0.5
    passage = f"{rng.choice(NAMES)} says the {'first' if first else 'second'} one is larger."
    return example(f"question-{k}", f"Which is larger, the {x} or the {y}?", passage, x if first else y)


def _winner(rng: random.Random, k: int):
    name = rng.choice(NAMES)
    return example(f"span-{k}", "Who won the race?", f"{name} won the race today.", name)


@pytest.mark.slow
def test_a_tiny_reader_learns_to_answer_from_the_question():
    torch.manual_seed(0)
    rng = random.Random(0)
    train = [make(rng, k) for k in range(40) for make in (_larger, _winner)]
    assert all(e.answers[0].text() not in e.passage for e in train if e.id.startswith("question"))
    reader = _reader(lr=3e-3, warmup_ratio=0.05, answer_heads=True, question_spans=True, seed=0)
    accuracy, heads = train_and_score(reader, train, train, batch_size=16, steps=300)
    # Chance on the question type: 1/2 with the right type, ~0 from the passage (the answer is not in it).
    assert accuracy["question"] >= 0.9 and accuracy["span"] >= 0.9, accuracy
    assert heads["question"].count("question_span") >= 38 and heads["span"].count("span") >= 38, heads
