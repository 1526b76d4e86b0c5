"""`results.jsonl`: one row per finished (cell, training seed), appended durably, never duplicated.

Appends hold an exclusive lock on the file and end with fsync, so concurrent workers never interleave
rows and a finished row survives a crash. A worker killed mid-write leaves at most a truncated last
line: readers skip it (and count it), and the next append starts on a fresh line.
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from pathlib import Path

RESULTS = "results.jsonl"
ROW_VERSION = 1


def build_row(*, run_id: str, config, cell, seed: int, study, study_name: str, data: dict, strategy: dict, reader: dict,
              params: dict, metrics: dict, per_operator: dict, records: list[dict], run_time_s: float,
              config_hash: str, example_meta: dict[str, dict] | None = None) -> dict:
    """One result row (`study` is None for a fixed-hyper-parameter curve). `examples` keeps per-example
    em/f1 (0-1) by id, with the example's answer type, question type and QDMR operators (`example_meta`):
    the leaderboard bootstraps over evaluation examples, pairs strategies on the same ones and breaks
    scores down by type and operator from the rows alone."""
    example_meta = example_meta or {}
    from decomp.provenance import git_commit, hardware, package_versions

    trials = study.get_trials(deepcopy=False) if study is not None else []
    return {
        "row_version": ROW_VERSION, "run_id": run_id, "curve": config.name, "dataset": config.dataset,
        "reader": cell.reader, "reader_args": {k: v for k, v in reader.items() if k not in ("strategy_options",)},
        "strategy": strategy["strategy"], "strategy_options": cell.strategy.options,
        "supervision": strategy.get("supervision"), "decompositions": data["decompositions"],
        "predicted_file": data["predicted_file"], "protocol": data["protocol"],
        "protocol_version": data["protocol_version"], "fold": data["fold"], "n_folds": data["n_folds"],
        "fold_seed": data["fold_seed"], "k": cell.k, "subset_seed": cell.subset_seed, "training_seed": seed,
        "hparams": params, "em": metrics.get("test_em"), "f1": metrics.get("test_f1"),
        "per_operator": per_operator, "n_train": data["n_fit"], "n_eval": len(records),
        "eval_limit": data["eval_limit"],
        "examples": {r["example_id"]: {"em": r["em"], "f1": r["f1"], **example_meta.get(r["example_id"], {})}
                     for r in records},
        "study": study_name, "best_trial": study.best_trial.number if study is not None else None,
        "best_val": study.best_value if study is not None else None,
        "n_trials": sum(t.state.is_finished() for t in trials),
        "run_time_s": round(run_time_s, 2), "git_commit": git_commit(), "config_hash": config_hash,
        "data_hash": {"train": data["train_hash"], "eval": data["eval_hash"]}, "versions": package_versions(),
        "hardware": hardware(),
    }


def results_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / RESULTS


def read_rows(path: str | Path) -> tuple[list[dict], int]:
    """The complete rows of a results file, and how many unreadable (truncated) lines were skipped."""
    path = Path(path)
    if not path.exists():
        return [], 0
    rows, bad = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            bad += 1
    return rows, bad


def done_ids(path: str | Path) -> set[str]:
    return {r["run_id"] for r in read_rows(path)[0] if "run_id" in r}


def append_row(path: str | Path, row: dict) -> bool:
    """Append `row` unless a row with its run_id is already there; True when it was written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(row, sort_keys=True, default=str) + "\n"
    with open(path, "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.seek(0)
            text = f.read()
            if any(_run_id(x) == row["run_id"] for x in text.splitlines()):
                return False
            f.write(("\n" if text and not text.endswith("\n") else "") + line)
            f.flush()
            os.fsync(f.fileno())
            return True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _run_id(line: str) -> str | None:
    try:
        return json.loads(line).get("run_id")
    except (json.JSONDecodeError, AttributeError):
        return None


@contextmanager
def claim(run_dir: str | Path, run_id: str):
    """Yield True when this process holds the run's lock (the OS drops it if the process dies), else False."""
    folder = Path(run_dir) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    name = "".join(c if c.isalnum() or c in "-_.=" else "_" for c in run_id)
    with open(folder / f"{name}.lock", "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
