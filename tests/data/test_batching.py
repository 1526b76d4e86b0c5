from __future__ import annotations

import torch

from decomp.data.batching import LengthBucketSampler, bucket_batch_sampler, pad_features

LENGTHS = [(k * 37) % 101 + 5 for k in range(103)]


def _batches(seed: int, epoch: int, batch_size: int = 8, bucket_batches: int = 3) -> list[list[int]]:
    sampler = bucket_batch_sampler(LENGTHS, batch_size, seed=seed, bucket_batches=bucket_batches)
    sampler.sampler.set_epoch(epoch)
    return list(sampler)


def test_order_is_fixed_by_seed_and_epoch():
    assert _batches(0, 0) == _batches(0, 0)
    assert _batches(0, 1) == _batches(0, 1)
    assert _batches(0, 0) != _batches(0, 1)
    assert _batches(0, 0) != _batches(1, 0)


def test_every_index_once_in_full_batches_then_one_short_batch():
    batches = _batches(3, 2)
    assert sorted(i for b in batches for i in b) == list(range(len(LENGTHS)))
    assert [len(b) for b in batches] == [8] * 12 + [7]
    assert len(LengthBucketSampler(LENGTHS, 8)) == len(LENGTHS)


def test_batches_group_similar_lengths():
    def spread(batches):
        return sum(max(LENGTHS[i] for i in b) - min(LENGTHS[i] for i in b) for b in batches)

    bucketed = _batches(0, 0, bucket_batches=50)
    unsorted = [list(range(k, min(k + 8, len(LENGTHS)))) for k in range(0, len(LENGTHS), 8)]
    assert spread(bucketed) * 5 < spread(unsorted)


def test_pad_features_pads_to_the_longest_and_stacks_positions():
    features = [{"uid": "a", "length": 3, "input_ids": [1, 2, 3], "attention_mask": [1, 1, 1],
                 "labels": [7, 8], "start_positions": 1},
                {"uid": "b", "length": 5, "input_ids": [4, 5, 6, 7, 8], "attention_mask": [1] * 5,
                 "labels": [9], "start_positions": 0}]
    batch = pad_features(features, {"input_ids": 0, "attention_mask": 0, "labels": -100, "token_type_ids": 0})
    assert batch["uid"] == ["a", "b"]
    assert batch["input_ids"].tolist() == [[1, 2, 3, 0, 0], [4, 5, 6, 7, 8]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1] * 5]
    assert batch["labels"].tolist() == [[7, 8], [9, -100]]
    assert torch.equal(batch["start_positions"], torch.tensor([1, 0]))
    assert "token_type_ids" not in batch and "length" not in batch
