"""`decomp adapt`: train a reader's starting point on QA data and write it, with its card, as a model folder.

Order of work: read and check every source (disjointness from the protected evaluation sets first, before
anything is written), hold out whole passages per source, train with Lightning (bf16 autocast where the CPU
has it; `last.ckpt` every `checkpoint_every` steps, so an interrupted run resumes where it stopped), score the
held-out slices, then write the folder under a temporary name and rename it into place.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
from lightning.pytorch import Callback

from decomp.data.adaptation import OUTSIDE_SOURCES, SOURCE_PREFIX, dev_outside, load_source
from decomp.data.cache import file_fingerprint
from decomp.data.module import ResumableTraining
from decomp.data.overlap import Protected, paragraph_prints, protected, question_print
from decomp.data.schema import Example
from decomp.errors import ConfigError
from decomp.metrics.scoring import metric_for, score_prediction
from decomp.readers.starts import CARD, HEADS, PRINTS, Recipe


class StepLines(Callback):
    """Without the progress bar (`--no-progress`, logs): a line every `every` steps with the loss."""

    def __init__(self, every: int = 50) -> None:
        self.every = every

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        if trainer.global_step % self.every == 0:
            loss = outputs["loss"] if isinstance(outputs, dict) else outputs
            print(f"  step {trainer.global_step}/{trainer.max_steps}: loss {float(loss):.3f}", file=sys.stderr,
                  flush=True)


class AdaptData(ResumableTraining):
    def __init__(self, fit_set: Sequence[Example], batch_size: int, num_workers: int = 0):
        super().__init__()
        self.save_hyperparameters({"batch_size": batch_size, "num_workers": num_workers})
        self.fit_set = list(fit_set)


def _by_passage(examples: Sequence[Example], seed: int) -> list[list[Example]]:
    groups: dict[str, list[Example]] = {}
    for e in examples:
        groups.setdefault(e.group, []).append(e)
    order = sorted(groups)
    random.Random(seed).shuffle(order)
    return [groups[g] for g in order]


def _take(groups: list[list[Example]], n: int | None) -> tuple[list[Example], list[list[Example]]]:
    """Whole passages from the front until at least `n` questions (all of them when n is None)."""
    if n is None:
        return [e for g in groups for e in g], []
    taken: list[Example] = []
    k = 0
    while k < len(groups) and len(taken) < n:
        taken.extend(groups[k])
        k += 1
    return taken, groups[k:]


def gather(recipe: Recipe, data_dir: Path, guard: Protected) -> tuple[list[Example], list[Example], dict]:
    """(training records, held-out records, per-source counts) after the disjointness check."""
    train, held, counts = [], [], {}
    for spec in recipe.sources:
        if spec.name in OUTSIDE_SOURCES:
            records = dev_outside(OUTSIDE_SOURCES[spec.name], guard, data_dir)
            dropped = 0
        else:
            records = load_source(spec.name, data_dir)
            dropped = sum(guard.touches(e) for e in records) if spec.drop_overlap else 0
            if spec.drop_overlap:
                records = [e for e in records if not guard.touches(e)]
        guard.check(records, f"adaptation recipe {recipe.name!r}")
        groups = _by_passage(records, recipe.training.seed)
        held_out, rest = _take(groups, recipe.held_out if spec.held_out is None else spec.held_out)
        trained, _ = _take(rest, spec.max_questions)
        counts[spec.name] = {"available": len(records), "trained": len(trained), "held_out": len(held_out),
                             "passages_trained": len({e.group for e in trained}), "dropped_overlap": dropped}
        train.extend(trained)
        held.extend(held_out)
    return train, held, counts


def _files(recipe: Recipe, data_dir: Path) -> dict[str, str]:
    """Fingerprints of the files each source reads (computed sources: the dataset's shared files)."""
    raw = data_dir / "raw"
    folders = {"squad": raw / "qa-adapt" / "squad", "quoref": raw / "qa-adapt" / "quoref",
               "ropes": raw / "qa-adapt" / "ropes", "hotpotqa-train": raw / "qa-adapt" / "hotpotqa-train",
               "drop-train": raw / "qa-adapt" / "drop-train", "drop-dev-outside": raw / "drop",
               "drop-train-steps": raw / "drop" / "successive-prompting",
               "hotpotqa-dev-outside": raw / "hotpotqa",
               "synthetic-numeric": Path(__file__).resolve().parents[1] / "data" / "synthetic"}  # the generator
    out = {}
    for spec in recipe.sources:
        suffixes = (".py",) if spec.name == "synthetic-numeric" else (".json", ".jsonl", ".gz")
        files = sorted(p for p in folders[spec.name].rglob("*") if p.is_file() and p.suffix in suffixes)
        if spec.name == "drop-train":
            files += sorted((raw / "drop" / "successive-prompting").glob("*.json"))
        out[spec.name] = file_fingerprint(files)
    return out


def held_out_scores(reader, examples: Sequence[Example]) -> dict[str, dict]:
    """EM/F1 (0-100) per source on its held-out slice, each record scored by the metric its source picks
    (`decomp.metrics.scoring.metric_for`: HotpotQA's for HotpotQA records, DROP's else)."""
    predictions = {p.example_id: p for p in reader.strategy.predict(list(examples), reader.answer)}
    scores: dict[str, list[tuple[float, float]]] = {}
    for e in examples:
        scores.setdefault(e.source.removeprefix(SOURCE_PREFIX), []).append(score_prediction(predictions[e.id], e))
    return {s: {"n": len(v), "em": round(100 * sum(a for a, _ in v) / len(v), 2),
                "f1": round(100 * sum(b for _, b in v) / len(v), 2)} for s, v in sorted(scores.items())}


def _save(reader, folder: Path, card: dict, prints: dict) -> None:
    tmp = folder.with_name(folder.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    reader.model.save_pretrained(tmp)
    reader.tokenizer.save_pretrained(tmp)
    heads = {k: v for k, v in reader.state_dict().items() if not k.startswith(("model.", "scores."))}
    torch.save(heads, tmp / HEADS)
    (tmp / PRINTS).write_text(json.dumps(prints, sort_keys=True))
    (tmp / CARD).write_text(json.dumps(card, indent=1, sort_keys=True) + "\n")
    tmp.rename(folder)


def adapt(recipe: Recipe, data_dir: Path, cache_dir: Path | None = None, progress: bool = True,
          callbacks: Sequence = ()) -> Path:
    """Train the recipe's starting point (or find it already made) and return its folder. `callbacks`: extra
    Lightning callbacks (a progress line, or a test's interruption)."""
    from lightning import Trainer

    from decomp.precision import resolve_precision
    from decomp.provenance import git_commit, hardware, package_versions
    from decomp.readers import REGISTRY
    from decomp.readers.checkpoint import AtomicCheckpointIO, LastCheckpoint

    folder = recipe.folder(cache_dir)
    if (folder / CARD).is_file():
        print(f"decomp adapt: {recipe.name} is already adapted: {folder}", file=sys.stderr)
        return folder
    start = time.time()
    guard = protected(recipe.protects, data_dir)
    train, held, counts = gather(recipe, data_dir, guard)
    for source in sorted({e.source for e in held}):  # a source without a metric fails now, not after training
        metric_for(source)
    if not train:
        raise ConfigError(f"adaptation recipe {recipe.name!r}: no training records")
    t = recipe.training
    torch.manual_seed(t.seed)
    args = {**recipe.reader_args, "lr": t.lr, "warmup_ratio": t.warmup_ratio, "seed": t.seed}
    reader = REGISTRY[recipe.kind](**args, strategy="none")
    data = AdaptData(train, t.batch_size)
    data.use_training_data(reader.training_data())
    work = folder.with_name(folder.name + ".work")
    last = work / "checkpoints" / "last.ckpt"
    precision = resolve_precision(t.precision)
    checkpoint = LastCheckpoint(dirpath=work / "checkpoints", save_last=True, save_top_k=0,
                                every_n_train_steps=t.checkpoint_every)
    lines = [] if progress else [StepLines()]
    trainer = Trainer(max_steps=t.steps, precision=precision, logger=False, callbacks=[checkpoint, *lines, *callbacks],
                      enable_progress_bar=progress, enable_model_summary=False, num_sanity_val_steps=0,
                      limit_val_batches=0, accelerator="cpu" if not torch.cuda.is_available() else "auto",
                      devices=1, plugins=[AtomicCheckpointIO()])
    if last.is_file():
        print(f"decomp adapt: resuming from {last}", file=sys.stderr)
    trainer.fit(reader, datamodule=data, ckpt_path=str(last) if last.is_file() else None)
    reader.to("cpu")
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16-mixed"):
        scores = held_out_scores(reader, held)
    card = {"name": recipe.name, "hash": recipe.digest, "recipe": recipe.resolved(),
            "reader": {"kind": recipe.kind, "version": reader.version, "args": args},
            "sources": counts, "files": _files(recipe, data_dir), "steps": trainer.global_step,
            "windows_per_step": t.batch_size, "precision": str(precision), "held_out_scores": scores,
            "hardware": hardware(), "commit": git_commit(), "versions": package_versions(),
            "wall_s": round(time.time() - start, 1), "unanswerable_training_inputs": reader.unanswerable}
    prints = {"questions": {question_print(e): f"{e.source}: {e.id}" for e in [*train, *held]},
              "paragraphs": {p: f"{e.source}: {e.id}" for e in [*train, *held] for p in paragraph_prints(e)}}
    _save(reader, folder, card, prints)
    shutil.rmtree(work, ignore_errors=True)
    return folder
