"""Implicit decompositions: the decomposition is shown to the reader, never answered step by step.

- `implicit-operators` (Wei et al. 2023): the QDMR operator sequence as added special tokens.
- `implicit-steps` (Guo et al. 2022 style): the decomposition's steps concatenated to the question.
"""

from __future__ import annotations

from decomp.data.schema import Example
from decomp.qdmr.steps import OPERATORS
from decomp.strategies.base import Strategy, register, whole_question
from decomp.types import ReaderInput


def operator_token(operator: str) -> str:
    return f"[{operator}]"


@register
class ImplicitOperators(Strategy):
    name = "implicit-operators"
    format_version = 1

    def special_tokens(self) -> list[str]:
        # The whole vocabulary, not the operators seen in training, so any test question can be encoded.
        return [operator_token(o) for o in OPERATORS]

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        prefix = " ".join(operator_token(s.operator) for s in example.decomposition)
        return [whole_question(example, f"{prefix} {example.question}" if prefix else None)]


@register
class ImplicitSteps(Strategy):
    name = "implicit-steps"
    format_version = 1

    def special_tokens(self) -> list[str]:
        return ["[steps]"]

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        if not example.decomposition:
            return [whole_question(example)]
        steps = " ".join(f"{i}) {s.text}" for i, s in enumerate(example.decomposition, start=1))
        return [whole_question(example, f"{example.question} [steps] {steps}")]
