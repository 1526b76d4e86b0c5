"""Training features in the data layer: examples -> reader inputs -> features -> length-bucketed batches.

A reader supplies a `TrainingData`: its strategy's `training_inputs`, a featurizer that is a pure
function of its tokenizer and settings, the padding of its batch keys and a seed. The DataModule (for
`decomp fit`) and the curve runner both build their training loaders here, so they share one path and
neither needs the LightningModule to do it.

Featurize once: features are cached as an Arrow dataset (through `datasets`, like the example cache)
under `<cache dir>/features/`, keyed by a hash of the examples' fingerprint, the strategy's name and
format version, the tokenizer (name and vocabulary hash) and the featurizer's settings, so the trials
and training seeds of a curve cell (and any later run on the same subset) tokenize it once.
Only seed-dependent selection (which negative windows stay) runs after the cache.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from torch.utils.data import DataLoader

from decomp.data.batching import bucket_batch_sampler, pad_features
from decomp.data.cache import default_cache_dir, examples_fingerprint
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.hashing import json_digest
from decomp.types import ReaderInput

log = logging.getLogger(__name__)
FEATURES_FORMAT = "features-v1"  # bump when a featurizer's output changes shape or meaning


@dataclass
class Featurized:
    """A featurizer's output: the features and the training inputs it skipped (no usable answer)."""

    features: list[dict]
    skipped: list[ReaderInput] = field(default_factory=list)


Featurizer = Callable[[Sequence[ReaderInput]], Featurized]


@dataclass(frozen=True)
class TrainingData:
    """What turns examples into a reader's training batches, without the reader.

    Args:
        inputs: the strategy's `training_inputs(example)`.
        featurize: a pure function of the reader's tokenizer and settings (training mode).
        pad_values: padding of each sequence key of a batch.
        seed: fixes the batch order and `select`.
        key: identifies the featurization (strategy and format version, tokenizer, settings) for the cache;
            None disables caching.
        select: a seeded choice among the (possibly cached) features, e.g. which negative windows stay.
        on_skipped: told (skipped inputs, number of inputs) after featurizing, e.g. to log them.
    """

    inputs: Callable[[Example], list[ReaderInput]]
    featurize: Featurizer
    pad_values: dict[str, int]
    seed: int = 0
    key: dict | None = None
    select: Callable[[list[dict]], list[dict]] | None = None
    on_skipped: Callable[[Sequence[ReaderInput], int], None] | None = None


def training_features(data: TrainingData, examples: Sequence[Example], cache_dir: str | Path | None = None,
                      use_cache: bool = True) -> list[dict]:
    """The features of the training inputs of `examples`, featurized once per (examples, featurization)."""
    inputs = [i for e in examples for i in data.inputs(e)]
    featurized = _cached(data, examples, inputs, cache_dir) if use_cache and data.key is not None else None
    if featurized is None:
        featurized = data.featurize(inputs)
        if use_cache and data.key is not None:
            _store(data, examples, featurized, cache_dir)
    if data.on_skipped is not None:
        data.on_skipped(featurized.skipped, len(inputs))
    return data.select(featurized.features) if data.select is not None else featurized.features


def training_loader(data: TrainingData, examples: Sequence[Example], batch_size: int, num_workers: int = 0,
                    bucket_batches: int = 50, cache_dir: str | Path | None = None,
                    use_cache: bool = True) -> DataLoader:
    """A length-bucketed training loader whose order depends only on (seed, epoch)."""
    features = training_features(data, examples, cache_dir, use_cache)
    if not features:
        raise ConfigError("no training features: every training input lacks a usable answer")
    sampler = bucket_batch_sampler([f["length"] for f in features], batch_size, data.seed, bucket_batches)
    return DataLoader(features, batch_sampler=sampler, num_workers=num_workers,
                      collate_fn=functools.partial(pad_features, pad_values=data.pad_values))


def tokenizer_key(tokenizer) -> dict:
    """A tokenizer's identity for cache keys: its name and a hash of its vocabulary (added tokens included)."""
    vocab = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False).encode()
    return {"name": tokenizer.name_or_path, "vocab": hashlib.sha256(vocab).hexdigest()[:16],
            "class": type(tokenizer).__name__}


# --- the Arrow cache --------------------------------------------------------------------------------------

def _target(data: TrainingData, examples: Sequence[Example], cache_dir: str | Path | None) -> Path:
    key = {"examples": examples_fingerprint(examples), "featurization": data.key, "format": FEATURES_FORMAT}
    digest = json_digest(key, 20)
    return Path(cache_dir or default_cache_dir()) / "features" / digest


def _cached(data: TrainingData, examples: Sequence[Example], inputs: Sequence[ReaderInput],
            cache_dir: str | Path | None) -> Featurized | None:
    target = _target(data, examples, cache_dir)
    if not (target / "features" / "dataset_info.json").exists():
        return None
    import datasets

    features = list(datasets.load_from_disk(str(target / "features")))
    skipped_uids = set(json.loads((target / "skipped.json").read_text()))
    return Featurized(features, [i for i in inputs if i.uid in skipped_uids])


def _store(data: TrainingData, examples: Sequence[Example], featurized: Featurized,
           cache_dir: str | Path | None) -> None:
    """Written to a temporary folder and renamed: an interrupted write never leaves half an entry."""
    if not featurized.features:
        return
    import datasets

    target = _target(data, examples, cache_dir)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    datasets.disable_progress_bars()
    try:
        datasets.Dataset.from_list(featurized.features).save_to_disk(str(tmp / "features"))
        (tmp / "skipped.json").write_text(json.dumps([i.uid for i in featurized.skipped]))
        tmp.rename(target)
    except OSError:  # another process wrote the same entry first; it is equivalent
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        datasets.enable_progress_bars()

