"""The Lightning DataModule: dataset -> protocol split -> nested subset -> fit/validation/evaluation sets.

Training batches come from `decomp.data.features` with the featurization a reader supplies (its strategy
decides what a training input is, its featurizer how it becomes features); evaluation batches
are lists of `Example` records, so a strategy can run its multi-step inference inside one step.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import lightning as L
from torch.utils.data import DataLoader

from decomp.data.cache import examples_fingerprint
from decomp.data.datasets import DATASETS, get_dataset
from decomp.data.decompositions import apply_decompositions, read_decompositions
from decomp.data.features import TrainingData, training_loader
from decomp.data.protocols import (
    PROTOCOLS,
    carve_validation,
    check_disjoint,
    deployed_split,
    gold_split,
    nested_subset,
    parse_size,
    splits_split,
)
from decomp.data.sampling import sample_passages
from decomp.data.schema import Example
from decomp.errors import ConfigError


def _as_list(batch: list[Example]) -> list[Example]:
    return list(batch)


class ResumableLoader(DataLoader):
    """A training loader that can start mid-epoch: at `resume=(epoch, batches)` it replays that epoch's order
    from batch `batches` on (the order depends only on (seed, epoch), so this is what an uninterrupted run
    trains on next).

    Lightning alone would restart a mid-epoch checkpoint's epoch at its first batch (and end it early), and
    it builds the first iterator while computing the lr schedule's length, before its own counters and
    the sampler's epoch are restored; hence the position comes from the DataModule's checkpoint state.
    """

    def __init__(self, *args, resume: tuple[int, int] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.resume = resume

    # The position travels in the DataModule's state; these only tell Lightning that the loader resumes.
    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass

    def __iter__(self) -> Iterator:
        if self.resume is None:
            return super().__iter__()
        (epoch, done), self.resume = self.resume, None
        if done >= len(self):  # saved at the end of an epoch: the next one starts afresh
            epoch, done = epoch + 1, 0
        self.batch_sampler.sampler.set_epoch(epoch)
        batches = super().__iter__()
        for _ in range(done):
            next(batches)
        return batches


class ResumableTraining(L.LightningDataModule):
    """A DataModule whose training batches come from an attached `TrainingData` over `fit_set` and resume
    mid-epoch from a checkpoint (the position travels in the DataModule's state). Subclasses set `fit_set`
    and save `batch_size` and `num_workers` as hyperparameters."""

    fit_set: list[Example]
    training_data: TrainingData | None = None
    _resume: tuple[int, int] | None = None

    def use_training_data(self, data: TrainingData) -> None:
        """Build training batches with this featurization (a reader's `training_data()`): whoever trains
        (`decomp fit`, `decomp adapt`, the curve runner) attaches it; the data layer never reaches for the
        LightningModule."""
        self.training_data = data

    def train_dataloader(self) -> DataLoader:
        data = self.training_data
        if data is None:
            raise RuntimeError(f"{type(self).__name__} has no training featurization: call "
                               "use_training_data(reader.training_data()) before training")
        loader = training_loader(data, self.fit_set, self.hparams.batch_size, self.hparams.num_workers)
        resume, self._resume = self._resume, None
        return ResumableLoader(loader.dataset, batch_sampler=loader.batch_sampler, num_workers=loader.num_workers,
                               collate_fn=loader.collate_fn, resume=resume)

    def state_dict(self) -> dict:
        """Where training stands in its epoch, so that a resumed run continues from the next batch."""
        trainer = self.trainer
        if trainer is None or not trainer.training:
            return {}
        return {"epoch": trainer.current_epoch,
                "batches": trainer.fit_loop.epoch_loop.batch_progress.current.processed}

    def load_state_dict(self, state: dict) -> None:
        if state:
            self._resume = (state["epoch"], state["batches"])


class DecompDataModule(ResumableTraining):
    """Args:
        dataset: `synthetic`, `drop` or `hotpotqa` (see `decomp.data.datasets`).
        data_dir: folder holding `raw/` (default: $DECOMP_DATA_DIR); unused by `synthetic`.
        source: where the dataset's questions come from: `shared` (default: the files under data_dir), `hub`,
            or a folder holding the official files (see decomp/data/cards/<dataset>.yaml).
        break_source: where BREAK comes from: `shared` (default), `hub`, or a folder in the official layout
            (`QDMR-high-level/{train,dev,test}.csv`); break_config: `QDMR-high-level` or `QDMR`.
        context, n_distractors: HotpotQA's context setting, `distractor` (default) or `gold` (the supporting
            paragraphs in a seeded order, plus n_distractors others).
        protocol: `gold` (K passage folds over the gold-decomposed pool), `deployed`, or `splits` (train on
            BREAK train, evaluate on BREAK dev: the reference study's).
        fold, n_folds, fold_seed: which fold of the `gold` protocol is evaluated.
        k: training questions drawn (nested, seeded by subset_seed) from the training side, or "all".
        val_fraction: share of the subset carved off for validation (0 disables validation).
        decompositions: `gold` or `predicted` (then predicted_file, from `decomp decompose`).
        train_decompositions: `gold`, or `predicted`: training questions without a gold decomposition are
            added after the gold ones, with train_predicted_file's decompositions (so sizes can pass the pool).
        eval_examples: examples per evaluation batch (a strategy answers them together, step by step).
        eval_limit: score about n evaluation questions: whole passages sampled (seeded by fold_seed) and
            stratified by operator signature (decomp.data.sampling; recorded as eval_sample).
        synthetic: options of the synthetic set (n, seed, config knobs).
    """

    def __init__(self, dataset: str = "synthetic", data_dir: str | None = None, protocol: str = "gold",
                 fold: int = 0, n_folds: int = 5, fold_seed: int = 0, k: int | str = "all",
                 subset_seed: int = 0, val_fraction: float = 0.2, decompositions: str = "gold",
                 predicted_file: str | None = None, batch_size: int = 16, eval_examples: int = 64,
                 num_workers: int = 0, eval_limit: int | None = None, synthetic: dict | None = None,
                 source: str | None = None, break_source: str | None = None,
                 break_config: str = "QDMR-high-level", context: str | None = None, n_distractors: int | None = None,
                 train_decompositions: str = "gold", train_predicted_file: str | None = None):
        super().__init__()
        if protocol not in PROTOCOLS:
            raise ConfigError(f"data.protocol must be one of {list(PROTOCOLS)}, got {protocol!r}")
        if dataset not in DATASETS:
            raise ConfigError(f"data.dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
        try:
            parse_size(k)
        except ConfigError as exc:
            raise ConfigError(f"data.k: {exc}") from None
        named = {"source": source, "break_source": break_source, "context": context, "n_distractors": n_distractors}
        if DATASETS[dataset].generated and any(v is not None for v in named.values()):
            raise ConfigError(f"data.{next(k for k, v in named.items() if v is not None)} does not apply to the "
                              f"{dataset} dataset")
        if train_decompositions not in ("gold", "predicted"):
            raise ConfigError(f"data.train_decompositions must be gold or predicted, got {train_decompositions!r}")
        if (train_decompositions == "predicted") != bool(train_predicted_file):
            raise ConfigError("data.train_predicted_file goes with data.train_decompositions=predicted (a JSONL "
                              "of predicted decompositions, as `decomp decompose` writes)")
        self.save_hyperparameters()
        self.fit_set: list[Example] = []
        self.val_set: list[Example] = []
        self.eval_set: list[Example] = []
        self._resume: tuple[int, int] | None = None
        self.training_data: TrainingData | None = None
        self.n_silver = 0

    def _dataset(self):
        h = self.hparams
        return get_dataset(h.dataset, **DATASETS[h.dataset].options(h))

    def _split(self, dataset):
        h = self.hparams
        if h.protocol == "splits":
            return splits_split(dataset.train_pool(), dataset.pool())
        if h.protocol == "gold":
            return gold_split(dataset.pool(), h.fold, h.n_folds, h.fold_seed)
        return deployed_split(dataset.pool(), dataset.deployed())

    def _silver(self, dataset, split) -> list[Example]:
        """Training questions without a gold decomposition, with their predicted one; never on an evaluation
        passage (the dev side's candidates sit on pool passages: those of the evaluated fold are left out)."""
        h = self.hparams
        candidates = dataset.silver("train" if h.protocol == "splits" else "dev")
        if h.protocol == "gold":
            held = {e.group for e in split.eval}
            candidates = [e for e in candidates if e.group not in held]
        predicted = read_decompositions(h.train_predicted_file)
        silver = [e.with_decomposition(predicted[e.id]) for e in candidates if e.id in predicted]
        if not silver:
            raise ConfigError(f"{h.train_predicted_file} decomposes none of the {len(candidates):,} training questions "
                              f"without a gold decomposition (e.g. ids {[e.id for e in candidates[:3]]}); decompose "
                              "them first (`decomp data prepare` writes them as questions for `decomp decompose`)")
        check_disjoint(split.train + silver, split.eval, f"{h.protocol} protocol with predicted training "
                       f"decompositions from {h.train_predicted_file}")
        return silver

    def setup(self, stage: str | None = None) -> None:
        if self.eval_set:
            return
        h = self.hparams
        dataset = self._dataset()
        split = self._split(dataset)
        silver = self._silver(dataset, split) if h.train_decompositions == "predicted" else []
        self.n_silver = len(silver)
        self.sources = {**dataset.sources(), **dataset.describe()}
        subset = nested_subset(split.train, h.k, h.subset_seed, extension=silver)
        if h.val_fraction > 0:
            fit, val = carve_validation(subset, h.val_fraction, seed=h.subset_seed)
        else:
            fit, val = subset, []
        # eval_limit: a seeded, operator-stratified sample of whole passages, never the first n by position.
        evaluation, self.eval_sample = sample_passages(split.eval, h.eval_limit, h.fold_seed) if h.eval_limit \
            else (split.eval, None)
        self.split = split
        # Predicted decompositions replace gold ones at evaluation only: training uses the gold pool.
        self.eval_set = apply_decompositions(evaluation, h.decompositions, h.predicted_file)
        self.fit_set, self.val_set = fit, val

    def describe(self) -> dict:
        """What a result records about the data: dataset, protocol version, fold, sizes, hashes."""
        h = self.hparams
        return {
            "dataset": h.dataset, "protocol": h.protocol, "protocol_version": PROTOCOLS[h.protocol],
            "fold": h.fold if h.protocol == "gold" else None, "n_folds": h.n_folds, "fold_seed": h.fold_seed,
            "k": h.k, "subset_seed": h.subset_seed, "decompositions": h.decompositions,
            "predicted_file": str(Path(h.predicted_file).resolve()) if h.predicted_file else None,
            "n_fit": len(self.fit_set), "n_val": len(self.val_set), "n_eval": len(self.eval_set),
            "train_hash": examples_fingerprint(self.fit_set + self.val_set),
            "eval_hash": examples_fingerprint(self.eval_set), "eval_limit": h.eval_limit,
            "eval_sample": getattr(self, "eval_sample", None),
            "train_decompositions": h.train_decompositions, "n_silver": self.n_silver,
            "train_predicted_file": str(Path(h.train_predicted_file).resolve()) if h.train_predicted_file else None,
            "context": None, **getattr(self, "sources", {}),
        }

    # --- loaders -------------------------------------------------------------------------------------
    def _examples(self, examples: list[Example]) -> DataLoader:
        return DataLoader(examples, batch_size=self.hparams.eval_examples, shuffle=False,
                          collate_fn=_as_list)

    def val_dataloader(self) -> DataLoader | list:
        return self._examples(self.val_set) if self.val_set else []

    def test_dataloader(self) -> DataLoader:
        return self._examples(self.eval_set)

    def predict_dataloader(self) -> DataLoader:
        return self._examples(self.eval_set)
