"""Training features in the data layer: one path for `decomp fit` and curves, featurized once (Arrow cache)."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from decomp.data.features import Featurized, TrainingData, training_features, training_loader
from decomp.data.module import DecompDataModule
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.types import ReaderInput


class CountingFeaturizer:
    """A pure stand-in featurizer (one feature per input with an answer) that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, inputs: Sequence[ReaderInput]) -> Featurized:
        self.calls += 1
        kept = [i for i in inputs if i.answers]
        return Featurized([{"uid": i.uid, "length": len(i.question.split()), "input_ids": [1] * len(i.question),
                            "negative": len(i.question) % 2 == 0} for i in kept],
                          [i for i in inputs if not i.answers])


def whole(example: Example) -> list[ReaderInput]:
    return [ReaderInput(example.id, example.id, example.question, example.passage, tuple(example.gold_texts()))]


def data(featurize, key=None, **options) -> TrainingData:
    return TrainingData(inputs=whole, featurize=featurize, pad_values={"input_ids": 0},
                        key={"strategy": "whole", "settings": 1} if key is None else key, **options)


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    dm = DecompDataModule(dataset="synthetic", synthetic={"n": 40, "seed": 0}, val_fraction=0)
    dm.setup("fit")
    return dm.fit_set


def test_features_are_built_once_per_examples_and_featurization(examples, tmp_path):
    featurize = CountingFeaturizer()
    first = training_features(data(featurize), examples, cache_dir=tmp_path)
    again = training_features(data(featurize), examples, cache_dir=tmp_path)
    assert featurize.calls == 1 and again == first and len(first) == len(examples)
    training_features(data(featurize), examples[:-1], cache_dir=tmp_path)  # other examples
    training_features(data(featurize, key={"strategy": "whole", "settings": 2}), examples, cache_dir=tmp_path)
    assert featurize.calls == 3
    training_features(data(featurize, key={}), examples, cache_dir=tmp_path, use_cache=False)
    assert featurize.calls == 4


def test_seeded_selection_and_skipped_inputs_survive_the_cache(examples, tmp_path):
    def select(seed):
        return lambda features: random.Random(seed).sample(features, len(features) // 2)

    skipped = []
    fresh = training_features(data(CountingFeaturizer(), select=select(3), on_skipped=lambda s, n: skipped.append(n)),
                              examples, cache_dir=tmp_path)
    cached = training_features(data(CountingFeaturizer(), select=select(3)), examples, cache_dir=tmp_path)
    other = training_features(data(CountingFeaturizer(), select=select(4)), examples, cache_dir=tmp_path)
    assert fresh == cached != other and skipped == [len(examples)]


def test_the_data_module_builds_training_batches_without_the_reader(examples):
    dm = DecompDataModule(dataset="synthetic", synthetic={"n": 40, "seed": 0}, batch_size=4, val_fraction=0)
    dm.setup("fit")
    dm.use_training_data(data(CountingFeaturizer(), key={}))  # no trainer, no LightningModule
    batches = list(dm.train_dataloader())
    assert sum(len(b["uid"]) for b in batches) == len(dm.fit_set)
    assert {u for b in batches for u in b["uid"]} == {e.id for e in dm.fit_set}


def test_no_features_is_a_clear_error(examples, tmp_path):
    with pytest.raises(ConfigError, match="no training features"):
        training_loader(data(lambda inputs: Featurized([], list(inputs))), examples, 4, cache_dir=tmp_path)
