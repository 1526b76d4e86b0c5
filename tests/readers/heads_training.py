"""Train a tiny reader on small synthetic sets and score it by kind (the id's prefix): the learning tests of the
answer heads share it."""

from __future__ import annotations

from collections import defaultdict

import torch

from decomp.data.schema import Example


def train_and_score(reader, train: list[Example], scored: list[Example], batch_size: int,
                    steps: int) -> tuple[dict[str, float], dict[str, list[str]]]:
    """({kind: EM}, {kind: the head that answered each question}) after `steps` on `train`, one torch thread (tiny
    matrices: fastest, and safe beside other work)."""
    from lightning import Trainer

    from decomp.adapt.train import AdaptData

    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    data = AdaptData(train, batch_size)
    data.use_training_data(reader.training_data())
    try:
        Trainer(max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                enable_model_summary=False, limit_val_batches=0, accelerator="cpu").fit(reader, datamodule=data)
        records = reader.predict_records(scored)
    finally:
        torch.set_num_threads(threads)
    em, heads = defaultdict(list), defaultdict(list)
    for r in records:
        kind = r["example_id"].split("-")[0]
        em[kind].append(r["em"])
        heads[kind].append(r["trace"][0]["head"])
    return {k: sum(v) / len(v) for k, v in em.items()}, heads
