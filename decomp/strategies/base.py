"""The strategy interface and registry: a new strategy is one new module in this package with `@register`.

Format versions: `format_version` is the version of how a strategy turns an example into reader inputs
(question wording, markers, step order, which steps are supervised or executed). Bump it in the same
change whenever that output changes for any example, so results and checkpoints made before and after
are told apart; refactors that leave every input identical keep it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from typing import ClassVar

from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.registry import Registry, where
from decomp.types import Prediction, ReaderAnswer, ReaderInput, as_spans, join_spans

AnswerFn = Callable[[list[ReaderInput]], Mapping[str, ReaderAnswer]]
"""A reader's batched inference: inputs in, answers (spans, or one string) keyed by `ReaderInput.uid` out."""

REGISTRY: Registry = Registry("strategy", "decomp.strategies", group="decomp.strategies")
"""Every module of `decomp/strategies/` plus plug-ins under the `decomp.strategies` entry-point group."""


def register(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make the strategy available under its `name` (a second class there is an error)."""
    version = cls.__dict__.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ConfigError(f"strategy {where(cls)} must declare its own `format_version` (an int >= 1), "
                          f"got {version!r}")
    return REGISTRY.add(cls.name, cls)


def get_strategy(name: str, **options) -> Strategy:
    return REGISTRY[name](**options)


def check_decompositions(strategy: Strategy | type[Strategy], protocol: str, decompositions: str) -> None:
    """Refuse a strategy that reads decompositions where the evaluation questions have none: the deployed
    protocol's have no gold ones. Called where a reader's strategy meets its data (`decomp fit`, curve configs)."""
    if protocol == "deployed" and decompositions == "gold" and strategy.needs_decomposition:
        raise ConfigError(f"the deployed protocol has no gold decompositions; strategy {strategy.name!r} needs "
                          "data.decompositions=predicted and data.predicted_file")


class Strategy(ABC):
    """How an example becomes reader inputs, for training and for prediction."""

    name: ClassVar[str]
    format_version: ClassVar[int]  # every strategy declares it; see the module docstring for when to bump it
    needs_decomposition: ClassVar[bool] = True  # reads `example.decomposition` (`check_decompositions`)
    needs_reader: ClassVar[bool] = True  # False: `fit(examples)` and `predict(examples)` answer without a reader

    def special_tokens(self) -> list[str]:
        """Tokens the reader's tokenizer must add (e.g. operator markers)."""
        return []

    @abstractmethod
    def training_inputs(self, example: Example) -> list[ReaderInput]:
        """The supervised reader inputs one training example contributes."""

    def predict(self, examples: Sequence[Example], answer: AnswerFn) -> list[Prediction]:
        """Default: one input per example, answered in one batched call (every span kept)."""
        inputs = [self.inference_input(e) for e in examples]
        answers = {uid: as_spans(a) for uid, a in answer(inputs).items()}
        return [Prediction(i.example_id, join_spans(answers[i.uid]),
                           [{"step": 0, "question": i.question, "answer": join_spans(answers[i.uid]),
                             "spans": list(answers[i.uid]), "by": "reader"}], answers[i.uid])
                for i in inputs]

    def inference_input(self, example: Example) -> ReaderInput:
        return self.training_inputs(example)[0]

    def describe(self) -> dict:
        """What a result row and a checkpoint record about this strategy (name, format version, options)."""
        return {"strategy": self.name, "format_version": self.format_version}


def whole_question(example: Example, question: str | None = None) -> ReaderInput:
    """The example's (possibly rewritten) question over its full context, with the final answers."""
    return ReaderInput(example.id, example.id, question if question is not None else example.question,
                       example.passage, tuple(example.gold_texts()))
