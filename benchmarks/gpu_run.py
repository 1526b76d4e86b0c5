"""Everything a short GPU loan should measure, in one command that stops before its time is up.

    python -m benchmarks.gpu_run OUT_DIR                    # 10 minutes on one H100/H200
    python -m benchmarks.gpu_run OUT_DIR --minutes 30 --workers 6 --folds 0,1,2

In order, each step a child process with its own deadline:
1. `benchmarks.throughput` (ours against `transformers.Trainer`, bf16 where the GPU has it), at most
   --throughput-minutes, JSON to OUT_DIR/throughput-<device>.json;
2. `benchmarks.precision_check` (the same `decomp fit` + `decomp test` in fp32 and in bf16 autocast: EM/F1
   on BREAK-DROP fold 0, 255 questions), at most --precision-minutes, JSON to
   OUT_DIR/precision-check-<device>.json;
3. the curve grids (--curves, default configs/curves/drop.yaml and hotpotqa.yaml) on fold 0, then on the
   further --folds while time remains: `decomp curve --workers N` (the workers share the GPU), each (curve,
   fold) in OUT_DIR/curves/<name>/fold<k>/ (its rows in results.jsonl, its derived config beside them). The
   time left is shared equally among the curves of a fold still to run.
At a step's deadline its process group gets SIGINT (Python unwinds: files close, rows already appended stay
whole), then SIGTERM, then SIGKILL after --grace-s each. Re-running the same command resumes the curves
(finished trials and rows are kept). OUT_DIR/summary.json lists every step: command, status (done, deadline,
failed, not started), wall seconds, rows; it is rewritten after every step.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from benchmarks.common import REPO, device_slug, environment, write_json

CURVES = ("configs/curves/drop.yaml", "configs/curves/hotpotqa.yaml")
THROUGHPUT_ARGS = "--model minilm --batch-size 32 --steps 20 --warmup 3 --rounds 3 --eval-questions 256"
PRECISION_ARGS = "--max-steps 200 --max-length 384 --doc-stride 128"  # ~3 epochs of fold 0's training side


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    p.add_argument("out", help="folder for rows, JSON and summary.json (created; reused to resume)")
    p.add_argument("--minutes", type=float, default=10.0, help="the whole run's time limit")
    p.add_argument("--margin-s", type=float, default=20.0, help="kept free before the limit for the shutdown")
    p.add_argument("--grace-s", type=float, default=15.0, help="wait after each signal before the next")
    p.add_argument("--throughput-minutes", type=float, default=2.0, help="at most this for the throughput step; "
                   "0 skips it")
    p.add_argument("--throughput-args", default=THROUGHPUT_ARGS, help="arguments of benchmarks.throughput")
    p.add_argument("--precision-minutes", type=float, default=2.5, help="at most this for the fp32/bf16 accuracy "
                   "check; 0 skips it")
    p.add_argument("--precision-args", default=PRECISION_ARGS, help="arguments of benchmarks.precision_check")
    p.add_argument("--curves", default=",".join(CURVES), help="comma-separated curve configs")
    p.add_argument("--folds", default="0,1,2,3,4", help="folds in order; fold 0 of every curve comes first")
    p.add_argument("--workers", type=int, default=4, help="`decomp curve` workers (processes sharing the GPU)")
    p.add_argument("--override", action="append", default=[], metavar="KEY=YAML",
                   help="set a top-level key of every curve config, e.g. sizes=[8,16] or "
                        "'readers={extractive: {model: tiny-bert}}' (repeatable)")
    return p.parse_args(argv)


def derived_curve(config: str | Path, fold: int, overrides: Sequence[str]) -> dict:
    """The curve config restricted to one fold, with the --override values applied."""
    raw = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"--override {item!r}: expected KEY=YAML")
        raw[key.strip()] = yaml.safe_load(value)
    raw["folds"] = [fold]
    return raw


def plan(curves: Sequence[str], folds: Sequence[int]) -> list[tuple[str, int]]:
    """(curve config, fold) in the order they run: every curve's first fold, then the next fold, ..."""
    return [(curve, fold) for fold in folds for curve in curves]


def stop(process: subprocess.Popen, grace_s: float) -> int | None:
    """SIGINT, SIGTERM, then SIGKILL to the process group, each after `grace_s` without an exit."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            return process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            continue
    return process.wait()


def run_step(command: list[str], deadline: float, grace_s: float, log: Path) -> dict:
    """Run `command` (its own process group, output to `log`) until it ends or `deadline` (a monotonic time)."""
    started = time.monotonic()
    if deadline - started <= 0:
        return {"status": "not started", "command": " ".join(command)}
    with open(log, "a", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
        try:
            code = process.wait(timeout=max(0.0, deadline - started))
            status = "done" if code == 0 else "failed"
        except subprocess.TimeoutExpired:
            code = stop(process, grace_s)
            status = "deadline"
        except BaseException:  # interrupted itself: take the children down with it
            stop(process, grace_s)
            raise
    return {"status": status, "exit_code": code, "wall_s": round(time.monotonic() - started, 2),
            "command": " ".join(command), "log": str(log)}


def _rows(run_dir: Path) -> int:
    path = run_dir / "results.jsonl"
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) if path.is_file() else 0


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    start = time.monotonic()
    end = start + args.minutes * 60 - args.margin_s  # every step is stopped by then
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    curves = [c.strip() for c in args.curves.split(",") if c.strip()]
    folds = [int(f) for f in args.folds.split(",") if f.strip()]
    summary = {"benchmark": "gpu_run", **environment("gpu_run", sys.argv[1:] if argv is None else argv),
               "minutes": args.minutes, "workers": args.workers, "steps": []}

    def record(step: dict) -> None:
        summary["steps"].append(step)
        summary["wall_s"] = round(time.monotonic() - start, 2)
        write_json(out / "summary.json", summary)

    for name, minutes, extra in (("throughput", args.throughput_minutes, args.throughput_args),
                                 ("precision_check", args.precision_minutes, args.precision_args)):
        if minutes <= 0:
            continue
        json_path = out / f"{name.replace('_', '-')}-{device_slug()}.json"
        command = [sys.executable, "-m", f"benchmarks.{name}", *extra.split(), "--out", str(json_path)]
        step = run_step(command, min(end, time.monotonic() + minutes * 60), args.grace_s, out / f"{name}.log")
        record({"step": name, **step, "json": str(json_path) if json_path.is_file() else None})

    order = plan(curves, folds)
    for i, (curve, fold) in enumerate(order):
        raw = derived_curve(REPO / curve, fold, args.override)
        run_dir = out / "curves" / raw["name"] / f"fold{fold}"
        run_dir.mkdir(parents=True, exist_ok=True)
        config_path = run_dir / "config.yaml"
        config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        # The curves of this fold still to run share the time left equally; a later fold gets what remains.
        left_in_fold = sum(1 for _, f in order[i:] if f == fold)
        deadline = time.monotonic() + max(0.0, end - time.monotonic()) / left_in_fold
        command = [sys.executable, "-m", "decomp.cli", "curve", "--config", str(config_path), "--run-dir",
                   str(run_dir), "--workers", str(args.workers)]
        step = run_step(command, deadline, args.grace_s, run_dir / "curve.log")
        record({"step": f"curve {raw['name']} fold {fold}", "config": curve, "fold": fold, **step,
                "rows": _rows(run_dir), "run_dir": str(run_dir)})
    summary["wall_s"] = round(time.monotonic() - start, 2)
    write_json(out / "summary.json", summary)
    for step in summary["steps"]:
        print(f"{step['step']}: {step['status']}" + (f", {step['wall_s']} s" if "wall_s" in step else "")
              + (f", {step['rows']} rows" if "rows" in step else ""))
    print(f"{summary['wall_s']} s in all; wrote {out / 'summary.json'}")
    return summary


if __name__ == "__main__":
    main()
