"""Training data for the seq2seq decomposer, held out so readers' evaluation questions are never seen.

Training rows are BREAK high-level dev rows (DROP, HOTPOT, CWQ) with a valid decomposition. A decomposer for
reader fold f (the `gold` protocol's `gold_split` of each dataset's pool, same n_folds and seed) excludes
every pool question of fold f, by id and by normalised question text; with fold None (the `deployed`
protocol) it excludes no pool question. Every `deployed` evaluation question is always excluded. The rest
(other folds, HOTPOT rows without context, CWQ) is split into fit/validation by a seeded hash of the id.
`BreakDecompositionData` serves these rows to the LightningCLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from decomp.data.datasets import DATASETS, get_dataset, resolve_data_dir
from decomp.data.protocols import gold_split
from decomp.data.sources.break_ import BreakRow, load_break
from decomp.errors import ConfigError
from decomp.hashing import seeded_int


def _key(question: str) -> str:
    return " ".join(question.lower().split())


@dataclass
class BreakSplit:
    train: list[BreakRow]
    val: list[BreakRow]
    excluded: int  # rows dropped because a reader evaluates their question
    invalid: int  # rows without a usable decomposition (lenient load)


def held_out(fold: int | None, n_folds: int = 5, seed: int = 0,
             data_dir: str | Path | None = None) -> tuple[set[str], set[str]]:
    """Ids and normalised question texts a decomposer for `fold` must not train on: those every registered
    dataset evaluates readers on (one not drawn from BREAK, such as the generated set, matches no row)."""
    ids, texts = set(), set()
    for name in DATASETS:
        dataset = get_dataset(name, data_dir=data_dir)
        evaluated = list(dataset.deployed())
        if fold is not None:
            evaluated += gold_split(dataset.pool(), fold, n_folds, seed).eval
        ids.update(e.id for e in evaluated)
        texts.update(_key(e.question) for e in evaluated)
    return ids, texts


def break_split(fold: int | None, n_folds: int = 5, seed: int = 0, val_fraction: float = 0.1,
                data_dir: str | Path | None = None) -> BreakSplit:
    if fold is not None and not 0 <= fold < n_folds:
        raise ConfigError(f"fold must be in 0..{n_folds - 1} or None, got {fold}")
    table = load_break(resolve_data_dir(data_dir) / "raw" / "break" / "QDMR-high-level" / "dev.csv", lenient=True)
    ids, texts = held_out(fold, n_folds, seed, data_dir)
    usable = [r for r in table.rows if r.steps]
    kept = [r for r in usable if r.question_id not in ids and _key(r.question) not in texts]
    is_val = {r.question_id: seeded_int(seed, r.question_id) % 1000 < val_fraction * 1000 for r in kept}
    return BreakSplit([r for r in kept if not is_val[r.question_id]], [r for r in kept if is_val[r.question_id]],
                      len(usable) - len(kept), len(table.rows) - len(usable))


class BreakDecompositionData(L.LightningDataModule):
    """BREAK rows for training a decomposer (`decomp fit --config configs/decomposers/minilm.yaml`).

    The module featurises (its tokenizer decides the token ids); this class decides which rows it sees.

    Args:
        fold: reader fold whose pool questions are held out (None: the `deployed` protocol).
        n_folds, seed: the readers' gold protocol (must match theirs so the held-out fold is the one they use).
        val_fraction: share of the kept rows (seeded hash of the id) used for validation.
        batch_size: training questions per batch (bucketed by length).
        data_dir: folder holding `raw/` (default: $DECOMP_DATA_DIR).
    """

    # Defaults of arguments DecompDataModule also has are its defaults: the CLI's default data class is
    # DecompDataModule, and jsonargparse carries its values over to a config's other class_path for every
    # argument this config leaves out (tests/decomposers/test_data.py checks they agree).
    def __init__(self, fold: int | None = 0, n_folds: int = 5, seed: int = 0, val_fraction: float = 0.2,
                 batch_size: int = 16, data_dir: str | None = None):
        super().__init__()
        if fold is not None and not 0 <= fold < n_folds:
            raise ConfigError(f"data.fold must be in 0..{n_folds - 1} or null, got {fold}")
        self.save_hyperparameters()
        self.split: BreakSplit | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.split is None:
            h = self.hparams
            self.split = break_split(h.fold, h.n_folds, h.seed, h.val_fraction, h.data_dir)

    def train_dataloader(self) -> DataLoader:
        rows = self.split.train
        return self.trainer.lightning_module.train_loader([r.question for r in rows], [r.steps for r in rows],
                                                          self.hparams.batch_size)

    def val_dataloader(self) -> DataLoader | list:
        rows = self.split.val
        if not rows:
            return []
        return self.trainer.lightning_module.eval_loader([r.question for r in rows], [r.steps for r in rows])
