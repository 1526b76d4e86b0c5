"""Time to a whole learning curve: `decomp curve` in a child process, timed from start to its last row.

Reports wall time, cells, rows, seconds per row, the child's peak RSS (the largest of the curve's processes,
from getrusage(RUSAGE_CHILDREN)) and, where rows record it, their peak GPU memory. Overrides (--sizes,
--subset-seeds, --strategies, ...) go into a derived copy of the config in a temporary folder; the run
writes to a fresh run dir (so nothing resumes from an earlier run) that is deleted unless --keep.

    python -m benchmarks.curve_time                      # configs/curves/drop-cpu.yaml: hours on 2 cores
    python -m benchmarks.curve_time --strategies none --sizes 8,16 --subset-seeds 0 --max-steps 10
    python -m benchmarks.curve_time --config configs/curves/drop.yaml --precision bf16-mixed   # the GPU grid
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

from benchmarks.common import REPO, default_out, environment, max_rss_mb, median, quiet, write_json

DEFAULT_CONFIG = REPO / "configs" / "curves" / "drop-cpu.yaml"


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="curve YAML (default: %(default)s)")
    p.add_argument("--sizes", type=_ints, default=None, help="comma-separated training sizes")
    p.add_argument("--subset-seeds", type=_ints, default=None, help="comma-separated subset seeds")
    p.add_argument("--training-seeds", type=_ints, default=None, help="comma-separated training seeds")
    p.add_argument("--strategies", type=_names, default=None, help="comma-separated strategy names")
    p.add_argument("--model", default=None, help="reader model for every reader (tiny-bert for smoke runs)")
    p.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps per run (budget.max_steps)")
    p.add_argument("--eval-limit", type=int, default=None, help="evaluation questions per row (data.eval_limit)")
    p.add_argument("--precision", default=None, help="Lightning precision of every run (trainer.precision), "
                   "e.g. bf16-mixed on a GPU")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the curve (default: torch's)")
    p.add_argument("--run-dir", default=None, help="default: a fresh temporary folder")
    p.add_argument("--keep", action="store_true", help="keep the run dir")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/curve-<name>-<device>.json)")
    return p.parse_args(argv)


def derived_config(args: argparse.Namespace) -> dict:
    """The config's YAML with the command line's overrides applied."""
    raw = yaml.safe_load(Path(args.config).read_text(encoding="utf-8"))
    overrides = {"sizes": args.sizes, "subset_seeds": args.subset_seeds, "training_seeds": args.training_seeds,
                 "strategies": args.strategies}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    if args.model:
        raw["readers"] = {kind: {**(options or {}), "model": args.model} for kind, options in raw["readers"].items()}
    if args.max_steps is not None:
        budget = raw.setdefault("budget", {})
        budget["max_steps"] = args.max_steps
        budget["min_steps"] = min(budget.get("min_steps", 200), args.max_steps)
    if args.precision:
        raw["trainer"] = {**(raw.get("trainer") or {}), "precision": args.precision}
    if args.eval_limit is not None:
        raw.setdefault("data", {})["eval_limit"] = args.eval_limit
    return raw


def _memory_fields(rows: list[dict]) -> dict[str, float]:
    """The largest value of every numeric row field that names memory (rows may record GPU peaks)."""
    found: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            if "memory" in key and isinstance(value, int | float) and not isinstance(value, bool):
                found[key] = max(found.get(key, value), value)
    return found


class _GpuMemoryPoll:
    """The largest GPU memory in use (whole device, MiB) seen by `nvidia-smi` once a second; None without it.

    The child's own peak cannot be read from this process without starting CUDA here."""

    def __init__(self) -> None:
        self.peak: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True) if shutil.which("nvidia-smi") else None

    def _poll(self) -> None:
        while not self._stop.wait(1.0):
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=10).stdout
                used = max(float(x) for x in out.split())
            except (OSError, subprocess.SubprocessError, ValueError):
                continue
            self.peak = max(self.peak or 0.0, used)

    def __enter__(self) -> _GpuMemoryPoll:
        if self._thread:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet()
    from decomp.curves.config import parse_config
    from decomp.curves.rows import read_rows, results_path

    raw = derived_config(args)
    work = Path(tempfile.mkdtemp(prefix="decomp-curve-time-"))
    config_path = work / f"{raw['name']}.yaml"
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    config = parse_config(raw, str(config_path))  # fail here, not in the child, on a bad override
    cells = len(config.cells())
    expected_rows = cells * len(config.training_seeds)
    run_dir = Path(args.run_dir) if args.run_dir else work / "run"
    command = [sys.executable, "-m", "decomp.cli", "curve", "--config", str(config_path), "--run-dir", str(run_dir),
               "--workers", str(args.workers)]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false",
           **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {})}
    print(f"running {' '.join(command)} ({cells} cells, {expected_rows} rows)", flush=True)
    started = time.perf_counter()
    with _GpuMemoryPoll() as gpu:
        child = subprocess.run(command, env=env, cwd=REPO)
    wall = time.perf_counter() - started
    rows, truncated = read_rows(results_path(run_dir))
    if child.returncode:
        raise SystemExit(f"decomp curve exited with {child.returncode}; its run dir is {run_dir}")
    row_times = [r["run_time_s"] for r in rows if isinstance(r.get("run_time_s"), int | float)]
    result = {
        "benchmark": "curve_time", **environment("curve_time", sys.argv[1:] if argv is None else argv),
        "config": str(args.config), "derived_config": raw, "curve_command": " ".join(command),
        "cells": cells, "trials_per_cell": config.n_trials, "rows": len(rows), "expected_rows": expected_rows,
        "truncated_rows": truncated,
        "wall_s": round(wall, 2), "s_per_row": round(wall / len(rows), 2) if rows else None,
        "row_run_time_s": {"sum": round(sum(row_times), 2), "median": median(row_times) if row_times else None},
        "child_max_rss_mb": max_rss_mb(resource.RUSAGE_CHILDREN), "rows_memory": _memory_fields(rows),
        "gpu_memory_used_peak_mb": gpu.peak,
        "threads": args.threads,
        "hardware_in_rows": sorted({str(r.get("hardware")) for r in rows if r.get("hardware")}),
        "units": "wall_s: the whole `decomp curve` command (imports, data, tuning, training, testing); "
                 "row_run_time_s: retrain+test per row as the rows record it",
    }
    path = write_json(args.out or default_out(f"curve-{raw['name']}"), result)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{config.name}: {len(rows)}/{expected_rows} rows from {cells} cells in {wall:.1f} s "
          f"({result['s_per_row']} s/row); child peak RSS {result['child_max_rss_mb']} MiB; wrote {path}")
    return result


if __name__ == "__main__":
    main()
