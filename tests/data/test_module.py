"""DecompDataModule on the synthetic set: splits, nesting, description, predicted decompositions, resume; it
never touches the model."""

from __future__ import annotations

import pytest

from decomp.data.batching import bucket_batch_sampler
from decomp.data.decompositions import write_decompositions
from decomp.data.features import TrainingData
from decomp.data.module import DecompDataModule, ResumableLoader
from decomp.errors import ConfigError
from decomp.qdmr.steps import Step
from tests.data.test_features import CountingFeaturizer, whole

SYNTHETIC = {"n": 60, "seed": 0, "n_deployed": 10}


def module(**options) -> DecompDataModule:
    dm = DecompDataModule(dataset="synthetic", synthetic=SYNTHETIC, **options)
    dm.setup("fit")
    return dm


def ids(examples) -> set[str]:
    return {e.id for e in examples}


def test_fit_validation_and_evaluation_sets_are_disjoint_and_cover_the_pool():
    dm = module(val_fraction=0.2)
    fit, val, evaluation = ids(dm.fit_set), ids(dm.val_set), ids(dm.eval_set)
    assert fit and val and evaluation
    assert not fit & val and not fit & evaluation and not val & evaluation
    assert fit | val | evaluation == ids(dm._dataset().pool())
    # No passage is shared between training and evaluation (folds split by passage group).
    assert not {e.group for e in dm.fit_set + dm.val_set} & {e.group for e in dm.eval_set}


def test_validation_is_carved_from_the_training_subset():
    dm = module(k=20, val_fraction=0.25)
    assert len(dm.fit_set) + len(dm.val_set) == 20
    assert len(dm.val_set) == 5
    no_val = module(k=20, val_fraction=0)
    assert no_val.val_set == [] and ids(no_val.fit_set) == ids(dm.fit_set) | ids(dm.val_set)


def test_smaller_k_nests_in_larger_k_and_the_evaluation_set_stays_fixed():
    small, large = module(k=10, val_fraction=0), module(k=25, val_fraction=0)
    assert len(small.fit_set) == 10 and len(large.fit_set) == 25
    assert ids(small.fit_set) < ids(large.fit_set)
    assert [e.id for e in small.eval_set] == [e.id for e in large.eval_set]
    other_seed = module(k=10, val_fraction=0, subset_seed=1)
    assert ids(other_seed.fit_set) != ids(small.fit_set)


def test_describe_records_protocol_sizes_and_hashes():
    dm = module(k=20, val_fraction=0.25, fold=1)
    d = dm.describe()
    assert d["dataset"] == "synthetic" and d["protocol"] == "gold" and d["protocol_version"] == "gold-v1"
    assert d["fold"] == 1 and d["k"] == 20 and d["decompositions"] == "gold" and d["predicted_file"] is None
    assert (d["n_fit"], d["n_val"], d["n_eval"]) == (15, 5, len(dm.eval_set))
    assert len(d["train_hash"]) >= 16 and d["train_hash"] != d["eval_hash"]
    assert module(k=20, val_fraction=0.25, fold=1).describe() == d  # deterministic
    assert module(k=20, val_fraction=0.25, fold=2).describe()["eval_hash"] != d["eval_hash"]


def test_eval_limit_samples_whole_passages_and_is_recorded():
    full, limited = module(), module(eval_limit=3)
    groups = {e.group for e in limited.eval_set}
    assert [e.id for e in limited.eval_set] == [e.id for e in full.eval_set if e.group in groups]  # whole passages
    sample = limited.describe()["eval_sample"]
    assert limited.describe()["eval_limit"] == 3 and limited.describe()["n_eval"] == sample["n_questions"] >= 3
    assert sample["n_passages"] == len(groups) and sample["method"].startswith("passages-stratified")
    assert full.describe()["eval_sample"] is None
    assert ids(limited.fit_set) == ids(full.fit_set)


def test_deployed_protocol_evaluates_on_the_unseen_set():
    dm = module(protocol="deployed", val_fraction=0)
    assert len(dm.eval_set) == SYNTHETIC["n_deployed"] and len(dm.fit_set) == SYNTHETIC["n"]
    assert dm.describe()["fold"] is None and dm.describe()["protocol_version"] == "deployed-v1"


def test_predicted_decompositions_replace_gold_ones_in_the_evaluation_set_only(tmp_path):
    gold = module()
    path = tmp_path / "predicted.jsonl"
    write_decompositions(path, [(e.id, (Step(f"only step of {e.id}", "select", ()),)) for e in gold.eval_set],
                         source="test")
    dm = module(decompositions="predicted", predicted_file=str(path))
    assert [e.id for e in dm.eval_set] == [e.id for e in gold.eval_set]
    assert all(e.decomposition[0].text == f"only step of {e.id}" and len(e.decomposition) == 1
               for e in dm.eval_set)
    assert [e.decomposition for e in dm.fit_set] == [e.decomposition for e in gold.fit_set]
    assert any(len(e.decomposition) > 1 for e in dm.fit_set)
    assert dm.describe()["predicted_file"] == str(path.resolve())
    assert dm.describe()["eval_hash"] != gold.describe()["eval_hash"]


def test_bad_options_name_the_field():
    with pytest.raises(ConfigError, match="protocol"):
        DecompDataModule(protocol="held-out")
    with pytest.raises(ConfigError, match="predicted_file"):
        module(decompositions="predicted")
    with pytest.raises(ConfigError, match="data.k: .*'ten'"):
        DecompDataModule(k="ten")
    with pytest.raises(ConfigError, match="data.dataset .*'squad'"):
        DecompDataModule(dataset="squad")


def test_resumable_loader_continues_the_epoch_where_it_stopped():
    features = list(range(20))
    lengths = [i % 7 for i in features]

    def loader(resume=None):
        return ResumableLoader(features, batch_sampler=bucket_batch_sampler(lengths, 4, seed=3), resume=resume,
                               collate_fn=list)

    epoch1 = loader()
    epoch1.batch_sampler.sampler.set_epoch(1)
    full = list(epoch1)
    assert list(loader(resume=(1, 2))) == full[2:]
    resumed = loader(resume=(1, 2))
    assert len(list(resumed)) == 3 and len(list(resumed)) == 5  # the skip applies once
    # Saved at the end of epoch 1: the resumed run starts epoch 2 from its first batch.
    epoch2 = loader()
    epoch2.batch_sampler.sampler.set_epoch(2)
    assert list(loader(resume=(1, 5))) == list(epoch2)


class ModelFreeTrainer:
    """A Trainer stand-in whose model the data module must never reach for."""

    training = False

    @property
    def lightning_module(self):
        raise AssertionError("the data module reached for the model")

    model = lightning_module


@pytest.mark.parametrize("protocol", ["gold", "deployed"])
def test_the_data_module_sets_up_and_trains_from_what_its_caller_attached_never_the_model(protocol):
    dm = DecompDataModule(dataset="synthetic", synthetic=SYNTHETIC, protocol=protocol, batch_size=4)
    dm.trainer = ModelFreeTrainer()
    dm.setup("fit")  # the deployed protocol's missing decompositions are the caller's check
    with pytest.raises(RuntimeError, match=r"use_training_data\(reader.training_data\(\)\)"):
        dm.train_dataloader()
    dm.use_training_data(TrainingData(inputs=whole, featurize=CountingFeaturizer(), pad_values={"input_ids": 0}))
    assert sum(len(batch["uid"]) for batch in dm.train_dataloader()) == len(dm.fit_set)
