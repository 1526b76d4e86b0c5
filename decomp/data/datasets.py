"""The datasets a run can name, each giving a gold-decomposed pool and a `deployed` evaluation set.

A new dataset is one `Dataset` subclass with `@register_dataset`. Pools are cached as Arrow through
`datasets`, keyed by the input files' contents, so a second run skips parsing and joining.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

from decomp.data.cache import cached_examples, file_fingerprint
from decomp.data.schema import Example
from decomp.errors import ConfigError

DATA_DIR_ENV = "DECOMP_DATA_DIR"
DATASETS: dict[str, type[Dataset]] = {}


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    DATASETS[cls.name] = cls
    return cls


def get_dataset(name: str, **options) -> Dataset:
    if name not in DATASETS:
        raise ConfigError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](**options)


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """The explicit folder, else $DECOMP_DATA_DIR; it must hold the `raw/` tree of shared/data."""
    value = data_dir or os.environ.get(DATA_DIR_ENV)
    if not value:
        raise ConfigError(f"no data folder: pass --data-dir (data.data_dir in a config) or set {DATA_DIR_ENV}")
    path = Path(value).expanduser()
    if not (path / "raw").is_dir():
        raise ConfigError(f"data folder {path} has no raw/ subfolder (given by "
                          f"{'--data-dir' if data_dir else DATA_DIR_ENV})")
    return path


@dataclass
class JoinSummary:
    """One BREAK file joined to its source, for `decomp data stats`."""

    label: str
    total: int
    joined: int
    statuses: dict[str, int] = field(default_factory=dict)
    invalid: list[str] = field(default_factory=list)  # problems the lenient BREAK load counted
    pool: int = 0  # joined with a usable gold decomposition


class Dataset(ABC):
    name: ClassVar[str]
    metric: ClassVar[str]  # "drop" or "hotpot"

    def __init__(self, data_dir: str | Path | None = None, lenient: bool = True) -> None:
        # Lenient: malformed BREAK decompositions are counted and reported (stats), not fatal.
        self._data_dir, self.lenient = data_dir, lenient

    @property
    def data_dir(self) -> Path:
        return resolve_data_dir(self._data_dir)

    def _cached(self, part: str, files: list[Path], build) -> list[Example]:
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise ConfigError(f"{self.name}: missing data file(s) {missing}")
        key = {"files": file_fingerprint(files), "lenient": self.lenient}
        return cached_examples(f"{self.name}-{part}", key, build)

    @abstractmethod
    def pool(self) -> list[Example]:
        """Questions with a gold decomposition, context and answers: the `gold` protocol's pool."""

    @abstractmethod
    def deployed(self) -> list[Example]:
        """Questions without gold decompositions that share no passage with the pool."""

    @abstractmethod
    def summaries(self) -> list[JoinSummary]:
        """Join figures per BREAK file, for `decomp data stats`."""

    def notes(self) -> list[str]:
        """Further lines for `decomp data stats` (source files, skipped rows)."""
        return []


def _break(data_dir: Path, config: str, split: str, lenient: bool):
    from decomp.data.sources.break_ import load_break

    return load_break(data_dir / "raw" / "break" / config / f"{split}.csv", lenient=lenient)


@register_dataset
class Drop(Dataset):
    """BREAK high-level DROP questions joined to the simple-evals DROP dev copy."""

    name = "drop"
    metric = "drop"

    def _files(self) -> tuple[Path, Path, Path]:
        d = self.data_dir
        return (d / "raw" / "break" / "QDMR-high-level" / "dev.csv",
                d / "raw" / "break" / "QDMR-high-level" / "test.csv",
                d / "raw" / "drop" / "simple-evals" / "drop_v0_dev.jsonl.gz")

    def _joins(self):
        from decomp.data.join_drop import join_break_drop
        from decomp.data.sources.drop import load_drop_simple_evals

        drop = load_drop_simple_evals(self._files()[2])
        tables = [_break(self.data_dir, "QDMR-high-level", s, self.lenient) for s in ("dev", "test")]
        return drop, *(join_break_drop(t, drop) for t in tables), tables

    def pool(self) -> list[Example]:
        from decomp.data.sources.drop import passage_key

        # Group by passage text, not section: a few passages recur under two section ids (247 sections,
        # 244 distinct texts), and folds must never put one passage on both sides.
        return self._cached("pool", list(self._files()),
                            lambda: [replace(e, group=passage_key(e.passage))
                                     for e in self._joins()[1].examples if e.decomposition])

    def deployed(self) -> list[Example]:
        from decomp.data.join_drop import passage_disjoint

        def build():
            drop, dev, test, _ = self._joins()
            groups = passage_disjoint(drop.examples, dev.examples, within=test.examples)
            return [e for key in sorted(groups) for e in groups[key]]

        return self._cached("deployed", list(self._files()), build)

    def summaries(self) -> list[JoinSummary]:
        _, dev, test, tables = self._joins()
        return [JoinSummary(j.report.break_file, j.report.total, j.report.joined, dict(j.report.status),
                            t.problems("DROP"), sum(1 for e in j.examples if e.decomposition))
                for j, t in zip((dev, test), tables, strict=True)]


@register_dataset
class HotpotQA(Dataset):
    """BREAK high-level HOTPOT questions joined to every HotpotQA distractor copy in raw/hotpotqa."""

    name = "hotpotqa"
    metric = "hotpot"

    def _files(self) -> list[Path]:
        d = self.data_dir
        return [d / "raw" / "break" / "QDMR-high-level" / f"{s}.csv" for s in ("dev", "test")] + \
            sorted(p for p in (d / "raw" / "hotpotqa").rglob("*") if p.is_file() and not p.name.startswith("."))

    def _joins(self):
        from decomp.data.join_hotpotqa import join_hotpotqa
        from decomp.data.sources.hotpotqa import load_hotpotqa_dir

        union = load_hotpotqa_dir(self.data_dir / "raw" / "hotpotqa", lenient=self.lenient)
        tables = [_break(self.data_dir, "QDMR-high-level", s, self.lenient) for s in ("dev", "test")]
        return union, [(*join_hotpotqa(t, union.examples), t) for t in tables]

    def pool(self) -> list[Example]:
        return self._cached("pool", self._files(),
                            lambda: [e for e in self._joins()[1][0][0] if e.decomposition])  # dev join's examples

    def deployed(self) -> list[Example]:
        from decomp.data.join_hotpotqa import deployed_set

        def build():
            union, ((pool, _, _), _) = self._joins()
            return deployed_set(union.examples, pool)

        return self._cached("deployed", self._files(), build)

    def summaries(self) -> list[JoinSummary]:
        union, joins = self._joins()
        out = []
        for examples, r, table in joins:
            statuses = {"matched_by_id": r.by_id, "matched_by_question": r.by_question,
                        "no_context_found": r.unjoined}
            path = Path(r.break_file)
            out.append(JoinSummary(f"{path.parent.name}/{path.stem}", r.total, r.joined, statuses,
                                   table.problems("HOTPOT"),
                                   sum(1 for e in examples if e.decomposition)))
        return out

    def notes(self) -> list[str]:
        union = self._joins()[0]
        return [f"raw/hotpotqa: {union.rows:,} rows in {len(union.tables)} files -> {len(union.examples):,} "
                f"distinct questions ({union.duplicates:,} duplicates merged, {len(union.skipped):,} skipped)",
                *union.skipped]


@register_dataset
class Synthetic(Dataset):
    """The embedded generated set: offline, seeded, with gold decompositions and sub-answers.

    The pool and the `deployed` set come from disjoint name slices of the vocabulary and different
    seeds, so they share no passage; the deployed copy has its decompositions removed.
    """

    name = "synthetic"
    metric = "by-source"

    def __init__(self, n: int = 1000, seed: int = 0, n_deployed: int = 500, config: dict | None = None,
                 data_dir: str | Path | None = None, lenient: bool = True) -> None:
        super().__init__(data_dir, lenient)
        self.n, self.seed, self.n_deployed, self.config = n, seed, n_deployed, dict(config or {})

    def _generate(self, n: int, seed: int, vocab_slice: tuple[float, float]) -> list[Example]:
        from decomp.data.synthetic import SyntheticConfig, generate

        try:
            config = SyntheticConfig(**{**self.config, "vocab_slice": vocab_slice})
        except TypeError as exc:
            raise ConfigError(f"synthetic config: {exc}") from None
        return generate(n, seed=seed, config=config)

    def pool(self) -> list[Example]:
        return self._generate(self.n, self.seed, (0.0, 0.5))

    def deployed(self) -> list[Example]:
        held_out = self._generate(self.n_deployed, self.seed + 1_000_003, (0.5, 1.0))
        return [replace(e, decomposition=(), sub_answers=()) for e in held_out]

    def summaries(self) -> list[JoinSummary]:
        return []

    def notes(self) -> list[str]:
        return [f"generated: n={self.n}, seed={self.seed}, config={self.config or 'defaults'}"]
