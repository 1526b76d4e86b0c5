"""The embedded synthetic set: offline, seeded, with gold decompositions and sub-answers (`decomp.data.synthetic`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from decomp.data.datasets import Dataset, JoinSummary, register_dataset
from decomp.data.schema import Example
from decomp.data.synthetic import SyntheticConfig, generate
from decomp.errors import ConfigError


@register_dataset
class Synthetic(Dataset):
    """The embedded generated set: offline, seeded, with gold decompositions and sub-answers.

    The pool and the `deployed` set come from disjoint name slices of the vocabulary and different
    seeds, so they share no passage; the deployed copy has its decompositions removed.
    """

    name = "synthetic"
    generated = True

    @classmethod
    def options(cls, data: Mapping[str, Any]) -> dict:
        """Its own options (n, seed, config knobs) under `data.synthetic`; it reads no files."""
        return dict(data.get("synthetic") or {})

    def __init__(self, n: int = 1000, seed: int = 0, n_deployed: int = 500, config: dict | None = None,
                 data_dir: str | Path | None = None, lenient: bool = True) -> None:
        super().__init__(data_dir, lenient)
        self.n, self.seed, self.n_deployed, self.config = n, seed, n_deployed, dict(config or {})

    def _generate(self, n: int, seed: int, vocab_slice: tuple[float, float]) -> list[Example]:
        try:
            config = SyntheticConfig(**{**self.config, "vocab_slice": vocab_slice})
        except TypeError as exc:
            raise ConfigError(f"synthetic config: {exc}") from None
        return generate(n, seed=seed, config=config)

    @classmethod
    def metric_for(cls, source: str) -> str:
        """Mixed kinds: each example's source names its metric (`synthetic-drop` is scored as DROP)."""
        return source.removeprefix(f"{cls.name}-").split("-")[0]

    def sources(self) -> dict[str, str]:
        return {"source": "generated", "break_source": "generated", "break_config": "generated"}

    def pool(self) -> list[Example]:
        return self._generate(self.n, self.seed, (0.0, 0.5))

    def deployed(self) -> list[Example]:
        held_out = self._generate(self.n_deployed, self.seed + 1_000_003, (0.5, 1.0))
        return [replace(e, decomposition=(), sub_answers=()) for e in held_out]

    def summaries(self) -> list[JoinSummary]:
        return []

    def notes(self) -> list[str]:
        return [f"generated: n={self.n}, seed={self.seed}, config={self.config or 'defaults'}"]
