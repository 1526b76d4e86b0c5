"""Checkpoints written whole or not at all (`decomp fit`, `decomp adapt`)."""

from __future__ import annotations

import os

from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint


class AtomicCheckpoint(ModelCheckpoint):
    """Writes each checkpoint beside its name and renames it into place, so a kill during the write (likelier
    now that `last.ckpt` is saved periodically) leaves the previous `last.ckpt` whole, never a truncated one."""

    def _save_checkpoint(self, trainer: Trainer, filepath: str) -> None:
        partial = filepath + ".partial"
        super()._save_checkpoint(trainer, partial)
        if trainer.is_global_zero:
            os.replace(partial, filepath)
        trainer.strategy.barrier("atomic_checkpoint")
        self._last_checkpoint_saved = filepath

    def on_train_end(self, trainer: Trainer, module: LightningModule) -> None:
        # Saving by steps, Lightning saves nothing when training ends: the steps since the last save would be lost.
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
