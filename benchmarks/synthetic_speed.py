"""How fast the embedded synthetic set is generated: examples per second over a few rounds.

Each round generates `--n` examples from its own seed (seed, seed + 1, ...) in this process, so the figure
covers the generator only (no torch, no tokenizer). Prints the figures and writes them as JSON.

    python -m benchmarks.synthetic_speed [--n 2000] [--rounds 5] [--seed 9] [--out PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

from benchmarks.common import default_out, environment, median, write_json
from decomp.data.synthetic import generate


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    p.add_argument("--n", type=int, default=2000, help="examples per round")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seed", type=int, default=9, help="seed of the first round (round r uses seed + r)")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/synthetic-speed-<device>.json)")
    args = p.parse_args(argv)
    if args.n < 1 or args.rounds < 1:
        p.error("--n and --rounds must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    rounds = []
    for r in range(args.rounds):
        start = time.perf_counter()
        made = len(generate(args.n, seed=args.seed + r))
        seconds = time.perf_counter() - start
        rounds.append({"seed": args.seed + r, "examples": made, "seconds": round(seconds, 4),
                       "examples_per_s": round(made / seconds, 1)})
    result = {"benchmark": "synthetic_speed",
              **environment("synthetic_speed", sys.argv[1:] if argv is None else list(argv)),
              "n": args.n, "seconds_median": median([r["seconds"] for r in rounds]),
              "examples_per_s_median": median([r["examples_per_s"] for r in rounds]), "rounds": rounds}
    path = write_json(args.out or default_out("synthetic-speed"), result)
    print(f"{args.n} synthetic examples: median {result['seconds_median']:.3f} s "
          f"({result['examples_per_s_median']:.0f} examples/s) over {args.rounds} rounds; wrote {path}")
    return result


if __name__ == "__main__":
    main()
