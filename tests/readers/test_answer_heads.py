"""The extractive reader's answer-type heads: numbers, derivations, window labels, and a tiny reader that learns
to add and subtract, to count and to answer yes/no, scored on held-out questions (not its training ones)."""

from __future__ import annotations

import random

import pytest
import torch

from decomp.data.schema import Answer, Example, Paragraph
from decomp.readers.numeric import (
    MAX_NUMBERS,
    SIGN_MINUS,
    SIGN_PLUS,
    SIGN_ZERO,
    count_label,
    derivations,
    find_numbers,
    parse_number,
    render_number,
    signed_sum,
    yesno_label,
)
from decomp.readers.windows import window_features
from decomp.types import ReaderInput
from tests.readers.heads_training import train_and_score


def test_numbers_in_digits_and_words_with_their_characters():
    text = "He ran for 1,200 yards, two touchdowns and 3.5 sacks in 2009."
    found = find_numbers(text)
    assert [v for _, _, v in found] == [1200.0, 2.0, 3.5, 2009.0]
    assert [text[s:e] for s, e, _ in found] == ["1,200", "two", "3.5", "2009"]
    assert parse_number("1,200") == 1200.0 and parse_number("seven") == 7.0 and parse_number("Bears") is None


def test_derivations_find_sums_and_differences_fewest_numbers_first():
    values = [12.0, 7.0, 30.0]
    found = derivations(values, [5.0])
    assert found == [[SIGN_PLUS, SIGN_MINUS, SIGN_ZERO]]
    assert signed_sum(values, found[0]) == 5.0
    assert derivations(values, [12.0])[0] == [SIGN_PLUS, SIGN_ZERO, SIGN_ZERO]  # one number before pairs
    assert derivations(values, [49.0]) == [[SIGN_PLUS, SIGN_PLUS, SIGN_PLUS]]  # three only when nothing shorter
    assert derivations(values, [1000.0]) == []
    assert signed_sum(values, [SIGN_ZERO] * 3) is None


def test_rendered_numbers_read_as_drop_writes_them():
    assert render_number(5.0) == "5" and render_number(2.5) == "2.5" and render_number(-13.0) == "-13"
    assert render_number(1 / 3) == "0.33"


def test_labels_of_counts_and_yes_no():
    assert count_label([("3",)]) == 3 and count_label([("12",)]) == -1 and count_label([("Bears",)]) == -1
    assert yesno_label([("yes",)]) == 1 and yesno_label([("No",)]) == 0 and yesno_label([("3",)]) == -1


def test_training_window_of_a_computed_answer_carries_its_derivation():
    from decomp.readers.models import load_tokenizer

    tiny_tokenizer = load_tokenizer("minilm")
    item = ReaderInput("q", "q", "How many more coins does Tom have than Ann?", "Tom has 12 coins. Ann has 7 coins.",
                       (("5",),))
    features, stats = window_features(tiny_tokenizer, [item], max_length=64, doc_stride=16, train=True,
                                      answer_heads=True)
    assert not stats.unanswerable  # not a span of the passage, yet trainable: 12 - 7
    (f,) = features
    assert f["type_mask"] == [0, 1, 1, 0]  # no span; a count (5 is in 0..9); arithmetic; not yes/no
    first = f["arith_derivations"][:MAX_NUMBERS]
    assert first[:2] == [SIGN_PLUS, SIGN_MINUS] and set(first[2:]) == {SIGN_ZERO}
    ids = f["input_ids"]
    assert [tiny_tokenizer.decode([ids[p]]) for p in f["number_positions"][:2]] == ["12", "7"]
    assert f["number_mask"][:3] == [1, 1, 0]
    without, stats = window_features(tiny_tokenizer, [item], max_length=64, doc_stride=16, train=True)
    assert without == [] and stats.unanswerable == [item]  # spans only: not trainable


NAMES = "Tom Ann Bob Eve Max Lia Sam Zoe Ben Ida Leo Mia Tim Ava Dan Kim".split()
FRUIT = "apple pear plum peach lemon mango melon cherry".split()


def _question(rng: random.Random, kind: str) -> tuple[str, str, str]:
    if kind == "arithmetic":
        a, b = rng.sample(NAMES, 2)
        x, y = rng.sample(range(2, 60), 2)
        passage = f"{a} has {x} coins. {b} has {y} coins."
        if rng.random() < 0.5:
            return f"How many more coins does {a} have than {b}?", passage, str(x - y)
        return f"How many coins do {a} and {b} have together?", passage, str(x + y)
    if kind == "count":
        fruit, n = rng.choice(FRUIT), rng.randint(1, 7)
        return f"How many {fruit}s are in the box?", "The box holds " + " ".join([fruit] * n) + ".", str(n)
    name, won = rng.choice(NAMES), rng.random() < 0.5
    return f"Did {name} win the race?", f"{name} {'won' if won else 'lost'} the race today.", "yes" if won else "no"


def _set(rng: random.Random, n: int, start: int) -> list[Example]:
    out = []
    for i in range(n):
        for kind in ("arithmetic", "count", "yesno"):
            q, p, a = _question(rng, kind)
            out.append(Example(id=f"{kind}-{start + i}", source="drop", question=q, context=(Paragraph("", p),),
                               answers=(Answer.span(a),)))
    return out


@pytest.mark.slow
def test_a_tiny_reader_learns_to_add_count_and_answer_yes_no_on_held_out_questions():
    from decomp.readers.extractive import ExtractiveReader

    torch.manual_seed(0)
    rng = random.Random(0)
    train, held_out = _set(rng, 150, 0), _set(rng, 30, 1000)
    assert not {(e.question, e.passage) for e in train} >= {(e.question, e.passage) for e in held_out}
    reader = ExtractiveReader(model="tiny-bert", max_length=64, doc_stride=16, lr=3e-3, warmup_ratio=0.05,
                              answer_heads=True, strategy="none", seed=0)
    accuracy, heads = train_and_score(reader, train, held_out, batch_size=32, steps=1500)
    # Chance: a signed sum of two numbers out of many candidates ~0; a count of 1-7 1/7; yes/no 1/2.
    assert accuracy["arithmetic"] >= 0.9, accuracy
    assert accuracy["count"] >= 0.7, accuracy
    assert accuracy["yesno"] >= 0.8, accuracy
    assert heads["arithmetic"].count("arithmetic") >= 27 and heads["yesno"].count("yesno") >= 27, heads
