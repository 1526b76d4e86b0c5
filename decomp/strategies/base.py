"""The strategy interface and registry: a new strategy is one small module and one `@register`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.readers.types import Prediction, ReaderInput

AnswerFn = Callable[[list[ReaderInput]], dict[str, str]]
"""A reader's batched inference: inputs in, answers keyed by `ReaderInput.uid` out."""

REGISTRY: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    REGISTRY[cls.name] = cls
    return cls


def get_strategy(name: str, **options) -> Strategy:
    if name not in REGISTRY:
        raise ConfigError(f"unknown strategy {name!r}; known: {', '.join(sorted(REGISTRY))}")
    return REGISTRY[name](**options)


class Strategy(ABC):
    """How an example becomes reader inputs, for training and for prediction."""

    name: ClassVar[str]
    needs_decomposition: ClassVar[bool] = True

    def special_tokens(self) -> list[str]:
        """Tokens the reader's tokenizer must add (e.g. operator markers)."""
        return []

    @abstractmethod
    def training_inputs(self, example: Example) -> list[ReaderInput]:
        """The supervised reader inputs one training example contributes."""

    def predict(self, examples: Sequence[Example], answer: AnswerFn) -> list[Prediction]:
        """Default: one input per example, answered in one batched call."""
        inputs = [self.inference_input(e) for e in examples]
        answers = answer(inputs)
        return [Prediction(i.example_id, answers[i.uid],
                           [{"step": 0, "question": i.question, "answer": answers[i.uid], "by": "reader"}])
                for i in inputs]

    def inference_input(self, example: Example) -> ReaderInput:
        return self.training_inputs(example)[0]

    def describe(self) -> dict:
        """What a result row records about this strategy (name and options)."""
        return {"strategy": self.name}


def whole_question(example: Example, question: str | None = None) -> ReaderInput:
    """The example's (possibly rewritten) question over its full context, with the final answers."""
    return ReaderInput(example.id, example.id, question if question is not None else example.question,
                       example.passage, tuple(example.gold_texts()))
