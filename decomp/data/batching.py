"""Length-bucketed training order and dynamic padding.

Training batches group features of similar length (less padding, the main CPU cost) in an order fixed by
(seed, epoch), so a resumed run replays the same order. Evaluation never goes through here: its order
stays sequential and its answers are keyed by uid.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence

import torch
from torch.utils.data import BatchSampler, Sampler


class LengthBucketSampler(Sampler[int]):
    """Indices such that each consecutive run of `batch_size` has similar lengths.

    Per epoch: shuffle all indices, cut them into buckets of `batch_size * bucket_batches`, sort each bucket
    by length, cut it into batches, shuffle the full batches and put the one short batch last (so that
    `BatchSampler(self, batch_size)` cuts exactly these batches). Lightning calls `set_epoch` on the
    sampler of a `BatchSampler`, so use `bucket_batch_sampler` to build the pair.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int = 0, bucket_batches: int = 50):
        if batch_size < 1 or bucket_batches < 1:
            raise ValueError("batch_size and bucket_batches must be positive")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.bucket_batches = bucket_batches
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        rng = random.Random(f"{self.seed}:{self.epoch}")
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        size = self.batch_size * self.bucket_batches
        full, short = [], []
        for start in range(0, len(order), size):
            bucket = sorted(order[start:start + size], key=self.lengths.__getitem__)
            for i in range(0, len(bucket), self.batch_size):
                batch = bucket[i:i + self.batch_size]
                (full if len(batch) == self.batch_size else short).append(batch)
        rng.shuffle(full)
        return full + short  # at most one short batch: only the last bucket can be cut short

    def __iter__(self) -> Iterator[int]:
        return (i for batch in self.batches() for i in batch)

    def __len__(self) -> int:
        return len(self.lengths)


def bucket_batch_sampler(lengths: Sequence[int], batch_size: int, seed: int = 0,
                         bucket_batches: int = 50, drop_last: bool = False) -> BatchSampler:
    """The training batch sampler: pass it as `DataLoader(features, batch_sampler=...)`."""
    return BatchSampler(LengthBucketSampler(lengths, batch_size, seed, bucket_batches), batch_size, drop_last)


def pad_features(features: Sequence[Mapping], pad_values: Mapping[str, int]) -> dict:
    """Pad each sequence key named in `pad_values` to the longest in the batch (right side) and stack it.

    Integer keys (start/end positions) are stacked; `uid` is kept as a list; other keys are dropped.
    """
    if not features:
        raise ValueError("cannot collate an empty batch")
    batch: dict = {"uid": [f["uid"] for f in features]}
    first = features[0]
    for key, pad in pad_values.items():
        if key not in first:
            continue
        width = max(len(f[key]) for f in features)
        batch[key] = torch.tensor([list(f[key]) + [pad] * (width - len(f[key])) for f in features])
    for key, value in first.items():
        if isinstance(value, int) and key not in ("length",):
            batch[key] = torch.tensor([f[key] for f in features])
    return batch
