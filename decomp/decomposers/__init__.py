"""Question decomposers (question -> QDMR steps): a spaCy rule baseline and a trained seq2seq model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from decomp.errors import ConfigError
from decomp.qdmr.steps import Step


class Decomposer(Protocol):
    def decompose(self, questions: Sequence[str]) -> list[tuple[Step, ...]]: ...


def load_decomposer(spec: str) -> Decomposer:
    """`rules` (the rule baseline) or the path of a `DecomposerModule` checkpoint."""
    if spec == "rules":
        from decomp.decomposers.rules import RuleDecomposer

        return RuleDecomposer()
    if not Path(spec).is_file():
        raise ConfigError(f"decomposer must be 'rules' or a checkpoint file, got {spec!r}")
    import transformers

    from decomp.decomposers.seq2seq import DecomposerModule

    # Rebuilding the warm-started model reports its fresh decoder weights as MISSING, before the checkpoint
    # replaces every one of them: that report would only mislead.
    transformers.logging.set_verbosity_error()
    return DecomposerModule.load_from_checkpoint(spec, map_location="cpu")
