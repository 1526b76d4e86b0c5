"""The reader LightningModule both readers share: strategy, batching, evaluation, optimisation.

Training batches are padded features built in the data layer (`decomp.data.features`) from the
`TrainingData` a reader supplies: its featurizer is a pure function of tokenizer and settings.
Evaluation batches are lists of `Example` records: the strategy turns them into reader inputs and calls
`answer`, the reader's own inference loop (length-sorted batches, inference mode) whose answers, each a
tuple of spans, are keyed by uid.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import ClassVar

import lightning as L
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchmetrics import MeanMetric
from transformers import PreTrainedModel, get_linear_schedule_with_warmup

from decomp.data.batching import pad_features
from decomp.data.features import Featurized, TrainingData, tokenizer_key, training_features, training_loader
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.metrics.scoring import prediction_record
from decomp.readers.frozen import FrozenLayers
from decomp.readers.models import load_tokenizer, resize_embeddings
from decomp.strategies import get_strategy
from decomp.types import ReaderInput

log = logging.getLogger(__name__)
_STAGES = ("val", "test")


class ReaderModule(L.LightningModule):
    """Base reader. Subclasses build the model and implement `featurizer` and `answer`.

    Args:
        model: hub name, local folder, "minilm" (offline default) or "tiny-bert"/"tiny-t5" (tests).
        max_length: tokens per model input (question + context window, or the seq2seq source).
        lr, weight_decay, warmup_ratio: AdamW and a linear warmup/decay over the run's optimizer steps.
        eval_batch_size: features per forward pass in `answer`.
        attention_dropout: overrides the model's attention dropout (None keeps it; 0 is ~3x faster on CPU).
        strategy, strategy_options: the decomposition strategy, by registry name; None attaches none yet
            (call `attach_strategy` before training or evaluation).
        seed: fixes which negative windows are kept and the training batch order.
        frozen_layers: freeze the embeddings and the lowest N encoder layers and cache their outputs per window
            across fits (`decomp.readers.frozen`; BERT-style span models only). 0 trains every layer.
        frozen_cache_dtype: how the cached outputs are stored (float32, float16, bfloat16); read only with
            frozen_layers > 0.
    """

    # Bumped when a change alters what a trained reader answers (heads, decoding): rows record it, cached
    # features are keyed by it and a curve refuses to resume rows of another version.
    version: ClassVar[int] = 1
    model_keys: ClassVar[tuple[str, ...]]  # batch keys the model's forward takes
    featurizer_settings: ClassVar[tuple[str, ...]] = ("max_length",)  # settings the featurizer reads
    # True: trains nothing; the curve runner hands it the training subset through `set_demonstrations`.
    in_context: ClassVar[bool] = False

    def __init__(self, model: str = "minilm", max_length: int = 384, lr: float = 1e-4,
                 weight_decay: float = 0.01, warmup_ratio: float = 0.1, eval_batch_size: int = 32,
                 attention_dropout: float | None = None, strategy: str | None = "none",
                 strategy_options: dict | None = None, seed: int = 0, frozen_layers: int = 0,
                 frozen_cache_dtype: str = "float16"):
        super().__init__()
        self.save_hyperparameters()
        # Options that are off are left out, so that rows, fit-cache keys and checkpoints stay as before each option.
        # A second call's ignore list removes what the first saved (Lightning >= 2.6.1).
        self.save_hyperparameters(ignore=self.options_off(self.hparams))
        if frozen_layers < 0:
            raise ConfigError(f"frozen_layers must be 0 or more, got {frozen_layers}")
        self.max_length = max_length
        self.eval_batch_size = eval_batch_size
        self.seed = seed
        self.tokenizer = load_tokenizer(model)
        self.model: PreTrainedModel = self.build_model(model, attention_dropout)
        self.frozen = FrozenLayers(frozen_layers, frozen_cache_dtype) if frozen_layers else None
        if self.frozen is not None:
            self.frozen.freeze(self.model)
        self.strategy = None
        self.unanswerable_log: dict[str, ReaderInput] = {}  # training inputs skipped: no usable answer
        self.scores = nn.ModuleDict({f"{s}_{m}": MeanMetric() for s in _STAGES for m in ("em", "f1")})
        self.predictions: dict[str, list[dict]] = {s: [] for s in _STAGES}
        self.answered_by: dict[str, str] = {}  # uid -> the answer type that answered (readers with several)
        if strategy is not None:
            self.attach_strategy(get_strategy(strategy, **(strategy_options or {})))

    # --- what subclasses provide -------------------------------------------------------------------
    @classmethod
    def options_off(cls, hparams: Mapping) -> list[str]:
        """The init arguments kept out of the hyperparameters (their option is off); extend it."""
        return [] if hparams.get("frozen_layers") else ["frozen_layers", "frozen_cache_dtype"]

    @classmethod
    def grid_args(cls, max_length: int) -> dict:
        """Init args `configs/make_configs.py` writes for this reader (besides the strategy); extend it."""
        return {"model": "minilm", "max_length": max_length, "lr": 1e-4, "attention_dropout": 0.0}

    def build_model(self, spec: str, attention_dropout: float | None) -> PreTrainedModel:
        raise NotImplementedError

    @classmethod
    def featurizer(cls, tokenizer, settings: Mapping) -> Callable[[Sequence[ReaderInput], bool], Featurized]:
        """A pure function of tokenizer and settings (the reader's hyperparameters): (inputs, train) ->
        model features, each keeping its `uid` and `length` (tokens, for bucketing)."""
        raise NotImplementedError

    def select_training(self, features: list[dict]) -> list[dict]:
        """A seeded choice among the training features (default: all of them)."""
        return features

    def answer(self, inputs: Sequence[ReaderInput]) -> dict[str, tuple[str, ...]]:
        """Batched inference in eval mode on the module's device: each uid's answer spans."""
        raise NotImplementedError

    def featurize(self, inputs: Sequence[ReaderInput], train: bool) -> list[dict]:
        """This reader's features of `inputs` (training: skipped inputs recorded, `select_training` applied)."""
        featurized = self.featurizer(self.tokenizer, self.hparams)(inputs, train)
        if not train:
            return featurized.features
        self.record_unanswerable(featurized.skipped, len(inputs))
        return self.select_training(featurized.features)

    @property
    def pad_values(self) -> dict[str, int]:
        return {"input_ids": self.tokenizer.pad_token_id, "attention_mask": 0, "token_type_ids": 0}

    # --- the starting point ---------------------------------------------------------------------------
    def starting_point(self) -> dict | None:
        """The adapted starting point (`decomp adapt`) this reader began from: recipe name and hash, which rows
        record; None for any other model."""
        from decomp.readers.starts import adapted_folder, read_card

        folder = adapted_folder(self.hparams.model)
        if folder is None:
            return None
        card = read_card(folder)
        return {"adapted": card["name"], "hash": card["hash"], "steps": card["steps"]}

    def load_adapted_heads(self) -> None:
        """Load the heads an adapted folder saved beside its transformers model (a head of another shape, or
        one the folder lacks, keeps its fresh initialisation)."""
        from decomp.readers.starts import HEADS, adapted_folder

        folder = adapted_folder(self.hparams.model)
        if folder is None or not (folder / HEADS).is_file():
            return
        state = self.fit_adapted_heads(torch.load(folder / HEADS, map_location="cpu"), folder.name)
        own = self.state_dict()
        kept = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        self.load_state_dict(kept, strict=False)
        fresh = sorted({k.split(".")[0] for k in own if not k.startswith(("model.", "scores.")) and k not in kept})
        if fresh:
            log.warning("%s has no trained %s: they start untrained", folder.name, ", ".join(fresh))

    def fit_adapted_heads(self, state: dict[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
        """An adapted folder's heads (`source` names it), made to fit this reader where a head has grown since
        (a subclass knows how); default: as saved."""
        return state

    def set_demonstrations(self, examples: Sequence[Example]) -> int:
        """An `in_context` reader keeps `examples` as its demonstrations and says how many fit."""
        raise NotImplementedError(f"{type(self).__name__} trains; only an in_context reader takes demonstrations")

    # --- strategy and data -------------------------------------------------------------------------
    def attach_strategy(self, strategy) -> None:
        """Use `strategy` (a `decomp.strategies.Strategy`); its special tokens join the vocabulary."""
        vocab = self.tokenizer.get_vocab()
        new = [t for t in strategy.special_tokens() if t not in vocab]
        if new:
            self.tokenizer.add_tokens(new, special_tokens=True)
            resize_embeddings(self.model, len(self.tokenizer))
            if self.frozen is not None:  # the resized embeddings are a new matrix
                self.frozen.freeze(self.model)
        self.strategy = strategy

    @property
    def unanswerable(self) -> int:
        """How many distinct training inputs were skipped for having no usable answer."""
        return len(self.unanswerable_log)

    def record_unanswerable(self, skipped: Sequence[ReaderInput], total: int) -> None:
        self.unanswerable_log.update((i.uid, i) for i in skipped)
        if skipped:
            log.warning("%d of %d training inputs have no usable answer and are not trained on "
                        "(reader.unanswerable_log lists them)", len(skipped), total)

    def collate(self, features: Sequence[dict]) -> dict:
        """Pad to the longest feature of the batch."""
        return pad_features(features, self.pad_values)

    def training_data(self) -> TrainingData:
        """What the data layer needs to build this reader's training batches (no reference to the module
        but the `on_skipped` report)."""
        strategy = self._require_strategy()
        settings = dict(self.hparams)
        # Cached only for a strategy that describes itself (name, format version, options).
        key = None if not hasattr(strategy, "describe") else {
            "reader": type(self).__name__, "reader_version": self.version, "strategy": strategy.describe(),
            "tokenizer": tokenizer_key(self.tokenizer),
            # an opt-in setting left out of the hyperparameters while off leaves the key as it was before it
            "settings": {k: settings.get(k) for k in self.featurizer_settings if k in settings}}
        featurize = self.featurizer(self.tokenizer, settings)
        return TrainingData(inputs=strategy.training_inputs, featurize=functools.partial(featurize, train=True),
                            pad_values=self.pad_values, seed=self.seed, key=key, select=self.select_training,
                            on_skipped=self.record_unanswerable)

    def training_features(self, examples: Sequence[Example]) -> list[dict]:
        """The features of the strategy's training inputs for `examples`."""
        return training_features(self.training_data(), examples)

    def training_loader(self, examples: Sequence[Example], batch_size: int, num_workers: int = 0,
                        bucket_batches: int = 50) -> DataLoader:
        """A length-bucketed training loader whose order depends only on (seed, epoch)."""
        return training_loader(self.training_data(), examples, batch_size, num_workers, bucket_batches)

    def transfer_batch_to_device(self, batch, device: torch.device, dataloader_idx: int):
        if isinstance(batch, dict):
            return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}
        return batch  # a list of (frozen) Example records: `answer` moves its own tensors

    # --- steps ---------------------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        # from_pretrained returns the model in eval mode and Lightning keeps a module's mode: without
        # this, fine-tuning would run with dropout off.
        self.train()

    def forward(self, **inputs):
        """The model's forward; with frozen layers, from layer N on, their outputs taken from the cache."""
        if self.frozen is None:
            return self.model(**inputs)
        return self.frozen.forward(self.model, **inputs)

    def loss(self, batch: dict) -> torch.Tensor:
        """The training loss of a batch of features."""
        return self(**self.model_inputs(batch)).loss

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.loss(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["uid"]))
        return loss

    def model_inputs(self, batch: dict) -> dict:
        return {k: batch[k].to(self.device) for k in self.model_keys if k in batch}

    def validation_step(self, batch: list[Example], batch_idx: int) -> None:
        self._evaluate("val", batch)

    def test_step(self, batch: list[Example], batch_idx: int) -> None:
        self._evaluate("test", batch)

    def predict_step(self, batch: list[Example], batch_idx: int, dataloader_idx: int = 0) -> list[dict]:
        return self.predict_records(batch)

    def on_validation_epoch_start(self) -> None:
        self.predictions["val"] = []

    def on_test_epoch_start(self) -> None:
        self.predictions["test"] = []

    def predict_records(self, examples: Sequence[Example]) -> list[dict]:
        """One record per example: example_id, source, question, prediction, trace, gold, em, f1 (0-1)."""
        self.answered_by = {}
        predictions = {p.example_id: p for p in self._require_strategy().predict(examples, self.answer)}
        if self.answered_by:  # a reader with answer-type heads: each reader step says which type answered
            for e in examples:
                for entry in predictions[e.id].trace:
                    if entry.get("by") == "reader":
                        uid = e.id if not entry.get("step") else f"{e.id}#{entry['step']}"
                        entry["head"] = self.answered_by.get(uid)
        return [prediction_record(e, predictions[e.id]) for e in examples]

    def _evaluate(self, stage: str, examples: list[Example]) -> None:
        records = self.predict_records(examples)
        self.predictions[stage].extend(records)
        for metric in ("em", "f1"):
            name = f"{stage}_{metric}"
            values = torch.tensor([r[metric] * 100 for r in records], device=self.device)
            self.scores[name].update(values)
            self.log(name, self.scores[name], on_step=False, on_epoch=True, prog_bar=True,
                     batch_size=len(records))

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        # The strategy's format version: a checkpoint trained on inputs formatted one way is told apart.
        if self.strategy is not None:
            checkpoint["strategy"] = self.strategy.describe()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        saved, current = checkpoint.get("strategy"), self.strategy.describe() if self.strategy else None
        if saved and current and saved.get("format_version") != current.get("format_version"):
            log.warning("the checkpoint was trained on %s format version %s; this strategy formats inputs as "
                        "version %s", saved.get("strategy"), saved.get("format_version"),
                        current.get("format_version"))

    def _require_strategy(self):
        if self.strategy is None:
            raise ConfigError("the reader has no strategy: pass strategy=<name> or call attach_strategy")
        return self.strategy

    @contextmanager
    def inference(self) -> Iterator[None]:
        """Eval mode and inference mode (no autograd bookkeeping) for the duration, then the previous mode."""
        was_training = self.training
        self.eval()
        try:
            with torch.inference_mode():
                yield
        finally:
            self.train(was_training)

    # --- optimisation --------------------------------------------------------------------------------
    def configure_optimizers(self):
        # Every trainable parameter of the module: heads beside the model (the extractive reader's tagging and
        # span-count heads) train too.
        decay = [p for p in self.parameters() if p.requires_grad and p.ndim >= 2]
        no_decay = [p for p in self.parameters() if p.requires_grad and p.ndim < 2]  # biases, norms
        # The fused kernel (CUDA, and CPU since torch 2.4): on 2 CPU cores the per-tensor loop of the default
        # AdamW took 0.14 of 1.44 s per MiniLM step at 16 x 100 tokens, fused about 0.02 s.
        fused = next(self.model.parameters()).device.type in ("cuda", "cpu")
        optimizer = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.hparams.weight_decay},
             {"params": no_decay, "weight_decay": 0.0}],
            lr=self.hparams.lr, fused=True if fused else None)
        total = self.trainer.estimated_stepping_batches
        if total == float("inf"):
            raise ConfigError("set the trainer's max_steps or max_epochs: the lr schedule needs a length")
        warmup = int(total * self.hparams.warmup_ratio)
        scheduler = get_linear_schedule_with_warmup(optimizer, warmup, int(total))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def chunks(order: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(order), size):
        yield list(order[start:start + size])


def check_unique_uids(inputs: Sequence[ReaderInput]) -> None:
    """Answers are keyed by uid, so two inputs sharing one would silently overwrite each other."""
    uids = [i.uid for i in inputs]
    if len(set(uids)) != len(uids):
        dup = next(u for u in uids if uids.count(u) > 1)
        raise ValueError(f"reader inputs must have unique uids; {dup!r} repeats")
