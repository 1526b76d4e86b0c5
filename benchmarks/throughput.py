"""Training and evaluation throughput of decomp's extractive reader against a plain `transformers.Trainer`.

Both sides start from the same weights and train on the same windows of real BREAK-DROP contexts with the
same batch size, precision (fp32 on CPU, bf16 autocast on a bf16 GPU), dropout and AdamW hyper-parameters.
Ours: `ExtractiveReader.training_loader` (length-bucketed batches, padded to their longest window) under a
Lightning Trainer. Baseline: what a run_qa.py user does: windows padded to max_length in a `datasets.Dataset`,
`default_data_collator`, the Trainer's random sampler and default settings. Rounds alternate ours/baseline
in one process so that background load hits both alike; each round times `--steps` optimizer steps after
`--warmup` untimed ones. Evaluation: ours = `Trainer.test` of the reader (featurize, length-sorted batches,
span decoding, scoring), baseline = featurize + pad + `Trainer.predict` + the same span decoding, both on
the same (our trained) weights.

    python -m benchmarks.throughput --model minilm --batch-size 16 --steps 8 --rounds 3
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch
from lightning.pytorch import Callback, Trainer, seed_everything

from benchmarks.common import (
    Clock,
    bf16,
    default_out,
    environment,
    gpu_peak_mb,
    max_rss_mb,
    median,
    on_cuda,
    quiet,
    ratio,
    reset_gpu_peak,
    torch_threads,
    write_json,
)
from decomp.data.datasets import DATASETS


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    p.add_argument("--model", default="minilm", help="minilm (offline MiniLM-L6) or tiny-bert (smoke tests)")
    p.add_argument("--dataset", default="drop", choices=sorted(DATASETS))
    p.add_argument("--data-dir", default=None, help="default: $DECOMP_DATA_DIR")
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--k", default="all", help="training questions drawn from the fold's training side")
    p.add_argument("--eval-questions", type=int, default=64, help="evaluation questions per round")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--eval-batch-size", type=int, default=32, help="windows per forward pass at evaluation")
    p.add_argument("--steps", type=int, default=8, help="timed optimizer steps per round and side")
    p.add_argument("--warmup", type=int, default=2, help="untimed optimizer steps before each timed run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--max-length", type=int, default=384)
    p.add_argument("--doc-stride", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--attention-dropout", type=float, default=None,
                   help="both sides (default: the model's own; 0 is several times faster on CPU)")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile both models (ours: dynamic shapes; baseline: TrainingArguments.torch_compile)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: torch's); on a loaded CPU 1 can beat 2 by a wide margin")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/throughput-<device>.json)")
    args = p.parse_args(argv)
    if args.warmup < 1 or args.steps < 1 or args.rounds < 1:
        p.error("--warmup, --steps and --rounds must be at least 1 (the clock starts at the end of a warm-up step)")
    return args


class _StepTimer(Callback):
    """Times optimizer steps warmup+1 .. warmup+steps (including data loading), counting windows and tokens
    on the device so that no step waits for the host."""

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.clock = Clock()
        self.windows = 0
        self.padded_tokens = 0
        self.tokens: torch.Tensor | int = 0

    def on_train_batch_end(self, trainer, module, outputs, batch, batch_idx) -> None:
        step = trainer.global_step
        if step == self.warmup:
            self.clock.start()
        elif step > self.warmup:
            self.windows += len(batch["uid"])
            self.padded_tokens += batch["input_ids"].numel()
            self.tokens = self.tokens + batch["attention_mask"].sum()
        if step == trainer.max_steps:
            self.clock.stop()


def _hf_step_timer(warmup: int, max_steps: int):
    from transformers import TrainerCallback

    class HFStepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.clock = Clock()

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == warmup:
                self.clock.start()
            if state.global_step == max_steps:
                self.clock.stop()

    return HFStepTimer()


def _lightning_trainer(max_steps: int, callbacks: list, precision: str) -> Trainer:
    # The options decomp's curve runner trains with (decomp.curves.runner._trainer).
    return Trainer(max_steps=max_steps, max_epochs=-1, accelerator="auto", devices=1, precision=precision,
                   logger=False, enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, num_sanity_val_steps=0, callbacks=callbacks)


def _padded(features: Sequence[dict], keys: Sequence[str], max_length: int, pad_id: int):
    """run_qa.py's `padding="max_length"` features as a `datasets.Dataset` of model columns."""
    import datasets

    pads = {"input_ids": pad_id, "attention_mask": 0, "token_type_ids": 0}
    rows = []
    for f in features:
        row = {k: list(f[k]) + [pads[k]] * (max_length - len(f[k])) for k in pads if k in f}
        row.update({k: f[k] for k in keys if k not in pads and k in f})
        rows.append(row)
    return datasets.Dataset.from_list(rows)


def _batch_windows(n: int, batch_size: int, first: int, last: int) -> int:
    """Windows in optimizer steps first..last (1-based) of a random sampler over n windows, epoch after epoch."""
    per_epoch = -(-n // batch_size)
    return sum(n - (per_epoch - 1) * batch_size if (s - 1) % per_epoch == per_epoch - 1 else batch_size
               for s in range(first, last + 1))


def _rate(seconds: float, windows: int, examples_per_window: float) -> dict:
    return {"seconds": round(seconds, 3), "windows": windows,
            "windows_per_s": round(windows / seconds, 3),
            "examples_per_s": round(windows * examples_per_window / seconds, 3)}


def _summary(rounds: list[dict], peak: float | None) -> dict:
    return {"windows_per_s": median([r["windows_per_s"] for r in rounds]),
            "examples_per_s": median([r["examples_per_s"] for r in rounds]),
            "gpu_peak_mb": peak, "rounds": rounds}


class _Sides:
    """Everything both sides share: data, the reader (ours), a copy of its initial model (the baseline's)."""

    def __init__(self, args: argparse.Namespace, workdir: str):
        from decomp.data.module import DecompDataModule
        from decomp.readers import ExtractiveReader

        self.args = args
        self.workdir = workdir
        self.precision = "bf16-mixed" if bf16() else "32-true"
        self.dm = DecompDataModule(dataset=args.dataset, data_dir=args.data_dir, fold=args.fold, k=args.k,
                                   val_fraction=0.0, eval_limit=args.eval_questions,
                                   eval_examples=args.eval_questions)
        self.dm.setup()
        seed_everything(0, verbose=False)
        self.reader = ExtractiveReader(
            model=args.model, max_length=args.max_length, doc_stride=args.doc_stride, lr=args.lr,
            attention_dropout=args.attention_dropout, eval_batch_size=args.eval_batch_size, strategy="none", seed=0,
            multi_span=False)  # the run_qa.py baseline has only start/end logits: the same model, loss and decoding
        self.loader = self.reader.training_loader(self.dm.fit_set, args.batch_size)
        self.features = self.loader.dataset
        self.examples_per_window = len({f["uid"] for f in self.features}) / len(self.features)
        self.baseline_model = copy.deepcopy(self.reader.model)  # the same starting weights on both sides
        self.train_set = _padded(self.features, self.reader.model_keys, args.max_length,
                                 self.reader.tokenizer.pad_token_id)
        if args.compile:
            self.reader.model = torch.compile(self.reader.model, dynamic=True)
        self.baseline_optimizer: str | None = None
        self.baseline_max_grad_norm: float | None = None

    def train_ours(self, round_: int) -> dict:
        self.loader.batch_sampler.sampler.seed = round_  # a fresh batch order each round (the baseline: seed=round)
        timer = _StepTimer(self.args.warmup)
        _lightning_trainer(self.args.warmup + self.args.steps, [timer], self.precision).fit(self.reader, self.loader)
        tokens = int(timer.tokens)
        return {**_rate(timer.clock.seconds, timer.windows, self.examples_per_window),
                "padded_tokens": timer.padded_tokens, "tokens": tokens,
                "padding_share": round(1 - tokens / timer.padded_tokens, 3)}

    def train_baseline(self, round_: int) -> dict:
        from transformers import Trainer as HFTrainer
        from transformers import default_data_collator
        from transformers.trainer_callback import PrinterCallback

        max_steps = self.args.warmup + self.args.steps
        timer = _hf_step_timer(self.args.warmup, max_steps)
        hparams = self.reader.hparams
        hf = HFTrainer(model=self.baseline_model, train_dataset=self.train_set, data_collator=default_data_collator,
                       args=self._training_args(max_steps, round_, hparams.warmup_ratio, hparams.weight_decay),
                       callbacks=[timer])
        hf.remove_callback(PrinterCallback)  # its end-of-training line is noise here
        hf.train()
        optimizer = getattr(hf.optimizer, "optimizer", hf.optimizer)  # accelerate wraps it
        self.baseline_optimizer = f"{type(optimizer).__name__} fused={optimizer.defaults.get('fused')}"
        self.baseline_max_grad_norm = hf.args.max_grad_norm
        windows = _batch_windows(len(self.train_set), self.args.batch_size, self.args.warmup + 1, max_steps)
        return {**_rate(timer.clock.seconds, windows, self.examples_per_window),
                "padded_tokens": windows * self.args.max_length}

    def _training_args(self, max_steps: int, seed: int, warmup_ratio: float, weight_decay: float):
        from transformers import TrainingArguments

        a = self.args
        return TrainingArguments(
            output_dir=self.workdir, max_steps=max_steps, per_device_train_batch_size=a.batch_size,
            per_device_eval_batch_size=a.eval_batch_size, learning_rate=a.lr, weight_decay=weight_decay,
            warmup_steps=warmup_ratio, bf16=bf16(), seed=seed, save_strategy="no", report_to="none",
            disable_tqdm=True, torch_compile=a.compile,
            # bf16 on a CPU with AVX512-BF16: without use_cpu, transformers refuses "Your setup doesn't support
            # bf16/gpu" (it checks for a GPU first).
            use_cpu=not torch.cuda.is_available())

    # --- evaluation, on our trained weights for both sides, so that their answers must agree ---------------
    def eval_inputs(self) -> list:
        return [self.reader.strategy.inference_input(e) for e in self.dm.eval_set]

    def answer_ours(self) -> dict[str, str]:
        _lightning_trainer(1, [], self.precision).test(self.reader, self.dm.test_dataloader(), verbose=False)
        return {p["example_id"]: p["prediction"] for p in self.reader.predictions["test"]}

    def baseline_predictor(self):
        """`answer()`: featurize, pad to max_length, `Trainer.predict` (sequential order), decode spans."""
        from transformers import Trainer as HFTrainer
        from transformers import default_data_collator

        from decomp.readers.spans import answers_from_windows
        from decomp.types import join_spans

        self.baseline_model.load_state_dict(getattr(self.reader.model, "_orig_mod", self.reader.model).state_dict())
        hf = HFTrainer(model=self.baseline_model, args=self._training_args(1, 0, 0.0, 0.0),
                       data_collator=default_data_collator)
        reader, inputs = self.reader, self.eval_inputs()

        def answer() -> dict[str, str]:
            windows = reader.featurize(inputs, train=False)
            data = _padded(windows, (), self.args.max_length, reader.tokenizer.pad_token_id)
            start, end = hf.predict(data).predictions
            spans = answers_from_windows(
                windows, [s[:w["length"]] for s, w in zip(start, windows, strict=True)],
                [e[:w["length"]] for e, w in zip(end, windows, strict=True)], {i.uid: i.context for i in inputs},
                n_best=reader.n_best, max_answer_length=reader.max_answer_length)
            return {uid: join_spans(answer) for uid, answer in spans.items()}  # the text a prediction records
        return answer


def _alternate(runs: dict, rounds: int, warm_up: bool) -> tuple[dict[str, list], dict[str, float | None], dict]:
    """Run each side once per round, in turn; per side: the results, the GPU peak, the last return value."""
    results: dict[str, list] = {side: [] for side in runs}
    peaks: dict[str, float | None] = dict.fromkeys(runs)
    last: dict = {}
    for r in range(-1 if warm_up else 0, rounds):
        for side, run in runs.items():
            reset_gpu_peak()
            clock = Clock()
            clock.start()
            last[side] = run(max(r, 0))
            seconds = clock.stop()
            peaks[side] = max(peaks[side] or 0, gpu_peak_mb() or 0) or None
            if r >= 0:
                results[side].append((seconds, last[side]))
    return results, peaks, last


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet()
    with torch_threads(args.threads):
        return _run(args, argv)


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="decomp-bench-") as workdir:
        sides = _Sides(args, workdir)
        # Training: each round times its own steps after warm-up, so no separate warm-up round.
        done, peaks, _ = _alternate({"ours": sides.train_ours, "baseline": sides.train_baseline}, args.rounds, False)
        train = {side: _summary([rate for _, rate in done[side]], peaks[side]) for side in done}
        train["ratio"] = ratio(train["ours"]["windows_per_s"], train["baseline"]["windows_per_s"])
        train["first_round_wall_s"] = {side: round(done[side][0][0], 2) for side in done}  # incl. compile

        inputs = sides.eval_inputs()
        n_windows = len(sides.reader.featurize(inputs, train=False))
        baseline_answer = sides.baseline_predictor()
        # An untimed first round where compilation or GPU start-up would otherwise land in round one.
        done, peaks, answers = _alternate({"ours": lambda _: sides.answer_ours(),
                                           "baseline": lambda _: baseline_answer()},
                                          args.rounds, warm_up=on_cuda() or args.compile)
        evaluation = {side: _summary([_rate(seconds, n_windows, len(inputs) / n_windows) for seconds, _ in done[side]],
                                     peaks[side]) for side in done}
    evaluation["ratio"] = ratio(evaluation["ours"]["windows_per_s"], evaluation["baseline"]["windows_per_s"])
    shared = set(answers["ours"]) & set(answers["baseline"])
    evaluation["answers_agree"] = round(
        sum(answers["ours"][u] == answers["baseline"][u] for u in shared) / max(len(shared), 1), 3)

    reader, lengths = sides.reader, [f["length"] for f in sides.features]
    result = {
        "benchmark": "throughput", **environment("throughput", sys.argv[1:] if argv is None else argv),
        "settings": {
            "model": args.model, "dataset": args.dataset, "fold": args.fold, "k": args.k,
            "batch_size": args.batch_size, "eval_batch_size": args.eval_batch_size, "steps": args.steps,
            "warmup": args.warmup, "rounds": args.rounds, "max_length": args.max_length,
            "doc_stride": args.doc_stride, "lr": args.lr, "weight_decay": reader.hparams.weight_decay,
            "warmup_ratio": reader.hparams.warmup_ratio, "precision": sides.precision, "compile": args.compile,
            "attention_dropout": getattr(sides.baseline_model.config, "attention_probs_dropout_prob", None),
            "ours_optimizer": "AdamW " + ("fused=True" if on_cuda() else "fused=None (foreach)"),
            "baseline_optimizer": sides.baseline_optimizer, "ours_gradient_clip": None,
            "baseline_max_grad_norm": sides.baseline_max_grad_norm},
        "data": {"train_questions": len(sides.dm.fit_set), "train_examples": len({f["uid"] for f in sides.features}),
                 "train_windows": len(lengths), "mean_window_tokens": round(sum(lengths) / len(lengths), 1),
                 "padding_share_at_max_length": round(1 - sum(lengths) / (len(lengths) * args.max_length), 3),
                 "eval_questions": len(inputs), "eval_windows": n_windows},
        "train": train, "eval": evaluation, "max_rss_mb": max_rss_mb(),
        "units": "examples: questions (in training, those with an answer span); windows: model inputs; "
                 "per side the median over rounds; ratio: ours/baseline windows/s; max_rss_mb: the whole process",
    }
    path = write_json(args.out or default_out("throughput"), result)
    _print(result, path)
    return result


def _print(result: dict, path: Path) -> None:
    for part in ("train", "eval"):
        r = result[part]
        print(f"{part:5s} ours {r['ours']['examples_per_s']:8.2f} ex/s {r['ours']['windows_per_s']:8.2f} win/s | "
              f"baseline {r['baseline']['examples_per_s']:8.2f} ex/s {r['baseline']['windows_per_s']:8.2f} win/s | "
              f"ratio {r['ratio']:.2f}x")
    print(f"eval answers agree: {result['eval']['answers_agree']:.1%}; max RSS {result['max_rss_mb']} MiB; "
          f"{result['device']}, precision {result['settings']['precision']}; wrote {path}")


if __name__ == "__main__":
    main()
