"""Does bf16 autocast keep the accuracy of fp32? The same `decomp fit` + `decomp test` run once per precision.

Each precision gets its own run folder: `decomp fit --trainer.precision P` (same config, seed, data and
step budget), then `decomp test` of its last checkpoint on the evaluation fold. Reports EM/F1 per precision,
their differences (the check: within --tolerance points), the share of questions answered identically, and
the wall time of each fit and test. Defaults: BREAK-DROP fold 0 (255 test questions), a short fit.

    python -m benchmarks.precision_check                        # 32-true vs bf16-mixed, 24 steps
    python -m benchmarks.precision_check --max-steps 8 -- --data.k 64
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import REPO, default_out, environment, write_json

DEFAULT_CONFIG = REPO / "configs" / "drop" / "extractive-none.yaml"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="a `decomp fit` config (default: %(default)s)")
    p.add_argument("--precisions", default="32-true,bf16-mixed", help="comma-separated; the first is the reference")
    p.add_argument("--max-steps", type=int, default=24, help="optimizer steps of each fit")
    p.add_argument("--max-length", type=int, default=256)
    p.add_argument("--doc-stride", type=int, default=96)
    p.add_argument("--tolerance", type=float, default=1.0, help="largest EM/F1 difference (points) that passes")
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the runs (default: torch's)")
    p.add_argument("--run-dir", default=None, help="default: a fresh temporary folder (deleted)")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/precision-check-<device>.json)")
    p.add_argument("extra", nargs="*", help="further `decomp fit/test` arguments, after `--`")
    return p.parse_args(argv)


def _run(words: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "decomp.cli", *words], env=env, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"decomp {words[0]} exited with {done.returncode}: {' '.join(words)}")
    return round(time.perf_counter() - started, 2)


def run_precision(args: argparse.Namespace, precision: str, root: Path, env: dict) -> dict:
    """Fit and test one precision in `root/<precision>`; its metrics, predictions and timings."""
    folder = root / precision
    common = ["--config", args.config, "--trainer.precision", precision,
              "--trainer.logger.init_args.save_dir", str(folder), "--trainer.enable_progress_bar", "false",
              "--model.init_args.max_length", str(args.max_length),
              "--model.init_args.doc_stride", str(args.doc_stride), *args.extra]
    fit_s = _run(["fit", *common, "--trainer.max_steps", str(args.max_steps), "--trainer.max_epochs", "-1",
                  "--trainer.limit_val_batches", "0"], env)
    test_s = _run(["test", *common, "--ckpt_path", str(folder / "checkpoints" / "last.ckpt")], env)
    metrics = json.loads((folder / "test" / "metrics.json").read_text(encoding="utf-8"))
    lines = (folder / "test" / "test_predictions.jsonl").read_text(encoding="utf-8").splitlines()
    answers = {r["example_id"]: r["prediction"] for r in map(json.loads, lines)}
    return {"precision": metrics.get("precision", precision), "em": round(metrics["metrics"]["test_em"], 2),
            "f1": round(metrics["metrics"]["test_f1"], 2), "n": metrics["n"], "fit_s": fit_s, "test_s": test_s,
            "answers": answers}


def compare(reference: dict, other: dict, tolerance: float) -> dict:
    shared = set(reference["answers"]) & set(other["answers"])
    same = sum(reference["answers"][i] == other["answers"][i] for i in shared)
    d_em, d_f1 = round(other["em"] - reference["em"], 2), round(other["f1"] - reference["f1"], 2)
    return {"precision": other["precision"], "reference": reference["precision"], "em_diff": d_em, "f1_diff": d_f1,
            "same_answers": round(same / max(len(shared), 1), 3), "questions": len(shared),
            "within_tolerance": abs(d_em) <= tolerance and abs(d_f1) <= tolerance}


def _result(args: argparse.Namespace, argv: Sequence[str] | None, runs: list[dict], planned: int) -> dict:
    return {"benchmark": "precision_check", **environment("precision_check", sys.argv[1:] if argv is None else argv),
            "config": args.config, "max_steps": args.max_steps, "max_length": args.max_length,
            "doc_stride": args.doc_stride, "extra": args.extra, "tolerance": args.tolerance,
            "complete": len(runs) == planned,
            "runs": [{k: v for k, v in r.items() if k != "answers"} for r in runs],
            "comparisons": [compare(runs[0], other, args.tolerance) for other in runs[1:]],
            "units": "em/f1: percent on the test fold; *_diff: other minus reference, in points; fit_s/test_s: "
                     "wall seconds of each `decomp` command (start-up included)"}


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    precisions = [p.strip() for p in args.precisions.split(",") if p.strip()]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false",
           **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {})}
    out = Path(args.out) if args.out else default_out("precision-check")
    runs: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="decomp-precision-") as tmp:
        root = Path(args.run_dir) if args.run_dir else Path(tmp)
        for precision in precisions:
            runs.append(run_precision(args, precision, root, env))
            print(f"{precision}: EM {runs[-1]['em']:.2f} F1 {runs[-1]['f1']:.2f} on {runs[-1]['n']} questions "
                  f"(fit {runs[-1]['fit_s']} s, test {runs[-1]['test_s']} s)", flush=True)
            result = _result(args, argv, runs, len(precisions))  # written after each run: a slow one keeps the rest
            path = write_json(out, result)
    for c in result["comparisons"]:
        print(f"{c['precision']} - {c['reference']}: EM {c['em_diff']:+.2f}, F1 {c['f1_diff']:+.2f} points, "
              f"same answer on {c['same_answers']:.1%} of {c['questions']} questions "
              f"({'within' if c['within_tolerance'] else 'NOT within'} {args.tolerance}); wrote {path}")
    return result


if __name__ == "__main__":
    main()
