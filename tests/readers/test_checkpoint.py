"""Checkpoints go through `AtomicCheckpointIO`: a write that fails midway leaves the previous `last.ckpt` whole
and nothing a resume would take for a checkpoint; `decomp fit`'s Trainer uses it by default."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader

from decomp.lightning_cli import DecompTrainer
from decomp.readers.checkpoint import AtomicCheckpointIO, LastCheckpoint


class Line(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(1, 1)

    def training_step(self, batch, batch_idx):
        return self.layer(batch).sum()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self):
        return DataLoader(torch.ones(8, 1), batch_size=1)


class Crash(Exception):
    pass


def test_a_write_failing_midway_leaves_the_previous_checkpoint_whole(tmp_path, monkeypatch):
    folder = tmp_path / "checkpoints"
    real_save = torch.save

    def save_then_crash(obj, f, *args, **kwargs):
        if obj["global_step"] == 1:
            return real_save(obj, f, *args, **kwargs)
        f.write(b"PK\x03\x04 the first bytes of a checkpoint")  # part of a file, then the process dies
        raise Crash

    monkeypatch.setattr(torch, "save", save_then_crash)
    trainer = L.Trainer(max_steps=2, logger=False, enable_progress_bar=False, enable_model_summary=False,
                        accelerator="cpu", plugins=[AtomicCheckpointIO()],
                        callbacks=[LastCheckpoint(dirpath=folder, save_last=True, save_top_k=0,
                                                  every_n_train_steps=1)])
    with pytest.raises(Crash):
        trainer.fit(Line())
    assert [p.name for p in folder.iterdir()] == ["last.ckpt"]  # no partial file beside it
    assert torch.load(folder / "last.ckpt", weights_only=False)["global_step"] == 1


def test_decomp_fit_trainer_writes_atomically_unless_given_another_checkpoint_io():
    quiet = {"logger": False, "enable_progress_bar": False, "enable_model_summary": False, "accelerator": "cpu"}
    assert isinstance(DecompTrainer(**quiet).strategy.checkpoint_io, AtomicCheckpointIO)
    other = L.pytorch.plugins.io.TorchCheckpointIO()
    assert DecompTrainer(plugins=[other], **quiet).strategy.checkpoint_io is other
