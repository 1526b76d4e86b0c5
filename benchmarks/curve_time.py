"""Time to a whole learning curve: `decomp curve` in a child process, timed from start to its last row.

Reports wall time, cells, rows, seconds per row, training and evaluation windows/s (Lightning's fit and test,
timed inside the child by `benchmarks/curve_probe.py`), mean EM/F1 of the rows, the child's peak RSS (the
largest of the curve's processes, from getrusage(RUSAGE_CHILDREN)) and, where rows record it, their peak GPU
memory. Overrides (--sizes, --subset-seeds, --strategies, ...) go into a derived copy of the config in a
temporary folder; the run writes to a fresh run dir (so nothing resumes from an earlier run) that is deleted
unless --keep.

`--compare-old DIR` also runs the same curve with the code of DIR (a checkout of an earlier commit, e.g.
`git worktree add /tmp/old 5cb66b8`) and that checkout's own copy of the config, with the same overrides,
one after the other in this one command, and reports the speed-ups and the score differences.

    python -m benchmarks.curve_time                      # configs/curves/drop-cpu.yaml: hours on 2 cores
    python -m benchmarks.curve_time --strategies none --sizes 8,16 --subset-seeds 0 --max-steps 10
    python -m benchmarks.curve_time --strategies none --sizes 16,64 --subset-seeds 0 --compare-old /tmp/old
    python -m benchmarks.curve_time --config configs/curves/drop.yaml   # the GPU grid
"""

from __future__ import annotations

import argparse
import json
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

from benchmarks.common import REPO, default_out, environment, max_rss_mb, median, quiet, ratio, write_json

DEFAULT_CONFIG = REPO / "configs" / "curves" / "drop-cpu.yaml"
PROBE = REPO / "benchmarks" / "curve_probe.py"


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def _limit(text: str) -> int | str:
    return "all" if text == "all" else int(text)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])  # no docstring under -OO
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="curve YAML (default: %(default)s)")
    p.add_argument("--sizes", type=_ints, default=None, help="comma-separated training sizes")
    p.add_argument("--subset-seeds", type=_ints, default=None, help="comma-separated subset seeds")
    p.add_argument("--training-seeds", type=_ints, default=None, help="comma-separated training seeds")
    p.add_argument("--strategies", type=_names, default=None, help="comma-separated strategy names")
    p.add_argument("--model", default=None, help="reader model for every reader (tiny-bert for smoke runs)")
    p.add_argument("--max-steps", type=int, default=None, help="cap on optimizer steps per run (budget.max_steps)")
    p.add_argument("--batch-size", type=int, default=None,
                   help="training batch size of every run (tuning.space.batch_size): with --compare-old, the "
                        "same work on both sides whatever each checkout's config says")
    p.add_argument("--eval-limit", type=_limit, default=None,
                   help="evaluation questions per row (data.eval_limit); all: the whole evaluation fold")
    p.add_argument("--precision", default=None, help="Lightning precision of every run (trainer.precision): "
                   "auto, 32-true, bf16-mixed, ...")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--threads", type=int, default=None, help="OMP_NUM_THREADS of the curve (default: torch's)")
    p.add_argument("--run-dir", default=None, help="default: a fresh temporary folder")
    p.add_argument("--keep", action="store_true", help="keep the run dir")
    p.add_argument("--compare-old", default=None, metavar="DIR",
                   help="also run the curve with the code and config copy of this checkout (e.g. a git worktree "
                        "of the landed commit), before the working tree's, and compare")
    p.add_argument("--out", default=None, help="JSON path (default: benchmarks/results/curve-<name>-<device>.json)")
    return p.parse_args(argv)


def derived_config(args: argparse.Namespace, config: str | Path | None = None) -> dict:
    """The config's YAML (`config`, default --config) with the command line's overrides applied."""
    raw = yaml.safe_load(Path(config or args.config).read_text(encoding="utf-8"))
    overrides = {"sizes": args.sizes, "subset_seeds": args.subset_seeds, "training_seeds": args.training_seeds,
                 "strategies": args.strategies}
    raw.update({k: v for k, v in overrides.items() if v is not None})
    if args.model:
        raw["readers"] = {kind: {**(options or {}), "model": args.model} for kind, options in raw["readers"].items()}
    if args.max_steps is not None:
        budget = raw.setdefault("budget", {})
        budget["max_steps"] = args.max_steps
        budget["min_steps"] = min(budget.get("min_steps", 200), args.max_steps)
        if budget["min_steps"] >= args.max_steps and "patience" in budget:
            budget["patience"] = None  # no range left for early stopping (an older config has no such key)
    if args.batch_size is not None:
        raw.setdefault("tuning", {}).setdefault("space", {})["batch_size"] = args.batch_size
    if args.precision:
        raw["trainer"] = {**(raw.get("trainer") or {}), "precision": args.precision}
    if args.eval_limit is not None:
        raw.setdefault("data", {})["eval_limit"] = None if args.eval_limit == "all" else args.eval_limit
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


def _scores(rows: list[dict]) -> dict:
    """Mean EM/F1 (percent) over rows and the per-question EM by row id and question id."""
    ems = [r["em"] for r in rows if isinstance(r.get("em"), int | float)]
    f1s = [r["f1"] for r in rows if isinstance(r.get("f1"), int | float)]
    return {"em": round(sum(ems) / len(ems), 2) if ems else None, "f1": round(sum(f1s) / len(f1s), 2) if f1s else None,
            "by_row": {_cell_id(r, i): {"em": r.get("em"), "f1": r.get("f1")} for i, r in enumerate(rows)}}


def _cell_id(row: dict, i: int) -> str:
    """The row's run id without its first part (the study prefix names the config's hash, which differs
    between two versions of the same curve): dataset/reader/strategy/k/fold/subset/seed."""
    run_id = str(row.get("run_id", i))
    return run_id.split("/", 1)[1] if "/" in run_id else run_id


def _rates(probe: dict) -> dict:
    def per_s(windows: int, seconds: float) -> float | None:
        return round(windows / seconds, 3) if seconds else None
    return {**probe, "train_windows_per_s": per_s(probe.get("train_windows", 0), probe.get("fit_s", 0.0)),
            "eval_windows_per_s": per_s(probe.get("test_windows", 0), probe.get("test_s", 0.0))}


def run_side(args: argparse.Namespace, raw: dict, work: Path, label: str, code: Path) -> dict:
    """Run `decomp curve` on `raw` with the `decomp` package of `code` (a checkout); its timings and rows."""
    config_path = work / label / f"{raw['name']}.yaml"
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    run_dir = Path(args.run_dir) / label if args.run_dir else work / label / "run"
    probe_path = work / label / "probe.json"
    command = [sys.executable, str(PROBE), str(probe_path), "curve", "--config", str(config_path),
               "--run-dir", str(run_dir), "--workers", str(args.workers)]
    env = {**os.environ, "TOKENIZERS_PARALLELISM": "false", "PYTHONPATH": str(code),
           **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {})}
    print(f"[{label}: {code}] running {' '.join(command)}", flush=True)
    started = time.perf_counter()
    with _GpuMemoryPoll() as gpu:
        child = subprocess.run(command, env=env, cwd=code)
    wall = time.perf_counter() - started
    from decomp.curves.store import read_rows, results_path

    rows, truncated = read_rows(results_path(run_dir), checked=False)  # the old code's rows: not checked here
    if child.returncode:
        raise SystemExit(f"decomp curve ({label}) exited with {child.returncode}; its run dir is {run_dir}")
    probe = json.loads(probe_path.read_text(encoding="utf-8")) if probe_path.is_file() else {}
    row_times = [r["run_time_s"] for r in rows if isinstance(r.get("run_time_s"), int | float)]
    return {
        "code": str(code), "curve_command": " ".join(command), "derived_config": raw,
        "rows": len(rows), "truncated_rows": truncated, "wall_s": round(wall, 2),
        "s_per_row": round(wall / len(rows), 2) if rows else None,
        "row_run_time_s": {"sum": round(sum(row_times), 2), "median": median(row_times) if row_times else None},
        **_rates(probe), "scores": _scores(rows),
        "rows_memory": _memory_fields(rows), "gpu_memory_used_peak_mb": gpu.peak,
        "hardware_in_rows": sorted({str(r.get("hardware")) for r in rows if r.get("hardware")}),
        "precision_in_rows": sorted({str(r.get("precision")) for r in rows if r.get("precision")}),
    }


def compare(old: dict, new: dict) -> dict:
    """Speed-ups (new over old) and score differences (new minus old, points) of the same curve."""
    shared = set(old["scores"]["by_row"]) & set(new["scores"]["by_row"])
    diffs = {key: [new["scores"]["by_row"][r][key] - old["scores"]["by_row"][r][key] for r in sorted(shared)
                   if None not in (new["scores"]["by_row"][r][key], old["scores"]["by_row"][r][key])]
             for key in ("em", "f1")}
    return {
        "wall_speedup": ratio(old["wall_s"], new["wall_s"]),
        "train_speedup": ratio(new["train_windows_per_s"] or 0, old["train_windows_per_s"] or 0),
        "eval_speedup": ratio(new["eval_windows_per_s"] or 0, old["eval_windows_per_s"] or 0),
        "same_work": old.get("train_windows") == new.get("train_windows")
        and old.get("test_questions") == new.get("test_questions"),
        **{f"{key}_diff": round(new["scores"][key] - old["scores"][key], 2)
           if None not in (new["scores"][key], old["scores"][key]) else None for key in ("em", "f1")},
        "row_em_diffs": [round(d, 2) for d in diffs["em"]], "row_f1_diffs": [round(d, 2) for d in diffs["f1"]],
        "rows_compared": len(shared),
    }


def _line(label: str, side: dict) -> str:
    return (f"{label}: {side['rows']} rows in {side['wall_s']:.1f} s ({side['s_per_row']} s/row); training "
            f"{side['train_windows_per_s']} windows/s ({side.get('train_windows')} windows in {side.get('fit_s')} s), "
            f"evaluation {side['eval_windows_per_s']} windows/s ({side.get('test_windows')} windows in "
            f"{side.get('test_s')} s); EM {side['scores']['em']} F1 {side['scores']['f1']}")


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    quiet()
    from decomp.curves.config import parse_config

    raw = derived_config(args)
    work = Path(tempfile.mkdtemp(prefix="decomp-curve-time-"))
    config = parse_config(raw, str(work / f"{raw['name']}.yaml"))  # fail here, not in the child, on a bad override
    cells = len(config.cells())
    expected_rows = cells * len(config.training_seeds)
    print(f"{config.name}: {cells} cells, {expected_rows} rows per side", flush=True)
    old = None
    if args.compare_old:
        old_code = Path(args.compare_old).resolve()
        try:
            old_config = old_code / Path(args.config).resolve().relative_to(REPO)
        except ValueError:
            raise SystemExit(f"--compare-old: --config {args.config} must lie inside {REPO} (the old checkout's "
                             "copy of it is used)") from None
        old = run_side(args, derived_config(args, old_config), work, "old", old_code)
        print(_line("old", old), flush=True)
    new = run_side(args, raw, work, "new", REPO)
    result = {
        "benchmark": "curve_time", **environment("curve_time", sys.argv[1:] if argv is None else argv),
        "config": str(args.config), "cells": cells, "trials_per_cell": config.n_trials,
        "expected_rows": expected_rows, **new,
        "child_max_rss_mb": max_rss_mb(resource.RUSAGE_CHILDREN), "threads": args.threads, "workers": args.workers,
        "units": "wall_s: the whole `decomp curve` command (imports, data, tuning, training, testing); "
                 "train/eval windows per s: windows over the wall time of Lightning's fit/test (featurizing the "
                 "test questions included); row_run_time_s: retrain+test per row as the rows record it; "
                 "scores: mean of the rows' EM/F1 (percent); speed-ups: new over old",
    }
    if old is not None:
        result["old"] = old
        result["comparison"] = compare(old, new)
    path = write_json(args.out or default_out(f"curve-{raw['name']}"), result)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(_line("new" if old else config.name, new))
    if old is not None:
        c = result["comparison"]
        print(f"speed-up new/old: wall {c['wall_speedup']}x, training {c['train_speedup']}x, evaluation "
              f"{c['eval_speedup']}x (same work: {c['same_work']}); EM {c['em_diff']}, F1 {c['f1_diff']} points "
              "(new minus old)")
    print(f"child peak RSS {result['child_max_rss_mb']} MiB; wrote {path}")
    return result


if __name__ == "__main__":
    main()
