"""`none`: question + context -> answer, the baseline every decomposition is compared with."""

from __future__ import annotations

from decomp.data.schema import Example
from decomp.strategies.base import Strategy, register, whole_question
from decomp.types import ReaderInput


@register
class NoDecomposition(Strategy):
    name = "none"
    format_version = 1
    needs_decomposition = False

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        return [whole_question(example)]
