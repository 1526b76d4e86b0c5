"""The datasets a run can name: a registry discovered from `decomp/data/dataset_*.py`, and their common base.

A new dataset is one module `decomp/data/dataset_<name>.py` registering a `Dataset` subclass with
`@register_dataset`, plus its card `decomp/data/cards/<name>.yaml` (see `decomp.data.cards`). Each dataset gives:
- `pool()`: BREAK dev questions joined to their source, with a gold decomposition (the `gold` protocol);
- `train_pool()`: BREAK train joined likewise (the `splits` protocol's training side);
- `deployed()`: questions without gold decompositions sharing no passage with the pool;
- `silver(protocol side)`: source questions without a BREAK decomposition, for predicted-decomposition training.
Joined sets are cached as Arrow through `datasets`, keyed by the inputs, so a second run skips the joins.
"""

from __future__ import annotations

import inspect
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from decomp.data.cache import cached_examples, file_fingerprint
from decomp.data.schema import Example
from decomp.data.sources.break_ import BreakTable
from decomp.data.sources.locate import (
    BREAK_CONFIGS,
    FOLDER,
    HUB,
    SHARED,
    Source,
    break_key,
    load_break_split,
    parse_source,
)
from decomp.errors import ConfigError
from decomp.registry import Registry

DATA_DIR_ENV = "DECOMP_DATA_DIR"
# Discovered on first read from `decomp/data/dataset_*.py` and the `decomp.datasets` entry points.
DATASETS: Registry = Registry("dataset", "decomp.data", group="decomp.datasets", prefix="dataset_")
MIN_JOINED = 0.5  # a configured (official or hub) source must join at least this share of BREAK's questions
# Where a dataset read from files finds its parts: `data.*` of a config, `--source` etc. of `decomp data`.
SOURCE_OPTIONS = ("source", "break_source", "break_config", "context", "n_distractors")


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    """Register `cls` under `cls.name`; a second class of the same name is an error naming both places."""
    return DATASETS.add(cls.name, cls)


def get_dataset(name: str, **options) -> Dataset:
    cls = DATASETS[name]  # an unknown name raises, listing the known ones
    accepted = set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(k for k, v in options.items() if k not in accepted and v is not None)
    if unknown:
        raise ConfigError(f"dataset {name!r} takes no option(s) {unknown}; it takes {sorted(accepted)}")
    return cls(**{k: v for k, v in options.items() if k in accepted and v is not None})  # None: the default


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


def check_join(label: str, joined: int, total: int, source: Source, expected: str) -> None:
    """A configured source that joins fewer than half of BREAK's questions is the wrong file, not a small set;
    a BREAK file without any of the dataset's questions is never an empty dataset that runs."""
    if not total:
        raise ConfigError(f"{label}: no BREAK questions of this dataset in the file ({expected})")
    if source.kind != SHARED and joined < MIN_JOINED * total:
        raise ConfigError(f"{label}: only {joined:,} of {total:,} BREAK questions joined to {source.option}="
                          f"{source.describe()} (expected at least {MIN_JOINED:.0%}: {expected})")


class Dataset(ABC):
    """Base of the registered datasets. `source` names where the questions come from (`shared`, `hub` or a
    folder of the official files), `break_source` where BREAK comes from (`shared`, `hub` or a folder in the
    official layout), `break_config` which BREAK annotation (`QDMR-high-level` or `QDMR`)."""

    name: ClassVar[str]
    metric: ClassVar[str]  # "drop" or "hotpot"; a dataset mixing kinds overrides `metric_for` instead
    # Made on the fly, not read: the source options do not apply and no adaptation source can hold its passages.
    generated: ClassVar[bool] = False

    def __init__(self, data_dir: str | Path | None = None, lenient: bool = True, source: str | None = None,
                 break_source: str | None = None, break_config: str = "QDMR-high-level") -> None:
        # Lenient: malformed BREAK decompositions are counted and reported (stats), not fatal.
        self._data_dir, self.lenient, self.break_config = data_dir, lenient, break_config
        if break_config not in BREAK_CONFIGS:
            raise ConfigError(f"break_config must be one of {BREAK_CONFIGS}, got {break_config!r}")
        self.source = parse_source(source, "source")
        self.break_source = parse_source(break_source, "break_source")
        self._memo: dict = {}  # loaded files and joins, shared by the sets built from them
        self.cache_dir: Path | None = None  # None: $DECOMP_CACHE_DIR or ~/.cache/decomp (`data prepare`: data/cache)

    @property
    def data_dir(self) -> Path | None:
        """The shared layout's folder; None when neither source uses it."""
        if SHARED in (self.source.kind, self.break_source.kind):
            return resolve_data_dir(self._data_dir)
        return None

    def sources(self) -> dict[str, str]:
        """What `describe()` and result rows record about where the data came from."""
        return {"source": self.source.describe(), "break_source": self.break_source.describe(),
                "break_config": self.break_config}

    def break_table(self, split: str) -> BreakTable:
        """One BREAK split from the configured BREAK source (checked: its split column must say `split`)."""
        if ("break", split) not in self._memo:
            data_dir = self.data_dir if self.break_source.kind == SHARED else None
            self._memo["break", split] = load_break_split(self.break_source, data_dir, self.break_config, split,
                                                          self.lenient)
        return self._memo["break", split]

    def break_inputs(self, *splits: str) -> list[str]:
        """The BREAK inputs of `splits` for a cache key (`hub:` names for the hub)."""
        data_dir = self.data_dir if self.break_source.kind == SHARED else None
        hub = "hub:" if self.break_source.kind == HUB else ""
        return [hub + break_key(self.break_source, data_dir, self.break_config, s) for s in splits]

    def _cached(self, part: str, inputs: list[Path | str], build) -> list[Example]:
        """`build()` cached under the fingerprint of the input files (hub names are keyed by name)."""
        files = [Path(p) for p in inputs if not str(p).startswith("hub:")]
        missing = [str(f) for f in files if not f.exists()]
        if missing:
            raise ConfigError(f"{self.name}: missing data file(s) {missing}")
        key = {"files": file_fingerprint(files), "hub": sorted(str(p) for p in inputs if str(p).startswith("hub:")),
               "lenient": self.lenient, "break_config": self.break_config, "sources": self.sources()}
        return cached_examples(f"{self.name}-{part}", key, build, cache_dir=self.cache_dir)

    def finish(self, examples: list[Example]) -> list[Example]:
        """A last, uncached transformation of every set handed out (HotpotQA's context setting)."""
        return examples

    @classmethod
    def options(cls, data: Mapping[str, Any]) -> dict:
        """Constructor options from a `data` section (`DecompDataModule`'s arguments, `decomp data stats`'s
        flags): the data folder, leniency and source options (`get_dataset` drops those left None); none for a
        generated dataset (the synthetic set overrides this to read its own `data.synthetic`)."""
        return {} if cls.generated else {k: data[k] for k in ("data_dir", "lenient", *SOURCE_OPTIONS) if k in data}

    @classmethod
    def metric_for(cls, source: str) -> str:
        """The official metric ("drop" or "hotpot") scoring an example of this dataset from `source`."""
        return cls.metric

    def describe(self) -> dict:
        """Dataset options a result row records (besides the sources)."""
        return {}

    @abstractmethod
    def pool(self) -> list[Example]:
        """BREAK dev questions with a gold decomposition, context and answers: the `gold` protocol's pool
        and the `splits` protocol's evaluation set."""

    def train_pool(self) -> list[Example]:
        """BREAK train questions joined likewise: the `splits` protocol's training side."""
        raise ConfigError(f"dataset {self.name!r} has no BREAK train split")

    @abstractmethod
    def deployed(self) -> list[Example]:
        """Questions without gold decompositions that share no passage with the pool."""

    def adaptation_records(self) -> list[Example]:
        """Dev questions `decomp adapt` may train on (`<name>-dev-outside`, before the recipe's protected
        evaluation sets are taken out): by default the deployed set, the questions outside the gold pool."""
        return self.deployed()

    def silver(self, side: str) -> list[Example]:
        """Source questions of `side` ("train" or "dev") that BREAK does not decompose: candidates for
        training on predicted decompositions."""
        raise ConfigError(f"dataset {self.name!r} has no questions beyond its gold-decomposed ones")

    @abstractmethod
    def summaries(self) -> list[JoinSummary]:
        """Join figures per BREAK file, for `decomp data stats`."""

    def notes(self) -> list[str]:
        """Further lines for `decomp data stats` (source files, skipped rows)."""
        return []


__all__ = ["DATASETS", "FOLDER", "HUB", "SHARED", "SOURCE_OPTIONS", "Dataset", "JoinSummary", "check_join",
           "get_dataset", "register_dataset", "resolve_data_dir"]
