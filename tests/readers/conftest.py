"""Shared pieces of the reader tests: a stand-in strategy and tiny question sets."""

from __future__ import annotations

import os

import pytest

from decomp.data.schema import Answer, Example, Paragraph
from decomp.types import Prediction, ReaderInput, as_spans, join_spans

# Before any test module imports transformers (the suite's conftest sets it too).
os.environ.setdefault("HF_HUB_OFFLINE", "1")


class WholeQuestion:
    """Stand-in strategy: one reader input per example (question + passage), like `none`."""

    def __init__(self, tokens: tuple[str, ...] = ()):
        self.tokens = list(tokens)

    def special_tokens(self) -> list[str]:
        return self.tokens

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        return [ReaderInput(example.id, example.id, example.question, example.passage,
                            tuple(example.gold_texts()))]

    def predict(self, examples, answer) -> list[Prediction]:
        inputs = [self.training_inputs(e)[0] for e in examples]
        answers = {uid: as_spans(a) for uid, a in answer(inputs).items()}
        return [Prediction(i.example_id, join_spans(answers[i.uid]), [{"step": 0, "spans": list(answers[i.uid])}],
                           answers[i.uid]) for i in inputs]


def example(ex_id: str, question: str, passage: str, *answers: str, source: str = "drop") -> Example:
    return Example(id=ex_id, source=source, question=question, context=(Paragraph("", passage),),
                   answers=tuple(Answer.span(a) for a in answers))


# Eight questions over eight short passages: what a reader must be able to memorise.
MEMORY = [
    ("Who ran for 120 yards?", "Walter Payton ran for 120 yards in Chicago.", "Walter Payton"),
    ("Which team lost the game?", "The Bears beat the Lions in a cold game.", "Lions"),
    ("Where was the treaty signed?", "The treaty was signed in Vienna by both kings.", "Vienna"),
    ("What colour was the car?", "Anna bought a red car from her neighbour.", "red"),
    ("Who wrote the letter?", "The letter was written by Marcus before dawn.", "Marcus"),
    ("What did the farmer grow?", "The old farmer grew barley on the hill.", "barley"),
    ("Which river floods each spring?", "Each spring the Danube floods the valley.", "Danube"),
    ("Who kicked the field goal?", "Late in the game Jason Elam kicked the field goal.", "Jason Elam"),
]


@pytest.fixture(scope="session")
def memory_examples() -> list[Example]:
    return [example(f"m{k}", q, p, a, source="drop" if k % 2 else "hotpotqa")
            for k, (q, p, a) in enumerate(MEMORY)]
