"""`none`: question + context -> answer, the baseline every decomposition is compared with."""

from __future__ import annotations

from decomp.data.schema import Example
from decomp.readers.types import ReaderInput
from decomp.strategies.base import Strategy, register, whole_question


@register
class NoDecomposition(Strategy):
    name = "none"
    needs_decomposition = False

    def training_inputs(self, example: Example) -> list[ReaderInput]:
        return [whole_question(example)]
