"""Counting through `explicit-hybrid`: a tiny reader answers a step with a set of spans and the executor
counts them, so counts other than 1 come out (the single-span reader made every count "1")."""

from __future__ import annotations

import dataclasses
import random

import lightning as L
import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.metrics.breakdown import executor_answer_distribution, is_count_question
from decomp.metrics.scoring import prediction_record
from decomp.qdmr.steps import parse_decomposition
from decomp.readers import ExtractiveReader
from decomp.strategies import get_strategy

FRUITS = ("apples", "pears", "plums", "cherries", "lemons", "grapes", "melons", "peaches")
OTHERS = ("a dog", "a cart", "a horse", "a priest", "a fountain", "a soldier")
NAMES = ("Anna", "Marcus", "Elena", "Walter", "Sofia", "Jason")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def fruit_market(n: int, seed: int) -> list[Example]:
    """Passages listing 1-4 fruits someone bought among other things seen; "How many fruits did X buy?"
    decomposed as (select the fruits, count them), with the fruits as the first step's gold sub-answer."""
    rng = random.Random(seed)
    examples = []
    for k in range(n):
        name, fruits = rng.choice(NAMES), rng.sample(FRUITS, rng.randint(1, 4))
        seen = rng.sample(OTHERS, 2)
        passage = (f"{name} went to the market in the morning. {name} bought {_listed(fruits)}. "
                   f"On the way home {name} saw {seen[0]} and {seen[1]}.")
        steps = parse_decomposition(f"return fruits that {name} bought ;return number of #1",
                                    "['select', 'aggregate']")
        examples.append(Example(
            id=f"fruit-{seed}-{k}", source="synthetic-drop", question=f"How many fruits did {name} buy?",
            context=(Paragraph("", passage),), answers=(Answer(number=str(len(fruits))),),
            decomposition=steps, sub_answers=(Answer(spans=tuple(fruits)), Answer(number=str(len(fruits)))),
            group=f"fruit-{seed}-{k}"))
    return examples


def test_count_questions_are_those_ending_in_a_count():
    (example,) = fruit_market(1, 0)
    assert is_count_question(example)
    steps = parse_decomposition("return fruits that Anna bought ;return highest of #1", "['select', 'aggregate']")
    assert not is_count_question(Example(id="x", source="drop", question="?", context=(Paragraph("", "."),),
                                         answers=(Answer(number="9"),), decomposition=steps))
    records = [{"example_id": example.id, "prediction": "3"}, {"example_id": "x", "prediction": "1"}]
    assert executor_answer_distribution(records, [example]) == {"3": 1}


@pytest.mark.slow
def test_a_tiny_multi_span_reader_counts_through_explicit_hybrid():
    L.seed_everything(0)
    train, test = fruit_market(48, seed=1), fruit_market(16, seed=2)
    reader = ExtractiveReader(model="tiny-bert", strategy="explicit-hybrid", strategy_options={"supervision": "oracle"},
                              max_length=64, doc_stride=16, attention_dropout=0.0, lr=3e-3, warmup_ratio=0.0)
    L.Trainer(accelerator="cpu", max_steps=120, logger=False, enable_checkpointing=False, enable_progress_bar=False,
              enable_model_summary=False).fit(reader, reader.training_loader(train, 8))
    strategy = reader.strategy
    predictions = {p.example_id: p for p in strategy.predict(test, reader.answer)}
    records = [prediction_record(e, predictions[e.id]) for e in test]
    gold = {e.id: e.gold_texts()[0][0] for e in test}
    right = sum(r["prediction"] == gold[r["example_id"]] for r in records)
    assert right >= 0.75 * len(test), [(r["prediction"], gold[r["example_id"]]) for r in records]
    answers = executor_answer_distribution(records, test)
    assert sum(answers.values()) == len(test) and sum(n for a, n in answers.items() if a != "1") >= len(test) // 2
    # The trace keeps every span the reader gave, and the executor counted them.
    trace = predictions[test[0].id].trace
    assert trace[0]["by"] == "reader" and len(trace[0]["spans"]) == int(trace[1]["answer"])
    assert trace[1]["by"] == "executor"
    # The same reader with one span per answer (the old behaviour) can only count to one.
    reader.multi_span = False
    single = strategy.predict(test, reader.answer)
    assert {p.answer for p in single} <= {"1", "0"}


def test_a_step_answered_with_several_spans_is_a_set_the_executor_counts():
    (example,) = fruit_market(1, 5)
    fruits = example.sub_answers[0].spans
    def answer(inputs):
        return {i.uid: fruits for i in inputs}
    (prediction,) = get_strategy("explicit-hybrid").predict([example], answer)
    assert prediction.answer == str(len(fruits))
    assert prediction.trace[0]["spans"] == list(fruits) and prediction.trace[0]["answer"] == ", ".join(fruits)
    assert prediction.trace[1] == {"step": 2, "operator": "aggregate", "question": f"number of {', '.join(fruits)}",
                                   "answer": str(len(fruits)), "spans": [str(len(fruits))], "by": "executor"}


def test_none_keeps_every_span_and_is_scored_span_by_span():
    (example,) = fruit_market(1, 5)
    gold_spans = dataclasses.replace(example, answers=(Answer(spans=("pears", "plums")),))
    (prediction,) = get_strategy("none").predict([gold_spans], lambda inputs: {i.uid: ("plums", "pears")
                                                                              for i in inputs})
    assert prediction.spans == ("plums", "pears") and prediction.trace[0]["spans"] == ["plums", "pears"]
    assert prediction_record(gold_spans, prediction)["em"] == 1.0  # DROP compares the spans as a set
    (one,) = get_strategy("none").predict([gold_spans], lambda inputs: {i.uid: "pears" for i in inputs})
    assert one.answer == "pears" and prediction_record(gold_spans, one)["em"] == 0.0
