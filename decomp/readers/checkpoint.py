"""Checkpoints written whole or not at all (`decomp fit`, `decomp adapt`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning import LightningModule, Trainer
from lightning.fabric.utilities.types import _PATH
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from decomp.io import atomic_writer


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes each checkpoint beside its name and renames it into place, so a kill during the write (likelier
    now that `last.ckpt` is saved periodically) leaves the previous `last.ckpt` whole, never a truncated one.

    The temp file is `.<name>.partial`: hidden from `*.ckpt` globs (resume, RefuseOverwrite), and one fixed
    name, so what a killed write left behind is overwritten by the next save rather than piling up."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: _PATH, storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options")
        path = Path(path)
        with atomic_writer(path, binary=True, tmp_name=f".{path.name}.partial") as f:
            torch.save(checkpoint, f)


class LastCheckpoint(ModelCheckpoint):
    """ModelCheckpoint that also saves `last.ckpt` when training ends between two periodic saves."""

    def on_train_end(self, trainer: Trainer, module: LightningModule) -> None:
        # Saving by steps, Lightning saves nothing when training ends: the steps since the last save would be lost.
        if self.save_last and self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
