"""Training data for the seq2seq decomposer, held out so readers' evaluation questions are never seen.

Training rows are BREAK high-level dev rows (DROP, HOTPOT, CWQ) with a valid decomposition. A decomposer for
reader fold f (the `gold` protocol: `assign_folds` over each dataset's pool, same n_folds and seed) excludes
every pool question of fold f, by id and by normalised question text; with fold None (the `deployed`
protocol) it excludes no pool question. Every `deployed` evaluation question is always excluded. The rest
(other folds, HOTPOT rows without context, CWQ) is split into fit/validation by a seeded hash of the id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from decomp.data.datasets import get_dataset, resolve_data_dir
from decomp.data.protocols import assign_folds
from decomp.data.sources.break_ import BreakRow, load_break
from decomp.errors import ConfigError

READER_DATASETS = ("drop", "hotpotqa")


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
    """Ids and normalised question texts a decomposer for `fold` must not train on."""
    ids, texts = set(), set()
    for name in READER_DATASETS:
        dataset = get_dataset(name, data_dir=data_dir)
        evaluated = list(dataset.deployed())
        if fold is not None:
            pool = dataset.pool()
            folds = assign_folds(pool, n_folds, seed)
            evaluated += [e for e in pool if folds[e.group] == fold]
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
    is_val = {r.question_id: int(hashlib.sha256(f"{seed}:{r.question_id}".encode()).hexdigest(), 16) % 1000
              < val_fraction * 1000 for r in kept}
    return BreakSplit([r for r in kept if not is_val[r.question_id]], [r for r in kept if is_val[r.question_id]],
                      len(usable) - len(kept), len(table.rows) - len(usable))


def fit_decomposer(config: str | Path, out: str | Path, fold: int | None = None,
                   data_dir: str | Path | None = None) -> Path:
    """Train a decomposer from a YAML config (`model`, `trainer`, `batch_size`, `n_folds`, `seed`, ...);
    returns the checkpoint path `<out>/decomposer-fold<f|all>.ckpt`."""
    import lightning as L

    from decomp.decomposers.seq2seq import DecomposerModule

    try:
        settings = yaml.safe_load(Path(config).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read decomposer config {config}: {exc}") from None
    module_args = settings.get("model", {})
    split = break_split(fold, settings.get("n_folds", 5), settings.get("seed", 0),
                        settings.get("val_fraction", 0.1), data_dir)
    L.seed_everything(settings.get("seed", 0), workers=True)
    module = DecomposerModule(**module_args)
    trainer = L.Trainer(logger=False, enable_checkpointing=False, **settings.get("trainer", {}))
    trainer.fit(module, module.train_loader([r.question for r in split.train], [r.steps for r in split.train],
                                            settings.get("batch_size", 16)),
                module.eval_loader([r.question for r in split.val], [r.steps for r in split.val]))
    path = Path(out) / f"decomposer-fold{'all' if fold is None else fold}.ckpt"
    path.parent.mkdir(parents=True, exist_ok=True)
    trainer.save_checkpoint(path)
    return path
