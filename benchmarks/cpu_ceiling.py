"""How much faster can the reader's training step get on this processor without changing its work?

Side by side, in interleaved rounds (so background load hits both alike):
- **the step**: one training step of the extractive reader as the curves train it (`ExtractiveReader.loss`:
  encoder, start/end, tagging and span-count heads; backward; fused AdamW) on a batch of `--batch-size`
  windows of `--length` tokens. Its floating-point work is counted once: the matrix products by
  `torch.utils.flop_counter` (forward and backward), plus attention's two batched products per layer by
  formula (torch's counter does not count the CPU attention kernel). Its rate is GFLOP/s actually delivered;
  element-wise work (norms, activations, softmax, the optimizer) is counted as none, which favours speed-up;
- **the processor's matrix rate**: `torch.mm` in fp32 on the step's own GEMM shapes (tokens x hidden by
  hidden x hidden, x intermediate, and back) and one square product, the best of them per round.

`ceiling` = matrix rate / step rate: the speed-up that a perfect implementation of the same fp32 work (every
FLOP at the best matrix rate, nothing else costing time) would give. A 2x faster curve in fp32 needs a
ceiling above 2. `--bf16` also times the same products in bf16 (on a CPU without AVX512-BF16/AMX bf16 is
emulated, so this shows what bf16 autocast would cost or save there).

    python -m benchmarks.cpu_ceiling                       # MiniLM, 16 x 256 tokens, 3 rounds
    python -m benchmarks.cpu_ceiling --model tiny-bert --batch-size 2 --length 32 --rounds 1 --steps 1
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch

from benchmarks.common import Clock, default_out, environment, median, quiet, torch_threads, write_json


def positive(text: str) -> int:
    """An argparse type: a whole number of at least 1 (a count of windows, tokens, steps or rounds)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--model", default="minilm", help="minilm (the curves' reader) or tiny-bert (smoke tests)")
    p.add_argument("--batch-size", type=positive, default=16)
    p.add_argument("--length", type=positive, default=256, help="tokens per window (the CPU curves' max_length)")
    p.add_argument("--steps", type=positive, default=3, help="timed training steps per round (after one warm-up)")
    p.add_argument("--rounds", type=positive, default=3)
    p.add_argument("--square", type=positive, default=1024, help="side of the square product also timed")
    p.add_argument("--bf16", action="store_true", help="also time the products in bf16")
    p.add_argument("--threads", type=positive, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/cpu-ceiling-<device>.json)")
    return p.parse_args(argv)


def reader_and_batch(args: argparse.Namespace):
    """The curves' extractive reader (multi-span heads on) and one batch of its training shape."""
    from decomp.readers import ExtractiveReader

    torch.manual_seed(0)
    reader = ExtractiveReader(model=args.model, max_length=args.length, doc_stride=min(96, args.length // 3),
                              attention_dropout=0.0, strategy="none", seed=0)
    b, n, vocab = args.batch_size, args.length, reader.model.config.vocab_size
    batch = {"uid": [str(i) for i in range(b)],
             "input_ids": torch.randint(1000, vocab, (b, n)), "attention_mask": torch.ones(b, n, dtype=torch.long),
             "token_type_ids": torch.zeros(b, n, dtype=torch.long),
             "start_positions": torch.randint(1, n, (b,)), "end_positions": torch.randint(1, n, (b,)),
             "bio_labels": torch.randint(0, 3, (b, n)), "multi_span_label": torch.randint(0, 2, (b,))}
    return reader, batch


def step_flops(reader, batch) -> int:
    """Floating-point operations of one forward and backward pass: the matrix products as torch counts them,
    plus attention (scores and weighted values: 2 x 2·B·L²·hidden forward per layer, twice that backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter:
        reader.loss(batch).backward()
    reader.zero_grad(set_to_none=True)
    counted = counter.get_flop_counts()["Global"]
    if any("attention" in str(op) for op in counted):
        raise RuntimeError(f"torch now counts attention itself ({sorted(map(str, counted))}): drop the formula")
    config, (b, n) = reader.model.config, batch["input_ids"].shape
    attention = 3 * 4 * b * n * n * config.hidden_size * config.num_hidden_layers
    return int(counter.get_total_flops()) + attention


def gemm_shapes(config, tokens: int, square: int) -> list[tuple[int, int, int]]:
    """(m, k, n) of the encoder's own linear layers at this batch, and one square product."""
    d, ff = config.hidden_size, config.intermediate_size
    return [(tokens, d, d), (tokens, d, ff), (tokens, ff, d), (square, square, square)]


def time_steps(reader, batch, optimizer, steps: int) -> float:
    """Seconds per training step (forward, backward, optimizer), median of `steps` after one warm-up."""
    seconds = []
    for i in range(steps + 1):
        clock = Clock()
        clock.start()
        reader.loss(batch).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i:  # the first step allocates the optimizer state
            seconds.append(clock.stop())
    return median(seconds)


def gemm_rate(m: int, k: int, n: int, dtype: torch.dtype, min_seconds: float = 0.3) -> float:
    """GFLOP/s of `torch.mm` of an (m, k) by a (k, n) matrix, repeated for at least `min_seconds`."""
    a, b = torch.randn(m, k).to(dtype), torch.randn(k, n).to(dtype)
    torch.mm(a, b)  # warm-up
    clock, reps = Clock(), 0
    clock.start()
    while True:
        torch.mm(a, b)
        reps += 1
        seconds = clock.stop()
        if seconds >= min_seconds:
            return 2 * m * k * n * reps / seconds / 1e9


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet()
    with torch_threads(args.threads):
        return _run(args, argv)


def _run(args: argparse.Namespace, argv: Sequence[str] | None) -> dict:
    reader, batch = reader_and_batch(args)
    flops = step_flops(reader, batch)
    optimizer = torch.optim.AdamW(reader.parameters(), lr=1e-4, fused=True)  # as `configure_optimizers`
    shapes = gemm_shapes(reader.model.config, args.batch_size * args.length, args.square)
    dtypes = {"fp32": torch.float32, **({"bf16": torch.bfloat16} if args.bf16 else {})}
    rounds = []
    for _ in range(args.rounds):
        step_s = time_steps(reader, batch, optimizer, args.steps)
        gemm = {name: {f"{m}x{k}x{n}": round(gemm_rate(m, k, n, dtype), 2) for m, k, n in shapes}
                for name, dtype in dtypes.items()}
        step_gflops = flops / step_s / 1e9
        best = max(gemm["fp32"].values())
        rounds.append({"step_s": round(step_s, 4), "step_gflops": float(f"{step_gflops:.4g}"), "gemm_gflops": gemm,
                       "best_fp32_gemm_gflops": best, "ceiling": round(best / step_gflops, 3)})
    result = {
        "benchmark": "cpu_ceiling", **environment("cpu_ceiling", sys.argv[1:] if argv is None else argv),
        "settings": {"model": args.model, "batch_size": args.batch_size, "length": args.length, "steps": args.steps,
                     "rounds": args.rounds, "threads": torch.get_num_threads()},
        "step_gflop": round(flops / 1e9, 3),
        "step_s": median([r["step_s"] for r in rounds]),
        "step_gflops": median([r["step_gflops"] for r in rounds]),
        "best_fp32_gemm_gflops": median([r["best_fp32_gemm_gflops"] for r in rounds]),
        "ceiling": median([r["ceiling"] for r in rounds]),
        "rounds": rounds,
    }
    if args.bf16:
        result["bf16_over_fp32_gemm"] = median(
            [max(r["gemm_gflops"]["bf16"].values()) / r["best_fp32_gemm_gflops"] for r in rounds])
    path = write_json(args.out or default_out("cpu-ceiling"), result)
    print(f"one training step: {result['step_gflop']} GFLOP in {result['step_s']} s = {result['step_gflops']} GFLOP/s")
    print(f"best fp32 matrix product: {result['best_fp32_gemm_gflops']} GFLOP/s")
    print(f"ceiling (matrix rate / step rate): {result['ceiling']}x")
    if args.bf16:
        print(f"bf16 / fp32 matrix rate: {result['bf16_over_fp32_gemm']:.3f}")
    print(f"-> {path}")
    return result


if __name__ == "__main__":
    main()
