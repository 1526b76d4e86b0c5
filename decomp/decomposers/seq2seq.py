"""A seq2seq decomposer: question in, "select: a ;project: b of #1" out (operators predicted with the steps).

The model comes from the readers' loaders: a hub encoder-decoder by name, or BERT2BERT warm-started from an
encoder such as the offline "minilm" ("tiny-bert" / "tiny-t5" for tests). An uncased vocabulary (MiniLM)
writes lower-case steps. A generated decomposition that does not parse or has invalid `#k` references is
replaced by one `select` step holding the question, and counted in `invalid`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import lightning as L
import torch
from torch.utils.data import DataLoader
from transformers import get_linear_schedule_with_warmup

from decomp.data.batching import bucket_batch_sampler, pad_features
from decomp.decomposers.rules import question_text
from decomp.decomposers.scoring import normal_form
from decomp.errors import ConfigError
from decomp.qdmr.steps import OPERATORS, Step, references_of, validate_references
from decomp.readers.models import eos_token_id, load_generative, load_tokenizer

_STEP = re.compile(r"^\s*([a-z]+)\s*:\s*(.+?)\s*$", re.S)


def target_text(steps: Sequence[Step]) -> str:
    return " ;".join(f"{s.operator}: {' '.join(s.text.split())}" for s in steps)


def parse_target(text: str) -> tuple[Step, ...] | None:
    """Steps from generated text (WordPiece spacing around `#k` undone); None when it is malformed."""
    text = re.sub(r"#\s+(\d+)", r"#\1", text)
    steps = []
    for part in text.split(";"):
        m = _STEP.match(part)
        if not m or m.group(1) not in OPERATORS:
            return None
        steps.append(Step(m.group(2), m.group(1), references_of(m.group(2))))
    try:
        validate_references([s.text for s in steps])
    except ValueError:
        return None
    return tuple(steps)


class DecomposerModule(L.LightningModule):
    """Question -> QDMR steps. Validation logs `val_em` (normalised exact match, 0-100) and `val_valid`.

    Args:
        model: hub name, local folder, "minilm" (offline default) or "tiny-bert"/"tiny-t5" (tests).
        max_length, max_new_tokens: question and decomposition token limits.
        lr, weight_decay, warmup_ratio: AdamW with linear warmup/decay over the run.
        num_beams, eval_batch_size: decoding settings.
        attention_dropout: overrides the model's attention dropout (None keeps it).
        seed: training batch order.
    """

    def __init__(self, model: str = "minilm", max_length: int = 64, max_new_tokens: int = 128,
                 lr: float = 5e-5, weight_decay: float = 0.01, warmup_ratio: float = 0.1, num_beams: int = 1,
                 eval_batch_size: int = 32, attention_dropout: float | None = None, seed: int = 0):
        super().__init__()
        self.save_hyperparameters()
        self.tokenizer = load_tokenizer(model)
        self.model = load_generative(model, self.tokenizer, attention_dropout)
        self.invalid = 0
        self._val: list[tuple[bool, bool]] = []

    # --- data --------------------------------------------------------------------------------------
    @property
    def pad_values(self) -> dict[str, int]:
        return {"input_ids": self.tokenizer.pad_token_id, "attention_mask": 0, "labels": -100}

    def features(self, questions: Sequence[str], steps: Sequence[Sequence[Step]] | None = None) -> list[dict]:
        enc = self.tokenizer(list(questions), truncation=True, max_length=self.hparams.max_length)
        out = [{"uid": str(k), "length": len(ids), "input_ids": ids, "attention_mask": mask}
               for k, (ids, mask) in enumerate(zip(enc["input_ids"], enc["attention_mask"], strict=True))]
        if steps is not None:
            labels = self.tokenizer([target_text(s) for s in steps], add_special_tokens=False, truncation=True,
                                    max_length=self.hparams.max_new_tokens - 1)["input_ids"]
            eos = eos_token_id(self.tokenizer)
            for feature, label, gold in zip(out, labels, steps, strict=True):
                feature["labels"] = label + [eos]
                feature["gold"] = gold
        return out

    def collate(self, features: Sequence[dict]) -> dict:
        batch = pad_features(features, self.pad_values)
        if "gold" in features[0]:
            batch["gold"] = [f["gold"] for f in features]
        return batch

    def train_loader(self, questions: Sequence[str], steps: Sequence[Sequence[Step]],
                     batch_size: int) -> DataLoader:
        features = self.features(questions, steps)
        if not features:
            raise ConfigError("no training decompositions")
        sampler = bucket_batch_sampler([f["length"] for f in features], batch_size, self.hparams.seed)
        return DataLoader(features, batch_sampler=sampler, collate_fn=self.collate)

    def eval_loader(self, questions: Sequence[str], steps: Sequence[Sequence[Step]]) -> DataLoader:
        return DataLoader(self.features(questions, steps), batch_size=self.hparams.eval_batch_size,
                          collate_fn=functools.partial(DecomposerModule.collate, self))

    # --- steps -------------------------------------------------------------------------------------
    def transfer_batch_to_device(self, batch: dict, device: torch.device, dataloader_idx: int) -> dict:
        # Only tensors move: `gold` holds frozen Step records, which Lightning's default transfer rejects.
        return {k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in batch.items()}

    def on_fit_start(self) -> None:
        # from_pretrained returns the model in eval mode and Lightning keeps it: dropout would stay off.
        self.train()

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        loss = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                          labels=batch["labels"]).loss
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["uid"]))
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        for text, gold in zip(self._generate(batch), batch["gold"], strict=True):
            steps = parse_target(text)
            form = normal_form([s.text for s in steps]) if steps else None
            self._val.append((steps is not None, form is not None
                              and form == normal_form([s.text for s in gold])))

    def on_validation_epoch_end(self) -> None:
        n = max(len(self._val), 1)
        self.log("val_em", 100 * sum(em for _, em in self._val) / n, prog_bar=True)
        self.log("val_valid", 100 * sum(ok for ok, _ in self._val) / n)

    def _generate(self, batch: dict) -> list[str]:
        generated = self.model.generate(input_ids=batch["input_ids"].to(self.device),
                                        attention_mask=batch["attention_mask"].to(self.device),
                                        num_beams=self.hparams.num_beams,
                                        max_new_tokens=self.hparams.max_new_tokens)
        return [t.strip() for t in self.tokenizer.batch_decode(generated, skip_special_tokens=True)]

    # --- inference ---------------------------------------------------------------------------------
    def decompose(self, questions: Sequence[str]) -> list[tuple[Step, ...]]:
        """Decompositions in input order; unusable outputs fall back to one `select` step (see `invalid`)."""
        features = self.features(questions)
        order = sorted(range(len(features)), key=lambda k: features[k]["length"])
        texts: dict[int, str] = {}
        was_training = self.training
        self.eval()
        with torch.no_grad():
            for start in range(0, len(order), self.hparams.eval_batch_size):
                chunk = order[start:start + self.hparams.eval_batch_size]
                batch = pad_features([features[k] for k in chunk], self.pad_values)
                texts.update(zip(chunk, self._generate(batch), strict=True))
        self.train(was_training)
        out = []
        for k, question in enumerate(questions):
            steps = parse_target(texts[k])
            if steps is None:
                self.invalid += 1
                steps = (Step(question_text(question), "select"),)
            out.append(steps)
        return out

    def configure_optimizers(self):
        params = [p for p in self.model.parameters() if p.requires_grad]
        decay = [p for p in params if p.ndim >= 2]
        no_decay = [p for p in params if p.ndim < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": self.hparams.weight_decay},
                                       {"params": no_decay, "weight_decay": 0.0}], lr=self.hparams.lr)
        total = self.trainer.estimated_stepping_batches
        if total == float("inf"):
            raise ConfigError("set the trainer's max_steps or max_epochs: the lr schedule needs a length")
        scheduler = get_linear_schedule_with_warmup(optimizer, int(total * self.hparams.warmup_ratio), int(total))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
