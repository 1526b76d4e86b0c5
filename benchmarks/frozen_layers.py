"""What freezing the lower encoder layers (a reader's `frozen_layers`) saves per training step and per evaluation
window, with the cache of their outputs cold and warm (issue 31).

Side by side, in interleaved rounds (so background load hits every setting alike): the extractive reader
(start/end, tagging and span-count heads, as the CPU curves train it) on a MiniLM-sized random model built from
a config (no download; `--model` takes a reader spec such as `minilm` instead), once per `--frozen` setting, on
the same random windows (`--batch-size` of them, `--length` tokens or up to a quarter fewer, padded):
- **train**: one step = `reader.loss`, backward, fused AdamW over the trainable parameters. Cold: the cache is
  emptied before each step (the first fit of a curve to see these windows); warm: it holds them (every later
  fit of the curve from the same start, and later epochs);
- **eval**: the reader's forward in inference mode over `--eval-windows` windows, per window, cold and warm.
Speed-ups are frozen_layers 0's seconds over each setting's. Also recorded: how far the cached logits are from
the full model's for each storage dtype (the largest |difference| over real positions, relative to the largest
|logit|; the share of windows whose best start position agrees) and the bytes one cached window takes.

    python -m benchmarks.frozen_layers --threads 1
    python -m benchmarks.frozen_layers --hidden 32 --layers 2 --heads 2 --frozen 0,1 --batch-size 2 --length 32
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import torch

from benchmarks.common import Clock, default_out, environment, max_rss_mb, median, quiet, torch_threads, write_json
from benchmarks.cpu_ceiling import positive
from decomp.readers import frozen
from decomp.readers.frozen import STORAGE_DTYPES, FrozenLayers, PrefixCache


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--model", default="random", help="random (built from the sizes below) or a reader model spec")
    p.add_argument("--hidden", type=positive, default=384)
    p.add_argument("--layers", type=positive, default=6)
    p.add_argument("--heads", type=positive, default=12)
    p.add_argument("--intermediate", type=positive, default=None, help="default: 4 x hidden")
    p.add_argument("--frozen", default="0,3,4", help="frozen_layers settings, comma-separated; 0 is the baseline")
    p.add_argument("--storage", default="float16", choices=sorted(STORAGE_DTYPES), help="frozen_cache_dtype timed")
    p.add_argument("--batch-size", type=positive, default=16)
    p.add_argument("--length", type=positive, default=256, help="tokens per window (the CPU curves' max_length)")
    p.add_argument("--eval-windows", type=positive, default=64)
    p.add_argument("--eval-batch-size", type=positive, default=64)
    p.add_argument("--steps", type=positive, default=3, help="timed training steps per round, setting and cache state")
    p.add_argument("--rounds", type=positive, default=2)
    p.add_argument("--threads", type=positive, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/frozen-layers-<device>.json)")
    args = p.parse_args(argv)
    args.frozen = [int(n) for n in args.frozen.split(",")]
    if 0 not in args.frozen:
        p.error("--frozen must include 0, the baseline")
    return args


def random_model_folder(args: argparse.Namespace, folder: Path) -> str:
    """A randomly initialised BERT span model of the given sizes, saved with the MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertForQuestionAnswering

    from decomp.readers.models import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=args.hidden, num_hidden_layers=args.layers,
                        num_attention_heads=args.heads, intermediate_size=args.intermediate or 4 * args.hidden)
    torch.manual_seed(0)
    BertForQuestionAnswering(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def build_reader(spec: str, args: argparse.Namespace, frozen_layers: int):
    from decomp.readers import ExtractiveReader

    torch.manual_seed(0)  # the same heads for every setting
    return ExtractiveReader(model=spec, max_length=args.length, doc_stride=min(96, args.length // 3),
                            attention_dropout=0.0, strategy="none", seed=0, eval_batch_size=args.eval_batch_size,
                            frozen_layers=frozen_layers, frozen_cache_dtype=args.storage)


def random_windows(n: int, length: int, vocab: int, seed: int) -> dict:
    """`n` windows of `length` tokens or up to a quarter fewer (right-padded), with training labels."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(length - length // 4, length + 1, (n,), generator=g)
    mask = (torch.arange(length)[None] < lengths[:, None]).long()
    return {"uid": [str(i) for i in range(n)], "input_ids": torch.randint(1000, vocab, (n, length), generator=g) * mask,
            "attention_mask": mask, "token_type_ids": torch.zeros(n, length, dtype=torch.long),
            "start_positions": torch.randint(1, length // 2, (n,), generator=g),
            "end_positions": torch.randint(length // 2, length - length // 4, (n,), generator=g),
            "bio_labels": torch.randint(0, 3, (n, length), generator=g) * mask,
            "multi_span_label": torch.randint(0, 2, (n,), generator=g)}


class Setting:
    """One frozen_layers setting: its reader, optimizer and timings."""

    def __init__(self, spec: str, args: argparse.Namespace, frozen_layers: int) -> None:
        self.frozen_layers = frozen_layers
        self.reader = build_reader(spec, args, frozen_layers)
        trainable = [p for p in self.reader.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(trainable, lr=1e-5, fused=True)  # as `configure_optimizers`
        self.times: dict[str, list[float]] = {"train_cold": [], "train_warm": [], "eval_cold": [], "eval_warm": []}
        self.trainable = sum(p.numel() for p in trainable)

    def step(self, batch: dict) -> float:
        self.reader.train()
        clock = Clock()
        clock.start()
        self.reader.loss(batch).backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return clock.stop()

    def evaluate(self, windows: dict, batch_size: int) -> float:
        """Seconds per window of the reader's forward in inference mode (heads read as `answer` reads them)."""
        n = len(windows["uid"])
        clock = Clock()
        clock.start()
        with self.reader.inference():
            for start in range(0, n, batch_size):
                part = {k: windows[k][start:start + batch_size] for k in ("input_ids", "attention_mask",
                                                                          "token_type_ids")}
                out = self.reader(**part, output_hidden_states=True)
                self.reader.tag_head(out.hidden_states[-1])
        return clock.stop() / n

    def round(self, batch: dict, windows: dict, args: argparse.Namespace) -> None:
        cache = frozen.shared_cache()
        states = ("cold", "warm") if self.frozen_layers else ("cold",)  # nothing is cached at 0
        for state in states:
            for _ in range(args.steps):
                if state == "cold":
                    cache.clear()
                self.times[f"train_{state}"].append(self.step(batch))
            if state == "cold":
                cache.clear()
            self.times[f"eval_{state}"].append(self.evaluate(windows, args.eval_batch_size))
        cache.clear()

    def summary(self) -> dict:
        out = {"frozen_layers": self.frozen_layers, "trainable_parameters": self.trainable}
        for name, values in self.times.items():
            if values:
                out[f"{name}_s"] = round(median(values), 5)
        out["seconds"] = {name: [round(v, 5) for v in values] for name, values in self.times.items() if values}
        return out


def logit_error(reader, frozen_layers: int, windows: dict, storage: str) -> dict:
    """The cached forward's logits against the full model's, on the same weights, in eval mode."""
    part = FrozenLayers(frozen_layers, storage, cache=PrefixCache(1 << 30))
    inputs = {k: windows[k] for k in ("input_ids", "attention_mask", "token_type_ids")}
    real = windows["attention_mask"].bool()
    with reader.inference():
        full, cached = reader.model(**inputs), part.forward(reader.model, **inputs)
    worst = 0.0
    for name in ("start_logits", "end_logits"):
        a, b = getattr(full, name).float(), getattr(cached, name).float()
        worst = max(worst, float((a - b)[real].abs().max() / a[real].abs().max()))
    best = [out.start_logits.masked_fill(~real, -1e4).argmax(-1) for out in (full, cached)]
    return {"max_relative_difference": worst, "best_start_agrees": float((best[0] == best[1]).float().mean())}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet()
    frozen.reset_shared_cache()
    try:
        with torch_threads(args.threads), tempfile.TemporaryDirectory() as tmp:
            spec = random_model_folder(args, Path(tmp)) if args.model == "random" else args.model
            return _run(args, argv, spec)
    finally:
        frozen.reset_shared_cache()


def _run(args: argparse.Namespace, argv: Sequence[str] | None, spec: str) -> dict:
    settings = [Setting(spec, args, n) for n in args.frozen]
    config = settings[0].reader.model.config
    batch = random_windows(args.batch_size, args.length, config.vocab_size, seed=0)
    windows = random_windows(args.eval_windows, args.length, config.vocab_size, seed=1)
    for s in settings:  # untimed: the optimizer allocates its state on the first step
        s.step(batch)
    for _ in range(args.rounds):
        for s in settings:
            s.round(batch, windows, args)
    rows = [s.summary() for s in settings]
    base = rows[args.frozen.index(0)]
    for row in rows:
        for name in ("train_cold", "train_warm", "eval_cold", "eval_warm"):
            if f"{name}_s" in row:
                baseline = base["train_cold_s" if name.startswith("train") else "eval_cold_s"]
                row[f"{name}_speedup"] = round(baseline / row[f"{name}_s"], 3)
    reference = settings[args.frozen.index(0)].reader
    accuracy = {str(n): {storage: logit_error(reference, n, windows, storage) for storage in STORAGE_DTYPES}
                for n in args.frozen if n}
    result = {
        "benchmark": "frozen_layers", **environment("frozen_layers", sys.argv[1:] if argv is None else argv),
        "settings": {"model": args.model, "hidden": config.hidden_size, "layers": config.num_hidden_layers,
                     "heads": config.num_attention_heads, "intermediate": config.intermediate_size,
                     "storage": args.storage, "batch_size": args.batch_size, "length": args.length,
                     "eval_windows": args.eval_windows, "eval_batch_size": args.eval_batch_size,
                     "steps": args.steps, "rounds": args.rounds, "threads": torch.get_num_threads()},
        "results": rows, "logit_error": accuracy,
        "bytes_per_cached_window": {storage: args.length * config.hidden_size * dtype.itemsize
                                    for storage, dtype in STORAGE_DTYPES.items()},
        "max_rss_mb": max_rss_mb(),
    }
    path = write_json(args.out or default_out("frozen-layers"), result)
    _print(result, path)
    return result


def _print(result: dict, path: Path) -> None:
    print(f"{'frozen':>6} {'train cold s':>12} {'warm s':>8} {'x cold':>7} {'x warm':>7} "
          f"{'eval cold ms/w':>14} {'warm':>7} {'x cold':>7} {'x warm':>7}")
    for r in result["results"]:
        print(f"{r['frozen_layers']:>6} {_cell(r, 'train_cold_s', width=12)} {_cell(r, 'train_warm_s', width=8)} "
              f"{_cell(r, 'train_cold_speedup')} {_cell(r, 'train_warm_speedup')} "
              f"{_cell(r, 'eval_cold_s', 1e3, 14)} {_cell(r, 'eval_warm_s', 1e3)} {_cell(r, 'eval_cold_speedup')} "
              f"{_cell(r, 'eval_warm_speedup')}")
    for n, by_storage in result["logit_error"].items():
        errors = ", ".join(f"{s} {e['max_relative_difference']:.1e} ({e['best_start_agrees']:.0%} same start)"
                           for s, e in by_storage.items())
        print(f"frozen_layers={n}, cached logits vs the full model's (max |diff| / max |logit|): {errors}")
    print(f"-> {path}")


def _cell(row: dict, key: str, scale: float = 1.0, width: int = 7) -> str:
    return f"{row[key] * scale:>{width}.3f}" if key in row else f"{'-':>{width}}"


if __name__ == "__main__":
    main()
